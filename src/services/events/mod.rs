//! Real-time events for agents: what happens in chats, as it happens, to every stream of the
//! tenant (`GET /api/v2/notification/stream`).
//!
//! Events are published after their write has committed. In one process they go through a
//! bounded broadcast channel per tenant: a publisher never waits, and a stream that falls
//! behind loses the oldest events and is told so (`lagged`). With Postgres they cross instances: a
//! publisher thread sends each event with `pg_notify` on its own connection, and a listener
//! thread in every instance (`LISTEN omnibridge_events`) feeds what arrives into its local
//! channel; so every instance, the publishing one too, delivers each event once.

pub mod sse;

use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

use crate::db::pubsub::{Listener, Notifier};

const CHANNEL: &str = "omnibridge_events";
/// Postgres refuses NOTIFY payloads of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;
/// Events waiting for the publisher thread; more are dropped (and logged), never waited for.
const PUBLISH_QUEUE: usize = 4096;
/// Most events one NOTIFY transaction takes.
const PUBLISH_BATCH: usize = 256;

/// One event: its tenant, its type (`message`, `typing`, `visited`, `chat_ended`,
/// `ticket_updated`, `attachment`, `delivery`) and what it says (`ticketID`, `chatSessionID`, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub tenant_id: i64,
    pub kind: String,
    pub data: Value,
}

impl Event {
    pub fn new(tenant_id: i64, kind: &str, data: Value) -> Event {
        Event {
            tenant_id,
            kind: kind.to_owned(),
            data,
        }
    }

    /// The event of a typed payload.
    pub fn of<T: Payload>(tenant_id: i64, payload: &T) -> Event {
        Event::new(
            tenant_id,
            T::KIND,
            serde_json::to_value(payload).unwrap_or_default(),
        )
    }
}

impl Event {
    /// An event between instances, never shown on a stream: its kind starts with `_`.
    pub fn is_internal(&self) -> bool {
        self.kind.starts_with('_')
    }
}

/// Told to this instance's hooks each time its listening connection is (re)made.
pub const RESYNC: &str = "_resync";

/// `_keys_revoked`: these API keys (by prefix) are revoked; every instance forgets them.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeysRevoked {
    pub prefixes: Vec<String>,
}

impl Payload for KeysRevoked {
    const KIND: &'static str = "_keys_revoked";
}

/// What one type of event says: its `data` on the stream.
pub trait Payload: Serialize {
    const KIND: &'static str;
}

/// `message`: a customer's message.
#[derive(Debug, Serialize)]
pub struct MessageReceived {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    #[serde(rename = "chatSessionID")]
    pub chat_session_id: String,
    #[serde(rename = "messageID")]
    pub message_id: i64,
    /// At most 2000 characters of it.
    pub message: String,
    #[serde(rename = "ticketCreated")]
    pub ticket_created: bool,
}

impl Payload for MessageReceived {
    const KIND: &'static str = "message";
}

/// `typing`: what the customer did in the chat (`startedtyping`, `stoppedtyping`, ...).
#[derive(Debug, Serialize)]
pub struct ChatEventHappened {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    #[serde(rename = "chatSessionID")]
    pub chat_session_id: String,
    pub event: String,
}

impl Payload for ChatEventHappened {
    const KIND: &'static str = "typing";
}

/// `visited`: the customer opened a page.
#[derive(Debug, Serialize)]
pub struct PageVisited {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    #[serde(rename = "chatSessionID")]
    pub chat_session_id: String,
    pub url: String,
}

impl Payload for PageVisited {
    const KIND: &'static str = "visited";
}

/// `chat_ended`.
#[derive(Debug, Serialize)]
pub struct SessionEnded {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    #[serde(rename = "chatSessionID")]
    pub chat_session_id: String,
}

impl Payload for SessionEnded {
    const KIND: &'static str = "chat_ended";
}

/// `attachment`: a file from the chat server.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentReceived {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    #[serde(rename = "chatSessionID")]
    pub chat_session_id: String,
    #[serde(rename = "attachmentID")]
    pub attachment_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
}

impl Payload for AttachmentReceived {
    const KIND: &'static str = "attachment";
}

/// `ticket_updated`: an agent's change (`change`: `created`, `updated`, `status`,
/// `priority`, `reply`, `note`, `deleted`) and, unless it was deleted, what the ticket is now.
#[derive(Debug, Serialize)]
pub struct TicketUpdated {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    pub change: &'static str,
    #[serde(flatten)]
    pub now: Option<TicketNow>,
}

/// A ticket as `ticket_updated` shows it.
#[derive(Debug, Serialize)]
pub struct TicketNow {
    #[serde(rename = "chatSessionID")]
    pub chat_session_id: Option<String>,
    pub status: String,
    pub priority: String,
    #[serde(rename = "assignedUserID")]
    pub assigned_user_id: Option<i64>,
    pub title: String,
}

impl Payload for TicketUpdated {
    const KIND: &'static str = "ticket_updated";
}

/// `delivery`: an attempt to send a reply or a file to the chat server was made; what it came
/// to (`state`: `queued` with the next try ahead, `delivered` or `failed`).
#[derive(Debug, Serialize)]
pub struct DeliveryChanged {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    #[serde(rename = "deliveryID")]
    pub delivery_id: i64,
    #[serde(rename = "messageID")]
    pub message_id: Option<i64>,
    #[serde(rename = "attachmentID")]
    pub attachment_id: Option<i64>,
    pub state: String,
    pub attempts: i32,
    #[serde(rename = "lastError")]
    pub last_error: Option<String>,
}

impl Payload for DeliveryChanged {
    const KIND: &'static str = "delivery";
}

/// One bounded broadcast channel per tenant with an open stream: tenants never share a
/// buffer, so a busy tenant neither crowds out another's events nor shows in its `lagged`.
#[derive(Clone)]
struct Channels {
    buffer: usize,
    by_tenant: Arc<RwLock<HashMap<i64, broadcast::Sender<Arc<Event>>>>>,
    /// What this instance does on an internal event (one no stream shows).
    hooks: Arc<RwLock<Vec<Hook>>>,
    /// Set when the server stops: streams end, and new ones end at once.
    closed: Arc<std::sync::atomic::AtomicBool>,
}

type Hook = Arc<dyn Fn(&Event) + Send + Sync>;

impl Channels {
    fn send(&self, event: Event) {
        if event.is_internal() {
            let hooks = self.hooks.read().unwrap_or_else(|e| e.into_inner()).clone();
            hooks.iter().for_each(|hook| hook(&event));
            return;
        }
        let by_tenant = self.by_tenant.read().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = by_tenant.get(&event.tenant_id) {
            // No receiver left is no error: the channel goes at the next subscribe.
            let _ = tx.send(Arc::new(event));
        }
    }

    fn subscribe(&self, tenant_id: i64) -> broadcast::Receiver<Arc<Event>> {
        let mut by_tenant = self.by_tenant.write().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            // A channel with no sender: the stream ends after its first line.
            return broadcast::channel(1).1;
        }
        // Forget the channels whose streams have all closed.
        by_tenant.retain(|_, tx| tx.receiver_count() > 0);
        by_tenant
            .entry(tenant_id)
            .or_insert_with(|| broadcast::channel(self.buffer).0)
            .subscribe()
    }

    /// Ends every stream: with its channel's sender gone, each receiver hears it is closed.
    fn close(&self) {
        let mut by_tenant = self.by_tenant.write().unwrap_or_else(|e| e.into_inner());
        self.closed
            .store(true, std::sync::atomic::Ordering::Release);
        by_tenant.clear();
    }
}

#[derive(Clone)]
pub struct Events {
    local: Channels,
    postgres: Option<SyncSender<Event>>,
    /// The listener thread runs while any clone of this lives (until the server stops).
    alive: Arc<()>,
}

impl Events {
    /// Events within this process only (SQLite: one instance).
    pub fn local(buffer: usize) -> Events {
        let local = Channels {
            buffer: buffer.max(1),
            by_tenant: Arc::new(RwLock::new(HashMap::new())),
            hooks: Arc::new(RwLock::new(Vec::new())),
            closed: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        };
        Events {
            local,
            postgres: None,
            alive: Arc::new(()),
        }
    }

    /// Events shared by every instance on this Postgres database.
    pub fn postgres(url: &str, buffer: usize) -> Events {
        let events = Events::local(buffer);
        let (tx, rx) = sync_channel::<Event>(PUBLISH_QUEUE);
        let publisher_url = url.to_owned();
        std::thread::Builder::new()
            .name("events-notify".into())
            .spawn(move || publish_loop(&publisher_url, rx))
            .expect("spawn the event publisher");
        let listener_url = url.to_owned();
        let local = events.local.clone();
        let alive = Arc::downgrade(&events.alive);
        std::thread::Builder::new()
            .name("events-listen".into())
            .spawn(move || listen_loop(&listener_url, local, alive))
            .expect("spawn the event listener");
        Events {
            postgres: Some(tx),
            ..events
        }
    }

    /// Sends a typed event to every stream of the tenant (on every instance). Never blocks.
    pub fn send<T: Payload>(&self, tenant_id: i64, payload: &T) {
        self.publish(Event::of(tenant_id, payload));
    }

    /// Sends the event to every stream of its tenant (on every instance). Never blocks.
    pub fn publish(&self, event: Event) {
        // This instance acts on its own internal events at once, before its answer goes out;
        // the others hear of them over Postgres (and this one again, which changes nothing).
        if event.is_internal() && self.postgres.is_some() {
            self.local.send(event.clone());
        }
        match &self.postgres {
            None => {
                // No receiver (no stream open) is no error.
                self.local.send(event);
            }
            Some(tx) => match tx.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(e)) => {
                    log::warn!("event {} dropped: the publisher is behind", e.kind)
                }
                Err(TrySendError::Disconnected(e)) => {
                    log::error!("event {} dropped: the publisher stopped", e.kind)
                }
            },
        }
    }

    /// Runs `hook` on every internal event that reaches this instance (from any instance).
    pub fn on_internal(&self, hook: impl Fn(&Event) + Send + Sync + 'static) {
        let mut hooks = self.local.hooks.write().unwrap_or_else(|e| e.into_inner());
        hooks.push(Arc::new(hook));
    }

    /// The tenant's events from now on.
    pub fn subscribe(&self, tenant_id: i64) -> broadcast::Receiver<Arc<Event>> {
        self.local.subscribe(tenant_id)
    }

    /// Ends this instance's event streams (the server is stopping: a stream never ends by
    /// itself, and would hold the stop until actix's timeout). Clients reconnect, to another
    /// instance behind a load balancer; a stream opened from now on ends at once.
    pub fn close_streams(&self) {
        self.local.close();
    }

    /// How many event streams this instance has open (every tenant's).
    pub fn open_streams(&self) -> usize {
        let by_tenant = self
            .local
            .by_tenant
            .read()
            .unwrap_or_else(|e| e.into_inner());
        by_tenant.values().map(|tx| tx.receiver_count()).sum()
    }
}

/// The payload that crosses Postgres: the event, its longest text cut so it fits.
fn payload(event: &Event) -> String {
    let text = serde_json::to_string(event).unwrap_or_default();
    if text.len() <= MAX_PAYLOAD {
        return text;
    }
    let mut event = event.clone();
    if let Some(message) = event.data.get_mut("message") {
        let cut: String = message
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(500)
            .collect();
        *message = Value::String(cut);
        event.data["truncated"] = Value::Bool(true);
    }
    let text = serde_json::to_string(&event).unwrap_or_default();
    if text.len() <= MAX_PAYLOAD {
        text
    } else {
        serde_json::to_string(&Event::new(
            event.tenant_id,
            &event.kind,
            serde_json::json!({"ticketID": event.data.get("ticketID"), "truncated": true}),
        ))
        .unwrap_or_default()
    }
}

/// Sends what waits together: one transaction for up to `PUBLISH_BATCH` events.
fn publish_loop(url: &str, rx: std::sync::mpsc::Receiver<Event>) {
    let mut notifier = Notifier::new(url);
    while let Ok(event) = rx.recv() {
        let mut payloads = vec![payload(&event)];
        while payloads.len() < PUBLISH_BATCH {
            match rx.try_recv() {
                Ok(event) => payloads.push(payload(&event)),
                Err(_) => break,
            }
        }
        notifier.notify(CHANNEL, &payloads);
    }
}

fn listen_loop(url: &str, local: Channels, alive: Weak<()>) {
    while alive.strong_count() > 0 {
        let Some(mut listener) = Listener::connect(url, CHANNEL) else {
            continue;
        };
        // What was said while no connection listened is lost: whatever this instance keeps
        // of the others' news (the key cache) starts afresh.
        local.send(Event::new(0, RESYNC, Value::Null));
        while alive.strong_count() > 0 {
            let received = listener.receive(|text| match serde_json::from_str::<Event>(&text) {
                Ok(event) => local.send(event),
                Err(e) => log::warn!("events: unreadable payload: {e}"),
            });
            if let Err(e) = received {
                log::warn!("events: {e}");
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_to_fit_a_notify_payload() {
        let event = Event::new(
            1,
            "message",
            serde_json::json!({"ticketID": 7, "message": "x".repeat(20_000)}),
        );
        let text = payload(&event);
        assert!(text.len() <= MAX_PAYLOAD);
        let back: Event = serde_json::from_str(&text).unwrap();
        assert_eq!(back.data["ticketID"], 7);
        assert_eq!(back.data["truncated"], true);
    }

    #[tokio::test]
    async fn local_events_reach_subscribers_and_publishing_never_waits() {
        let events = Events::local(4);
        // Nobody listening: fine.
        events.publish(Event::new(1, "message", Value::Null));
        let mut rx = events.subscribe(1);
        // Another tenant's events are not in this tenant's channel.
        events.publish(Event::new(2, "message", Value::Null));
        for i in 0..10 {
            events.publish(Event::new(1, "typing", serde_json::json!({"n": i})));
        }
        // The oldest were dropped for this slow receiver, which is told how many.
        assert!(matches!(
            rx.recv().await,
            Err(broadcast::error::RecvError::Lagged(6))
        ));
        assert_eq!(rx.recv().await.unwrap().data["n"], 6);
    }
}
