//! Real-time events for agents: what happens in chats, as it happens, to every stream of the
//! tenant (`GET /api/v2/notification/stream`).
//!
//! Events are published after their write has committed. In one process they go through a
//! bounded broadcast channel per tenant: a publisher never waits, and a stream that falls
//! behind loses the oldest events and is told so (`lagged`). With Postgres they cross instances: a
//! publisher thread sends each event with `pg_notify` on its own connection, and a listener
//! thread in every instance (`LISTEN omnibridge_events`) feeds what arrives into its local
//! channel; so every instance, the publishing one too, delivers each event once.
//!
//! Every event a stream shows has an id, and each instance keeps the tenant's recent events
//! (`server.stream_replay_seconds`) in the order it received them: a client that reconnects
//! with `Last-Event-ID` gets what came after that event, or `resync` when it is no longer
//! kept. On Postgres the ids come from one sequence, and Postgres hands notifications to every
//! listener in commit order, so every instance keeps the same events in the same order and a
//! client may reconnect to any of them. An instance whose listening connection broke missed
//! what was said meanwhile: it forgets what it kept and sends `resync` to its streams.
//! Postgres' publishers also keep events in `stream_events`, for an instance that does not
//! have the id; SQLite's one instance writes what it keeps there when it stops and reads it
//! back when it starts (`keep`).

mod keep;
pub mod sse;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

use crate::db::models::stream_event::StreamEvent;
use crate::db::pubsub::{KeptEvents, Listener, Notifier};
use crate::db::Db;
use crate::error::ApiError;

const CHANNEL: &str = "omnibridge_events";
/// Postgres refuses NOTIFY payloads of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;
/// Events waiting for the publisher thread; more are dropped (and logged), never waited for.
const PUBLISH_QUEUE: usize = 4096;
/// Most events one NOTIFY transaction takes.
const PUBLISH_BATCH: usize = 256;
/// Most events kept per tenant for streams that reconnect, however recent.
const REPLAY_MAX: usize = 10_000;
/// How long events are kept for streams that reconnect, unless set otherwise.
const REPLAY_DEFAULT: Duration = Duration::from_secs(300);
/// How long a stream that resumes after an event this instance has not heard yet waits for it.
const RESUME_WAIT: Duration = Duration::from_secs(2);
/// Most tickets one `_tickets_purged` names (its payload must fit a NOTIFY).
const PURGED_PER_EVENT: usize = 300;
/// How often the publisher drops events kept in the database longer than their time.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// How long a starting instance on Postgres waits for its listening connection before it
/// serves anyway.
const FIRST_LISTEN_WAIT: Duration = Duration::from_secs(5);
/// Where an instance numbers its events itself (SQLite), an event's id is at least the
/// millisecond it was published at times this: ids follow the clock (one from before a
/// restart is never taken for one after it, and the oldest are a range of ids).
const IDS_PER_MILLI: i64 = 1000;

/// One event: its tenant, its type (`message`, `typing`, `visited`, `chat_ended`,
/// `ticket_updated`, `attachment`, `delivery`) and what it says (`ticketID`, `chatSessionID`, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// Its place in the event stream (the SSE `id`); none for internal events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub tenant_id: i64,
    pub kind: String,
    pub data: Value,
}

impl Event {
    pub fn new(tenant_id: i64, kind: &str, data: Value) -> Event {
        Event {
            id: None,
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
/// What a stream is told when events it should have had are lost to it: reload what it shows.
pub const STREAM_RESYNC: &str = "resync";

/// `_keys_revoked`: these API keys (by prefix) are revoked; every instance forgets them.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeysRevoked {
    pub prefixes: Vec<String>,
}

impl Payload for KeysRevoked {
    const KIND: &'static str = "_keys_revoked";
}

/// `_tickets_purged`: a purge erased these tickets' data; every instance forgets the events it
/// keeps of them.
#[derive(Debug, Serialize, Deserialize)]
pub struct TicketsPurged {
    pub tickets: Vec<i64>,
}

impl Payload for TicketsPurged {
    const KIND: &'static str = "_tickets_purged";
}

/// The ticket an event is about, if any.
fn ticket_of(event: &Event) -> Option<i64> {
    event.data.get("ticketID").and_then(Value::as_i64)
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
    /// Recent events, for streams that reconnect. Taken before `by_tenant`.
    log: Arc<Mutex<ReplayLog>>,
    /// The last id this instance gave an event, where it numbers them itself (SQLite); on
    /// Postgres they come numbered.
    last_id: Option<Arc<AtomicI64>>,
    /// Counts what changed the log (an event kept, tickets forgotten), under its lock: a stop
    /// that wrote the log can tell whether it changed since.
    changes: Arc<AtomicU64>,
}

type Hook = Arc<dyn Fn(&Event) + Send + Sync>;

/// The next id after `last`: one more, or the clock's (`IDS_PER_MILLI`) if that is ahead.
fn next_id(last: &AtomicI64) -> i64 {
    let now = crate::db::now_millis().saturating_mul(IDS_PER_MILLI);
    let before = last
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some((last + 1).max(now))
        })
        .unwrap_or(now);
    (before + 1).max(now)
}

/// Each tenant's recent events, oldest first.
struct ReplayLog {
    keep: Duration,
    by_tenant: HashMap<i64, VecDeque<(Instant, Arc<Event>)>>,
    /// The highest id this instance has had.
    newest: i64,
}

impl ReplayLog {
    /// Keeps an event published `at`.
    fn push(&mut self, event: Arc<Event>, at: Instant) {
        self.newest = self.newest.max(event.id.unwrap_or(0));
        let keep = self.keep;
        let kept = self.by_tenant.entry(event.tenant_id).or_default();
        kept.push_back((at, event));
        while kept.len() > REPLAY_MAX || kept.front().is_some_and(|(at, _)| at.elapsed() > keep) {
            kept.pop_front();
        }
    }

    /// The tenant's events after the one with this id, if that one is still kept.
    fn after(&self, tenant_id: i64, id: i64) -> Option<Vec<Arc<Event>>> {
        let kept = self.by_tenant.get(&tenant_id)?;
        let at = kept
            .iter()
            .position(|(when, e)| e.id == Some(id) && when.elapsed() <= self.keep)?;
        Some(kept.iter().skip(at + 1).map(|(_, e)| e.clone()).collect())
    }
}

/// How a stream begins, after its opening line.
pub enum Resume {
    /// With what happens from now on.
    Live,
    /// With what came after the client's `Last-Event-ID`.
    Replay(Vec<Arc<Event>>),
    /// With `resync`: what came after the client's `Last-Event-ID` is no longer kept.
    Resync,
}

/// A stream's events: how it begins, then the tenant's channel.
pub struct Subscription {
    pub resume: Resume,
    pub rx: broadcast::Receiver<Arc<Event>>,
}

impl Channels {
    fn new(buffer: usize, numbered_here: bool) -> Channels {
        Channels {
            buffer: buffer.max(1),
            by_tenant: Arc::new(RwLock::new(HashMap::new())),
            hooks: Arc::new(RwLock::new(Vec::new())),
            closed: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            log: Arc::new(Mutex::new(ReplayLog {
                keep: REPLAY_DEFAULT,
                by_tenant: HashMap::new(),
                newest: 0,
            })),
            last_id: numbered_here.then(|| Arc::new(AtomicI64::new(0))),
            changes: Arc::new(AtomicU64::new(0)),
        }
    }

    fn send(&self, mut event: Event) {
        if event.is_internal() {
            if event.kind == RESYNC {
                self.resync();
            }
            if event.kind == TicketsPurged::KIND {
                match serde_json::from_value::<TicketsPurged>(event.data.clone()) {
                    Ok(purged) => self.forget(event.tenant_id, &purged.tickets),
                    Err(e) => {
                        // Which tickets is unknown: forget everything kept.
                        log::warn!("events: unreadable {}: {e}", event.kind);
                        self.resync();
                    }
                }
            }
            let hooks = self.hooks.read().unwrap_or_else(|e| e.into_inner()).clone();
            hooks.iter().for_each(|hook| hook(&event));
            return;
        }
        // Numbered under the lock, so that ids rise in the order events are kept and sent.
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if let (Some(last), None) = (&self.last_id, event.id) {
            event.id = Some(next_id(last));
        }
        let event = Arc::new(event);
        if event.id.is_some() {
            log.push(event.clone(), Instant::now());
            self.changes.fetch_add(1, Ordering::SeqCst);
        }
        let by_tenant = self.by_tenant.read().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = by_tenant.get(&event.tenant_id) {
            // No receiver left is no error: the channel goes at the next subscribe.
            let _ = tx.send(event);
        }
    }

    /// Forgets the events kept of these tickets of the tenant (held for the database too).
    fn forget(&self, tenant_id: i64, tickets: &[i64]) {
        let tickets: std::collections::HashSet<i64> = tickets.iter().copied().collect();
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(kept) = log.by_tenant.get_mut(&tenant_id) {
            kept.retain(|(_, e)| !ticket_of(e).is_some_and(|t| tickets.contains(&t)));
        }
        self.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// How long events are kept.
    fn keep(&self) -> Duration {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).keep
    }

    /// The highest event id this instance has had.
    fn newest(&self) -> i64 {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).newest
    }

    /// Events were missed (the listening connection broke): what is kept has a hole in it, so
    /// it is forgotten, and every stream is told to reload.
    fn resync(&self) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.by_tenant.clear();
        self.changes.fetch_add(1, Ordering::SeqCst);
        let by_tenant = self.by_tenant.read().unwrap_or_else(|e| e.into_inner());
        for (tenant, tx) in by_tenant.iter() {
            let told = Event::new(
                *tenant,
                STREAM_RESYNC,
                serde_json::json!({"reason": "events may have been missed"}),
            );
            let _ = tx.send(Arc::new(told));
        }
    }

    fn subscribe(&self, tenant_id: i64, last_event_id: Option<&str>) -> Subscription {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let mut by_tenant = self.by_tenant.write().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            // A channel with no sender: the stream ends after its first line.
            return Subscription {
                resume: Resume::Live,
                rx: broadcast::channel(1).1,
            };
        }
        // Forget the channels whose streams have all closed.
        by_tenant.retain(|_, tx| tx.receiver_count() > 0);
        let rx = by_tenant
            .entry(tenant_id)
            .or_insert_with(|| broadcast::channel(self.buffer).0)
            .subscribe();
        let resume = match last_event_id {
            None => Resume::Live,
            Some(id) => match id
                .trim()
                .parse()
                .ok()
                .and_then(|id| log.after(tenant_id, id))
            {
                Some(missed) => Resume::Replay(missed),
                None => Resume::Resync,
            },
        };
        Subscription { resume, rx }
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
    /// Where the events kept for resuming streams are written when the server stops (SQLite).
    saved_in: Option<Db>,
}

impl Events {
    /// Events within this process only (SQLite: one instance), kept in memory.
    pub fn local(buffer: usize) -> Events {
        Events {
            local: Channels::new(buffer, true),
            postgres: None,
            alive: Arc::new(()),
            saved_in: None,
        }
    }

    /// How long events are kept for streams that reconnect (`server.stream_replay_seconds`).
    pub fn replay_for(self, keep: Duration) -> Events {
        self.local
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keep = keep;
        self
    }

    /// SQLite: takes back the events the last stop wrote to `db`, and writes this instance's
    /// to it when it stops (`stopped`), so that streams resume across a restart (see `keep`).
    /// Call after `replay_for`; keeping nothing (`replay_for(0)`) writes nothing. Blocks while
    /// it reads (at start).
    pub fn kept_in(mut self, db: &Db) -> Result<Events, ApiError> {
        let Some(last) = self.local.last_id.clone() else {
            return Ok(self); // Postgres: every event is in the database before it is sent.
        };
        let mut log = self.local.log.lock().unwrap_or_else(|e| e.into_inner());
        for (at, event) in keep::load(db, log.keep)? {
            last.fetch_max(event.id.unwrap_or(0), Ordering::Relaxed);
            log.push(Arc::new(event), at);
        }
        let keeping = !log.keep.is_zero();
        drop(log);
        if keeping {
            self.saved_in = Some(db.clone());
        }
        Ok(self)
    }

    /// The server has stopped: writes the events kept for resuming streams (SQLite, if
    /// `kept_in`), for the next start.
    pub async fn stopped(&self) {
        let Some(db) = &self.saved_in else {
            return;
        };
        // Workers (deliveries, retention, mail) may still publish or purge while this writes:
        // then what it wrote would lack that, so it writes nothing, or erases what it wrote.
        let changes = self.local.changes.clone();
        let (events, seen) = {
            let log = self.local.log.lock().unwrap_or_else(|e| e.into_inner());
            let now = crate::db::now_millis();
            let events = log
                .by_tenant
                .values()
                .flat_map(|kept| kept.iter())
                .filter(|(at, _)| at.elapsed() <= log.keep)
                .map(|(at, e)| (now - at.elapsed().as_millis() as i64, e.clone()))
                .collect();
            (events, changes.load(Ordering::SeqCst))
        };
        let unchanged = move || changes.load(Ordering::SeqCst) == seen;
        match keep::save(db, events, unchanged.clone()).await {
            Ok(n) if unchanged() => {
                log::info!("events: {n} kept for streams that resume after the restart")
            }
            Ok(_) => {
                log::warn!("events: changed while they were kept; streams resuming get resync");
                if let Err(e) = keep::erase(db).await {
                    log::warn!("events: those kept not erased: {e}");
                }
            }
            Err(e) => log::warn!("events: not kept for streams that resume: {e}"),
        }
    }

    /// Events shared by every instance on this Postgres database.
    pub fn postgres(url: &str, buffer: usize) -> Events {
        let events = Events {
            local: Channels::new(buffer, false),
            postgres: None,
            alive: Arc::new(()),
            saved_in: None,
        };
        let (tx, rx) = sync_channel::<Event>(PUBLISH_QUEUE);
        let publisher_url = url.to_owned();
        let told = events.local.clone();
        std::thread::Builder::new()
            .name("events-notify".into())
            .spawn(move || publish_loop(&publisher_url, rx, told))
            .expect("spawn the event publisher");
        let listener_url = url.to_owned();
        let local = events.local.clone();
        let alive = Arc::downgrade(&events.alive);
        let (listening, heard) = sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("events-listen".into())
            .spawn(move || listen_loop(&listener_url, local, alive, listening))
            .expect("spawn the event listener");
        // The instance serves once it hears the others: a stream opened before would be told
        // to resync as soon as the listener connects. If the database is slow to answer, it
        // serves anyway (its streams then resync).
        if heard.recv_timeout(FIRST_LISTEN_WAIT).is_err() {
            log::warn!("events: not listening yet; streams opened before it will resync");
        }
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
                    log::warn!("event {} dropped: the publisher is behind", e.kind);
                    // This instance's streams missed it: they reload.
                    self.local.send(Event::new(0, RESYNC, Value::Null));
                }
                Err(TrySendError::Disconnected(e)) => {
                    log::error!("event {} dropped: the publisher stopped", e.kind)
                }
            },
        }
    }

    /// A purge erased these tickets (committed): every instance forgets the events it keeps
    /// of them (on Postgres the publisher erases them from `stream_events` too, also those it
    /// kept after the purge's own erasure).
    pub async fn forget_tickets(&self, tenant_id: i64, tickets: Vec<i64>) {
        // In parts that fit a NOTIFY payload.
        for part in tickets.chunks(PURGED_PER_EVENT) {
            let event = Event::of(
                tenant_id,
                &TicketsPurged {
                    tickets: part.to_vec(),
                },
            );
            match &self.postgres {
                None => self.local.send(event),
                Some(tx) => {
                    // Never dropped for a full queue, as other events may be: waits for room.
                    self.local.send(event.clone());
                    let tx = tx.clone();
                    let sent = actix_web::web::block(move || tx.send(event).is_ok()).await;
                    if !matches!(sent, Ok(true)) {
                        log::error!("events: a purge not told to the other instances");
                    }
                }
            }
        }
    }

    /// Runs `hook` on every internal event that reaches this instance (from any instance).
    pub fn on_internal(&self, hook: impl Fn(&Event) + Send + Sync + 'static) {
        let mut hooks = self.local.hooks.write().unwrap_or_else(|e| e.into_inner());
        hooks.push(Arc::new(hook));
    }

    /// The tenant's events from now on, after those since `last_event_id` (a reconnecting
    /// client's `Last-Event-ID`) if they are still kept.
    pub fn subscribe(&self, tenant_id: i64, last_event_id: Option<&str>) -> Subscription {
        self.local.subscribe(tenant_id, last_event_id)
    }

    /// `subscribe`, for a client that may come from another instance: an id newer than any
    /// this instance has had means its listener has not heard it yet (it is milliseconds
    /// behind the other), so it waits for it, up to `RESUME_WAIT`, before answering `resync`.
    ///
    /// On Postgres, an id this instance does not keep in memory (it started after the event,
    /// or its listener broke since) is looked up in the database's `stream_events`: what came
    /// after it there is replayed, each event once (the live channel's copies are skipped).
    pub async fn resume(
        &self,
        db: &Db,
        tenant_id: i64,
        last_event_id: Option<&str>,
    ) -> Subscription {
        let wanted = last_event_id.and_then(|id| id.trim().parse::<i64>().ok());
        // Only instances that share events can be behind one another.
        if let (Some(id), Some(_)) = (wanted, &self.postgres) {
            let deadline = tokio::time::Instant::now() + RESUME_WAIT;
            while id > self.local.newest() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let mut subscription = self.subscribe(tenant_id, last_event_id);
        if let (Resume::Resync, Some(id), Some(_)) = (&subscription.resume, wanted, &self.postgres)
        {
            let kept_since = crate::db::now_millis() - self.local.keep().as_millis() as i64;
            let found = db
                .read(move |conn| StreamEvent::after(conn, tenant_id, id, kept_since))
                .await;
            match found {
                Ok(Some(rows)) => {
                    let missed = rows
                        .into_iter()
                        .map(|row| {
                            let mut event = Event::new(
                                row.tenant_id,
                                &row.kind,
                                serde_json::from_str(&row.data).unwrap_or(Value::Null),
                            );
                            event.id = Some(row.id);
                            Arc::new(event)
                        })
                        .collect();
                    subscription.resume = Resume::Replay(missed);
                }
                Ok(None) => {}
                Err(e) => log::warn!("events: kept events not read: {e}"),
            }
        }
        subscription
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
        let mut short = Event::new(
            event.tenant_id,
            &event.kind,
            serde_json::json!({"ticketID": event.data.get("ticketID"), "truncated": true}),
        );
        short.id = event.id;
        serde_json::to_string(&short).unwrap_or_default()
    }
}

/// Sends what waits together: one transaction for up to `PUBLISH_BATCH` events.
/// Each event numbered from the database's sequence (without a number if that fails: it is
/// still delivered, but a stream cannot resume after it).
fn publish_loop(url: &str, rx: std::sync::mpsc::Receiver<Event>, local: Channels) {
    let mut notifier = Notifier::new(url);
    let mut pruned = Instant::now();
    while let Ok(event) = rx.recv() {
        let mut batch = vec![event];
        while batch.len() < PUBLISH_BATCH {
            match rx.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        let shown: Vec<&mut Event> = batch.iter_mut().filter(|e| !e.is_internal()).collect();
        if let Some(ids) = notifier.next_ids(shown.len()) {
            for (event, id) in shown.into_iter().zip(ids) {
                event.id = Some(id);
            }
        }
        // Kept in the database too, for streams that resume where the event was not heard.
        let now = crate::db::now_millis();
        let mut kept = KeptEvents::default();
        for event in batch.iter().filter(|e| !e.is_internal()) {
            let Some(id) = event.id else { continue };
            kept.ids.push(id);
            kept.tenants.push(event.tenant_id);
            kept.tickets.push(ticket_of(event));
            kept.kinds.push(event.kind.clone());
            kept.data.push(event.data.to_string());
            kept.created_at.push(now);
        }
        // Events of tickets purged since are erased, those kept just now too.
        for event in batch.iter().filter(|e| e.kind == TicketsPurged::KIND) {
            if let Ok(purged) = serde_json::from_value::<TicketsPurged>(event.data.clone()) {
                kept.purged_tickets.extend(purged.tickets);
            }
        }
        let drop_before = (pruned.elapsed() >= PRUNE_EVERY).then(|| {
            pruned = Instant::now();
            now - local.keep().as_millis() as i64
        });
        if !notifier.keep(&kept, drop_before) {
            log::warn!("events: {} not kept for resuming streams", kept.ids.len());
        }
        let payloads: Vec<String> = batch.iter().map(payload).collect();
        if !notifier.notify(CHANNEL, &payloads) {
            // Every instance missed these (this one too): its streams reload.
            log::warn!("events: {} not published", payloads.len());
            local.send(Event::new(0, RESYNC, Value::Null));
        }
    }
}

fn listen_loop(url: &str, local: Channels, alive: Weak<()>, listening: SyncSender<()>) {
    while alive.strong_count() > 0 {
        let Some(mut listener) = Listener::connect(url, CHANNEL) else {
            continue;
        };
        // What was said while no connection listened is lost: whatever this instance keeps
        // of the others' news (the key cache) starts afresh.
        local.send(Event::new(0, RESYNC, Value::Null));
        let _ = listening.try_send(());
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
        let mut rx = events.subscribe(1, None).rx;
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

    fn ids(events: &[Arc<Event>]) -> Vec<i64> {
        events.iter().map(|e| e.id.unwrap()).collect()
    }

    #[tokio::test]
    async fn a_stream_that_reconnects_gets_what_came_after_its_last_event_or_resync() {
        let events = Events::local(16);
        let mut rx = events.subscribe(1, None).rx;
        for i in 0..5 {
            events.publish(Event::new(1, "typing", serde_json::json!({"n": i})));
            events.publish(Event::new(2, "typing", serde_json::json!({"n": i})));
        }
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(rx.recv().await.unwrap());
        }
        let numbers = ids(&seen);
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        // After the second: the third, fourth and fifth of this tenant, none of the other's.
        let after = events.subscribe(1, Some(&numbers[1].to_string()));
        match after.resume {
            Resume::Replay(missed) => assert_eq!(ids(&missed), numbers[2..]),
            _ => panic!("no replay"),
        }
        // After the last: nothing missed.
        match events.subscribe(1, Some(&numbers[4].to_string())).resume {
            Resume::Replay(missed) => assert!(missed.is_empty()),
            _ => panic!("no replay"),
        }
        // An id this instance never had (or no longer keeps), or no id at all: resync.
        for unknown in ["17", "not-a-number"] {
            assert!(matches!(
                events.subscribe(1, Some(unknown)).resume,
                Resume::Resync
            ));
        }
        assert!(matches!(events.subscribe(1, None).resume, Resume::Live));
        // Kept no longer than told.
        let events = Events::local(16).replay_for(Duration::ZERO);
        let mut rx = events.subscribe(1, None).rx;
        events.publish(Event::new(1, "typing", Value::Null));
        let id = rx.recv().await.unwrap().id.unwrap();
        std::thread::sleep(Duration::from_millis(2));
        assert!(matches!(
            events.subscribe(1, Some(&id.to_string())).resume,
            Resume::Resync
        ));
    }

    #[tokio::test]
    async fn a_broken_listening_connection_tells_every_stream_to_resync() {
        let events = Events::local(16);
        let mut first = events.subscribe(1, None).rx;
        let mut second = events.subscribe(2, None).rx;
        events.publish(Event::new(1, "typing", Value::Null));
        let had = first.recv().await.unwrap().id.unwrap();
        // What the listener thread tells its instance when it connected again.
        events.local.send(Event::new(0, RESYNC, Value::Null));
        assert_eq!(first.recv().await.unwrap().kind, STREAM_RESYNC);
        assert_eq!(second.recv().await.unwrap().kind, STREAM_RESYNC);
        // What was kept had a hole in it: forgotten.
        assert!(matches!(
            events.subscribe(1, Some(&had.to_string())).resume,
            Resume::Resync
        ));
    }
}
