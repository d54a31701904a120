//! Calls back to chat servers: an agent's reply goes to `{chatServer}/messageForCustomer`,
//! each file an agent attaches to `{chatServer}/uploadForCustomer` (the JSON body carries the
//! bytes base64-encoded in `content`, read from the stored file when it is sent), and the
//! agent's typing to `{chatServer}/typingIndicatorForCustomer`.
//!
//! Every call is a row in `deliveries`, written in the transaction that stores what it
//! delivers, so it survives restarts of omnibridge and of the chat server. A worker claims due
//! rows under a lease, POSTs their JSON body signed with the chat account's secret
//! (`X-Omnibridge-Signature: sha256=<hex HMAC-SHA256 of the body>`), and retries failures
//! with exponential backoff and jitter until a 2xx answer or `max_attempts`. Delivery is at
//! least once: a chat server recognises repeats by `X-Omnibridge-Delivery`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::config::DeliverySettings;
use crate::db::models::attachment::Attachment;
use crate::db::models::chat_account::ChatAccount;
use crate::db::models::chat_session::ChatSession;
use crate::db::models::delivery::{Delivery, DELIVERED, FAILED, QUEUED};
use crate::db::models::user::User;
use crate::db::{now_millis, Db};
use crate::domain::retry::backoff_ms;
use crate::domain::time::iso;
use crate::error::ApiError;
use crate::services::events::{DeliveryChanged, Events};
use crate::services::notify;

pub const MESSAGE_FOR_CUSTOMER: &str = "messageForCustomer";
pub const UPLOAD_FOR_CUSTOMER: &str = "uploadForCustomer";
pub const TYPING_INDICATOR_FOR_CUSTOMER: &str = "typingIndicatorForCustomer";

/// What every call to a chat server says (which chat, which ticket, which agent, when),
/// with the fields of its kind beside them in one JSON object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCall<'a> {
    pub chat_server: &'a str,
    #[serde(rename = "chatSessionID")]
    pub chat_session_id: &'a str,
    pub chat_account_token: &'a str,
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    /// The agent who acts; `null` for a key bound to no agent.
    pub agent: Option<CallAgent<'a>>,
    pub sent_at: String,
}

#[derive(Serialize)]
pub struct CallAgent<'a> {
    pub id: i64,
    pub name: &'a str,
}

impl<'a> CustomerCall<'a> {
    pub fn new(
        session: &'a ChatSession,
        account: &'a ChatAccount,
        ticket_id: i64,
        agent: Option<&'a User>,
        now: i64,
    ) -> Self {
        CustomerCall {
            chat_server: &session.chat_server,
            chat_session_id: &session.chat_session_id,
            chat_account_token: &account.token,
            ticket_id,
            agent: agent.map(|u| CallAgent {
                id: u.id,
                name: &u.name,
            }),
            sent_at: iso(now),
        }
    }

    /// The body of one call: this envelope and the kind's own fields.
    pub fn with(&self, fields: impl Serialize) -> String {
        #[derive(Serialize)]
        struct Body<'b, 'a, T> {
            #[serde(flatten)]
            call: &'b CustomerCall<'a>,
            #[serde(flatten)]
            fields: T,
        }
        serde_json::to_string(&Body { call: self, fields }).expect("a call serializes")
    }
}

/// `messageForCustomer`: an agent's reply.
#[derive(Serialize)]
pub struct MessageForCustomer<'a> {
    #[serde(rename = "messageID")]
    pub message_id: i64,
    pub message: &'a str,
}

/// `uploadForCustomer`: a file an agent attached; `content` (base64) is added when sent.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadForCustomer<'a> {
    #[serde(rename = "messageID")]
    pub message_id: i64,
    #[serde(rename = "attachmentID")]
    pub attachment_id: i64,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub sha256: &'a str,
}

/// `typingIndicatorForCustomer`: `startedtyping` or `stoppedtyping`.
#[derive(Serialize)]
pub struct TypingIndicatorForCustomer<'a> {
    pub event: &'a str,
}

const CLAIM_BATCH: usize = 32;
/// Most deliveries one instance has in flight at once.
const MAX_IN_FLIGHT: usize = 256;
/// Most of them for one chat account: a chat server that answers slowly or never holds these
/// until their timeout, and the others' go on.
const MAX_IN_FLIGHT_PER_ACCOUNT: usize = 32;
const MAX_CONCURRENT_UPLOADS: usize = 2;
const MAX_ERROR_CHARS: usize = 500;

/// `{chatServer}/{path}`; a chatServer without a scheme is reached over HTTPS.
pub fn endpoint(chat_server: &str, path: &str) -> String {
    let base = chat_server.trim_end_matches('/');
    if base.contains("://") {
        format!("{base}/{path}")
    } else {
        format!("https://{base}/{path}")
    }
}

pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Starts the delivery worker on the current actix system; it stops with the server.
///
/// Each claimed ticket's deliveries go in a task of their own, one after another in the
/// order they were made (a reply's text before its files); the worker claims more as soon as
/// there is room, so a chat server that answers slowly or never delays nobody else's.
pub fn spawn_worker(db: Db, events: Events, settings: DeliverySettings, attachments_dir: PathBuf) {
    actix_web::rt::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .user_agent(concat!("omnibridge/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(client) => client,
            Err(e) => {
                log::error!("delivery worker cannot start its HTTP client: {e}");
                return;
            }
        };
        let sender = Rc::new(Sender {
            db,
            events,
            client,
            settings,
            dir: attachments_dir,
            // Uploads carry whole files in memory: only a few at a time.
            uploads: tokio::sync::Semaphore::new(MAX_CONCURRENT_UPLOADS),
            in_flight: RefCell::new(InFlight::default()),
            finished: tokio::sync::Notify::new(),
        });
        loop {
            let (room, busy_accounts) = sender.in_flight.borrow().room();
            if room == 0 {
                sender.finished.notified().await;
                continue;
            }
            let (owner, batch) =
                match claim(&sender.db, &sender.settings, room, busy_accounts).await {
                    Ok(claimed) => claimed,
                    Err(e) => {
                        log::warn!("delivery worker could not claim work: {e}");
                        (String::new(), Vec::new())
                    }
                };
            let full = batch.len() == room;
            let owner: Rc<str> = owner.into();
            for list in by_ticket(batch) {
                sender.in_flight.borrow_mut().add(&list);
                let (sender, owner) = (sender.clone(), owner.clone());
                actix_web::rt::spawn(async move {
                    let mut list = list.into_iter();
                    while let Some(d) = list.next() {
                        let account = d.chat_account_id;
                        let tried = sender.attempt(&owner, d).await;
                        sender.in_flight.borrow_mut().done(account);
                        sender.finished.notify_one();
                        match tried {
                            Tried::Done(Some((tenant, changed))) => {
                                sender.events.send(tenant, &changed)
                            }
                            Tried::Done(None) => {}
                            // The ticket's later ones must not overtake it: they wait for
                            // their leases to run out, and go after it.
                            Tried::NotOurs => {
                                for d in list.by_ref() {
                                    sender.in_flight.borrow_mut().done(d.chat_account_id);
                                }
                                sender.finished.notify_one();
                            }
                        }
                    }
                });
            }
            if !full {
                actix_web::rt::time::sleep(Duration::from_millis(sender.settings.poll_interval_ms))
                    .await;
            }
        }
    });
}

/// A claim's deliveries by ticket, each ticket's in the order they were made.
fn by_ticket(batch: Vec<Delivery>) -> Vec<Vec<Delivery>> {
    let mut tickets: Vec<Vec<Delivery>> = Vec::new();
    for d in batch {
        match tickets
            .iter_mut()
            .find(|list| list[0].ticket_id == d.ticket_id)
        {
            Some(list) => list.push(d),
            None => tickets.push(vec![d]),
        }
    }
    for list in &mut tickets {
        list.sort_by_key(|d| d.id);
    }
    tickets
}

/// What this instance has in flight, in all and per chat account.
#[derive(Default)]
struct InFlight {
    total: usize,
    by_account: HashMap<i64, usize>,
}

impl InFlight {
    /// How many more may be claimed, and the chat accounts that may have no more.
    fn room(&self) -> (usize, Vec<i64>) {
        let busy = self
            .by_account
            .iter()
            .filter(|(_, n)| **n >= MAX_IN_FLIGHT_PER_ACCOUNT)
            .map(|(account, _)| *account)
            .collect();
        let room = MAX_IN_FLIGHT.saturating_sub(self.total).min(CLAIM_BATCH);
        (room, busy)
    }

    fn add(&mut self, list: &[Delivery]) {
        for d in list {
            self.total += 1;
            *self.by_account.entry(d.chat_account_id).or_default() += 1;
        }
    }

    fn done(&mut self, account: i64) {
        self.total = self.total.saturating_sub(1);
        if let Some(n) = self.by_account.get_mut(&account) {
            *n -= 1;
            if *n == 0 {
                self.by_account.remove(&account);
            }
        }
    }
}

/// What became of one delivery of a ticket's list.
enum Tried {
    /// Attempted and recorded (or never to be sent); what the tenant's streams are told.
    Done(Option<(i64, DeliveryChanged)>),
    /// Not attempted: its lease is no longer this instance's.
    NotOurs,
}

/// What the worker's tasks share.
struct Sender {
    db: Db,
    events: Events,
    client: reqwest::Client,
    settings: DeliverySettings,
    dir: PathBuf,
    uploads: tokio::sync::Semaphore,
    in_flight: RefCell<InFlight>,
    /// Told each time a delivery is done: there is room to claim more.
    finished: tokio::sync::Notify,
}

async fn claim(
    db: &Db,
    settings: &DeliverySettings,
    limit: usize,
    busy_accounts: Vec<i64>,
) -> Result<(String, Vec<Delivery>), ApiError> {
    let owner = uuid::Uuid::new_v4().to_string();
    let lease = settings.lease_seconds as i64 * 1000;
    let token = owner.clone();
    let batch = db
        .write(move |conn| {
            let now = now_millis();
            Delivery::claim(conn, &token, now, now + lease, limit as i64, &busy_accounts)
        })
        .await?;
    Ok((owner, batch))
}

/// Why a delivery's body could not be made.
enum Unsendable {
    /// The file is gone (purged, or its ticket deleted): it can never be sent.
    Gone(String),
    /// Something that may pass (the database, the disk): try again later.
    Transient(String),
}

/// The exact bytes to send: the stored body, and for an upload the file's bytes added
/// (`"content"`: base64, spliced into the stored JSON object).
async fn body_of(db: &Db, dir: &Path, d: &Delivery) -> Result<Vec<u8>, Unsendable> {
    let Some(attachment_id) = d.attachment_id else {
        return Ok(d.body.clone().into_bytes());
    };
    let tenant = d.tenant_id;
    let file = db
        .read(move |conn| Attachment::find(conn, tenant, attachment_id))
        .await
        .map_err(|e| match e {
            ApiError::Missing(_) => Unsendable::Gone(format!("attachment {attachment_id} is gone")),
            e => Unsendable::Transient(format!("attachment {attachment_id}: {e}")),
        })?;
    let bytes = tokio::fs::read(dir.join(&file.storage_key))
        .await
        .map_err(|e| {
            let text = format!("attachment {attachment_id} cannot be read: {e}");
            if e.kind() == std::io::ErrorKind::NotFound {
                Unsendable::Gone(text)
            } else {
                Unsendable::Transient(text)
            }
        })?;
    let stored = d.body.trim_end();
    let Some(open) = stored.strip_suffix('}') else {
        return Err(Unsendable::Gone("stored body is not a JSON object".into()));
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    drop(bytes);
    let mut body = String::with_capacity(open.len() + encoded.len() + 16);
    body.push_str(open);
    body.push_str(",\"content\":\"");
    body.push_str(&encoded);
    body.push_str("\"}");
    Ok(body.into_bytes())
}

impl Sender {
    /// One attempt, recorded; what it came to, for the tenant's streams (not for typing
    /// indicators, which nobody watches), if this instance still held the delivery.
    async fn attempt(&self, owner: &str, d: Delivery) -> Tried {
        let (db, client, settings, dir, uploads) = (
            &self.db,
            &self.client,
            &self.settings,
            &self.dir,
            &self.uploads,
        );
        let _permit = match d.attachment_id {
            Some(_) => uploads.acquire().await.ok(),
            None => None,
        };
        // The lease was taken with the ticket's others, and this one may have waited for them
        // (and for an upload's turn): it is renewed for this attempt, or it is no longer ours.
        let (id, holder) = (d.id, owner.to_owned());
        let lease = settings.lease_seconds as i64 * 1000;
        let renewed = db
            .write(move |conn| Delivery::renew_lease(conn, id, &holder, now_millis() + lease))
            .await;
        match renewed {
            Ok(true) => {}
            Ok(false) => {
                log::info!("delivery {id}: its lease ran out and went to another claim");
                return Tried::NotOurs;
            }
            Err(e) => {
                log::warn!("delivery {id}: lease not renewed ({e}); it is tried again later");
                return Tried::NotOurs;
            }
        }
        let (tenant, account_id) = (d.tenant_id, d.chat_account_id);
        let secret = db
            .read(move |conn| ChatAccount::find(conn, tenant, account_id).map(|a| a.secret))
            .await;
        let secret = match secret {
            Ok(secret) => secret,
            Err(e) => {
                log::error!("delivery {} has no chat account: {e}", d.id);
                return Tried::Done(None);
            }
        };
        let outcome = match body_of(db, dir, &d).await {
            Ok(body) => {
                let signature = sign(&secret, &body);
                Ok(client
                    .post(&d.url)
                    .header("Content-Type", "application/json")
                    .header("X-Omnibridge-Signature", signature)
                    .header("X-Omnibridge-Delivery", d.id.to_string())
                    .body(body)
                    .send()
                    .await)
            }
            Err(gone) => Err(gone),
        };
        let attempts = d.attempts + 1;
        let now = now_millis();
        let (state, next, status, error, delivered) = match outcome {
            Err(Unsendable::Gone(gone)) => {
                log::warn!("delivery {} cannot be sent: {gone}", d.id);
                (FAILED, now, None, Some(gone), None)
            }
            Err(Unsendable::Transient(e)) => {
                log::warn!("delivery {}: {e}", d.id);
                let state = if attempts >= settings.max_attempts {
                    FAILED
                } else {
                    QUEUED
                };
                (
                    state,
                    now + backoff_ms(attempts, settings),
                    None,
                    Some(e),
                    None,
                )
            }
            Ok(Ok(response)) if response.status().is_success() => (
                DELIVERED,
                now,
                Some(response.status().as_u16() as i32),
                None,
                Some(now),
            ),
            Ok(other) => {
                let (status, error) = match other {
                    Ok(response) => {
                        let status = response.status().as_u16() as i32;
                        let text = response.text().await.unwrap_or_default();
                        (
                            Some(status),
                            text.chars().take(MAX_ERROR_CHARS).collect::<String>(),
                        )
                    }
                    Err(e) => (None, e.to_string().chars().take(MAX_ERROR_CHARS).collect()),
                };
                let state = if attempts >= settings.max_attempts {
                    FAILED
                } else {
                    QUEUED
                };
                log::info!(
                    "delivery {} attempt {attempts} failed ({status:?}): {error}",
                    d.id
                );
                (
                    state,
                    now + backoff_ms(attempts, settings),
                    status,
                    Some(error),
                    None,
                )
            }
        };
        let owner = owner.to_owned();
        let changed = DeliveryChanged {
            ticket_id: d.ticket_id,
            delivery_id: d.id,
            message_id: d.message_id,
            attachment_id: d.attachment_id,
            state: state.to_owned(),
            attempts,
            last_error: error.clone(),
        };
        let (tenant, watched) = (d.tenant_id, d.kind != TYPING_INDICATOR_FOR_CUSTOMER);
        let recorded = db
            .write(move |conn| {
                let ours = Delivery::record_attempt(
                    conn,
                    d.id,
                    &owner,
                    state,
                    attempts,
                    next,
                    status,
                    error.as_deref(),
                    delivered,
                )?;
                if ours && state == FAILED && d.kind == MESSAGE_FOR_CUSTOMER {
                    if let Some(message) = d.message_id {
                        notify::reply_failed(conn, d.tenant_id, d.ticket_id, message, now)?;
                    }
                }
                Ok(ours)
            })
            .await;
        match recorded {
            Ok(true) if watched => Tried::Done(Some((tenant, changed))),
            Ok(_) => Tried::Done(None),
            Err(e) => {
                // The lease runs out and the delivery is tried again: at least once.
                log::warn!(
                    "delivery {}: outcome not recorded: {e}",
                    changed.delivery_id
                );
                Tried::Done(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_default_to_https_and_keep_a_given_scheme() {
        assert_eq!(
            endpoint("chat.example.com:8443", "messageForCustomer"),
            "https://chat.example.com:8443/messageForCustomer"
        );
        assert_eq!(
            endpoint("http://127.0.0.1:9000/hooks/", "x"),
            "http://127.0.0.1:9000/hooks/x"
        );
    }

    #[test]
    fn signatures_are_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
