//! Chats become tickets: the first message or attachment of a session creates its customer,
//! ticket and session in one transaction; later ones are appended to that ticket.

use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::batch::Batcher;
use crate::db::models::chat_account::ChatAccount;
use crate::db::models::chat_event::ChatEvent;
use crate::db::models::chat_session::{ChatSession, NewChatSession, STATE_ENDED, STATE_WAITING};
use crate::db::models::customer::{ContactDetails, Customer};
use crate::db::models::customer_external_id::CustomerExternalId;
use crate::db::models::message::{Message, NewMessage};
use crate::db::models::ticket::{NewTicket, Ticket};
use crate::db::{now_millis, Db, DbConnection};
use crate::domain::chat_requests::{ChatEventName, NewChatMessage, SessionRef};
use crate::error::ApiError;
use crate::services::events::{
    ChatEventHappened, Events, MessageReceived, PageVisited, SessionEnded,
};
use crate::services::notify;
use crate::services::queue::WaitModel;

const TITLE_CHARS: usize = 80;
const MAX_IDEMPOTENCY_KEY: usize = 200;
/// The most of a message an event carries.
const EVENT_TEXT_CHARS: usize = 2000;

/// A ticket's subject: the first line of the first message, cut to 80 characters.
pub fn ticket_title(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let title: String = line.chars().take(TITLE_CHARS).collect();
    if title.is_empty() {
        "Chat".to_owned()
    } else {
        title
    }
}

/// What creates a session's ticket, if the session is new.
pub struct FirstContact<'a> {
    pub title: &'a str,
    pub channel_id: i32,
    pub source_url: &'a str,
    pub contact: &'a ContactDetails,
    /// What another system calls the customer (source, id), e.g. JivoChat's visitor number.
    pub external: Option<(&'a str, &'a str)>,
    /// A deleted ticket's session gives way to a new one (as a phone number's does), rather
    /// than refusing what comes.
    pub renew_if_deleted: bool,
    /// The group a new chat's ticket goes to instead of its account's (a JivoChat
    /// department's namesake).
    pub group: Option<i64>,
}

pub struct OpenedSession {
    pub session: ChatSession,
    pub created: bool,
}

/// The customer with this e-mail, else this phone, else this id in another system (source,
/// id: JivoChat's visitor number), updated with what the contact says; or a new one. The
/// other system's id is linked to whichever it is.
pub fn find_or_create_customer(
    conn: &mut DbConnection,
    tenant_id: i64,
    contact: &ContactDetails,
    external: Option<(&str, &str)>,
) -> Result<i64, ApiError> {
    let found = match &contact.email {
        Some(email) => Customer::find_by_email(conn, tenant_id, email)?,
        None => None,
    };
    let found = match (found, &contact.phone) {
        (None, Some(phone)) => Customer::find_by_phone(conn, tenant_id, phone)?,
        (found, _) => found,
    };
    let found = match (found, external) {
        (None, Some((source, id))) => {
            match CustomerExternalId::customer_of(conn, tenant_id, source, id)? {
                Some(customer) => {
                    Some(Customer::find_including_deleted(conn, tenant_id, customer)?)
                }
                None => None,
            }
        }
        (found, _) => found,
    };
    // Another chat may take the same e-mail or phone at the same moment: the unique index
    // refuses one of the two, whose retry then finds the other's customer.
    let id = match found {
        Some(customer) => {
            customer
                .apply_contact(conn, contact)
                .map_err(ApiError::raced)?;
            customer.id
        }
        None => Customer::create(conn, tenant_id, contact).map_err(ApiError::raced)?,
    };
    if let Some((source, external_id)) = external {
        CustomerExternalId::link(conn, tenant_id, id, source, external_id)?;
    }
    Ok(id)
}

/// Finds the session of (tenant, chatServer, chatSessionID) or creates it with its customer
/// and ticket. Runs inside the caller's write transaction; losing a creation race to a
/// concurrent request is `ApiError::Conflict`, and the retried transaction finds the winner's.
pub fn open_session(
    conn: &mut DbConnection,
    account: &ChatAccount,
    chat_server: &str,
    chat_session_id: &str,
    first: &FirstContact<'_>,
    now: i64,
) -> Result<OpenedSession, ApiError> {
    let tenant_id = account.tenant_id;
    let found =
        ChatSession::find_with_ticket_deleted(conn, tenant_id, chat_server, chat_session_id)?;
    let found = match found {
        Some((session, true)) => {
            if !chat_session_id.starts_with('+') && !first.renew_if_deleted {
                // What went on a deleted ticket would be stored where nobody sees it: say so.
                return Err(ApiError::invalid(
                    "chatSessionID",
                    "ticket_deleted",
                    "this chat's ticket was deleted: continue in a new session",
                ));
            }
            // A phone number's chat (WhatsApp, SMS) has no other session to continue in: the
            // old one steps aside, and this contact opens a new ticket.
            ChatSession::rename(conn, session.id, &format!("deleted-{}", session.id))?;
            None
        }
        found => found.map(|(session, _)| session),
    };
    if let Some(session) = found {
        if !first.contact.is_empty() {
            let customer_id = Ticket::customer_id(conn, session.ticket_id)?;
            Customer::find_including_deleted(conn, tenant_id, customer_id)?
                .apply_contact(conn, first.contact)
                .map_err(ApiError::raced)?;
        }
        return Ok(OpenedSession {
            session,
            created: false,
        });
    }
    let customer_id = find_or_create_customer(conn, tenant_id, first.contact, first.external)?;
    let ticket_id = Ticket::create(
        conn,
        &NewTicket {
            tenant_id,
            customer_id,
            title: first.title,
            status: "new",
            priority: "medium",
            channel_id: first.channel_id,
            direction: "inbound",
            source_url: first.source_url,
            created_at: now,
            updated_at: now,
            last_update_customer: Some(now),
            chat_state: Some(STATE_WAITING),
        },
    )?;
    if let Some(group) = first.group.or(account.group_id) {
        // The account's new chats go to its group (or to the one the chat asks for).
        Ticket::set_group_of(conn, &[ticket_id], Some(group))?;
    }
    // The chat account's row first, then the session's: the order a batch takes them in.
    let position = ChatSession::join_queue(conn, account.id, 1)?;
    // Entered once the row is ours: after every chat with a place before this one.
    let entered = now_millis().max(now);
    let initial_estimated_wait = WaitModel::load(conn, account)?.initial_estimate(position);
    let new = NewChatSession {
        tenant_id,
        chat_account_id: account.id,
        ticket_id,
        chat_server,
        chat_session_id,
        state: STATE_WAITING,
        queue_entered_at: entered,
        initial_estimated_wait,
        typing: false,
        created_at: now,
    };
    let id = ChatSession::insert_many(conn, std::slice::from_ref(&new))?[0].2;
    notify::new_chat(conn, tenant_id, ticket_id, now)?;
    Ok(OpenedSession {
        session: ChatSession {
            id,
            tenant_id,
            chat_account_id: account.id,
            ticket_id,
            chat_server: chat_server.to_owned(),
            chat_session_id: chat_session_id.to_owned(),
            state: STATE_WAITING.to_owned(),
            queue_entered_at: entered,
            initial_estimated_wait,
            picked_up_at: None,
            ended_at: None,
        },
        created: true,
    })
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageOutcome {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    #[serde(rename = "messageID")]
    pub message_id: i64,
    pub ticket_created: bool,
    pub duplicate: bool,
}

/// How a retry is recognised: the `Idempotency-Key` header (checked here), and an explicit
/// messageNumber with the same text (its retry key). Without either, every message is new.
pub fn retry_keys(
    idempotency_key: Option<&str>,
    message_number: Option<i32>,
    text: &str,
) -> Result<(Option<String>, Option<String>), ApiError> {
    if let Some(key) = idempotency_key {
        if key.is_empty()
            || key.len() > MAX_IDEMPOTENCY_KEY
            || !key.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(ApiError::validation(
                "Idempotency-Key",
                "pattern",
                Some("1 to 200 visible ASCII characters"),
            ));
        }
    }
    let retry =
        message_number.map(|n| format!("{n}:{}", hex::encode(Sha256::digest(text.as_bytes()))));
    Ok((idempotency_key.map(str::to_owned), retry))
}

/// A customer's message, as it waits to be stored.
pub struct PendingMessage {
    pub tenant_id: i64,
    pub message: NewChatMessage,
    pub idempotency_key: Option<String>,
    pub retry_key: Option<String>,
}

impl PendingMessage {
    /// Its row, on the session's ticket.
    pub fn row(&self, ticket_id: i64, session_id: i64, now: i64) -> NewMessage<'_> {
        let msg = &self.message;
        NewMessage {
            tenant_id: self.tenant_id,
            ticket_id,
            session_id: Some(session_id),
            author: "customer",
            body: &msg.message,
            message_number: msg.message_number.unwrap_or(1),
            url: &msg.url,
            additional_data: &msg.additional_data,
            used_predefined_user_input: msg.used_predefined_user_input,
            external_address_overwrite: &msg.external_address_overwrite,
            idempotency_key: self.idempotency_key.as_deref(),
            retry_key: self.retry_key.as_deref(),
            created_at: now,
            user_id: None,
        }
    }
}

/// Postgres stores customers' messages in batches (see `message_batch`); SQLite's writer
/// batches every write already.
pub type MessageBatcher = Batcher<PendingMessage, MessageOutcome>;

/// A customer's message: stored (with the session, ticket and customer on a first contact),
/// then told to the tenant's streams unless it was a retry.
pub async fn record_message(
    db: &Db,
    events: &Events,
    batcher: &MessageBatcher,
    tenant_id: i64,
    msg: NewChatMessage,
    idempotency_key: Option<String>,
) -> Result<MessageOutcome, ApiError> {
    let (session_id, text): (String, String) = (
        msg.chat_session_id.clone(),
        msg.message.chars().take(EVENT_TEXT_CHARS).collect(),
    );
    let (idempotency_key, retry_key) =
        retry_keys(idempotency_key.as_deref(), msg.message_number, &msg.message)?;
    let pending = PendingMessage {
        tenant_id,
        message: msg,
        idempotency_key,
        retry_key,
    };
    let outcome = match batcher.write(pending).await {
        Ok(stored) => stored?,
        Err(pending) => db.write(move |conn| store_message(conn, &pending)).await?,
    };
    if !outcome.duplicate {
        events.send(
            tenant_id,
            &MessageReceived {
                ticket_id: outcome.ticket_id,
                chat_session_id: session_id,
                message_id: outcome.message_id,
                message: text,
                ticket_created: outcome.ticket_created,
            },
        );
    }
    Ok(outcome)
}

/// A customer's message by itself, inside the caller's transaction.
pub fn store_message(
    conn: &mut DbConnection,
    pending: &PendingMessage,
) -> Result<MessageOutcome, ApiError> {
    let (tenant_id, msg) = (pending.tenant_id, &pending.message);
    let now = now_millis();
    let plain =
        msg.customer_name.is_none() && msg.email_address.is_none() && msg.phone_number.is_none();
    if plain {
        // Most messages go to a chat that is open: one lookup, the insert, the ticket's time.
        let open = ChatSession::open_chat_of(
            conn,
            tenant_id,
            &msg.chat_server,
            &msg.chat_session_id,
            &msg.chat_account_token,
        )?;
        if let Some(chat) = open.filter(|c| c.account_known && !c.ticket_deleted) {
            let row = pending.row(chat.ticket_id, chat.session_id, now);
            let inserted = Message::insert_once(conn, &row)?;
            if !inserted.duplicate {
                Ticket::touch_by_customer(conn, chat.ticket_id, now)?;
            }
            return Ok(MessageOutcome {
                ticket_id: chat.ticket_id,
                message_id: inserted.id,
                ticket_created: false,
                duplicate: inserted.duplicate,
            });
        }
    }
    // Otherwise the whole way: an unknown account (404), a deleted ticket, contact details
    // to apply, a new chat.
    let account = ChatAccount::find_by_token(conn, tenant_id, &msg.chat_account_token)?;
    let title = ticket_title(&msg.message);
    let contact = ContactDetails {
        name: msg.customer_name.clone(),
        email: msg.email_address.clone(),
        phone: msg.phone_number.clone(),
    };
    let first = FirstContact {
        title: &title,
        channel_id: msg.channel_id,
        source_url: &msg.url,
        contact: &contact,
        external: None,
        renew_if_deleted: false,
        group: None,
    };
    let opened = open_session(
        conn,
        &account,
        &msg.chat_server,
        &msg.chat_session_id,
        &first,
        now,
    )?;
    let session = &opened.session;
    let inserted = Message::insert_once(conn, &pending.row(session.ticket_id, session.id, now))?;
    // A ticket made for this message has its times already.
    if !inserted.duplicate && !opened.created {
        Ticket::touch_by_customer(conn, session.ticket_id, now)?;
    }
    Ok(MessageOutcome {
        ticket_id: session.ticket_id,
        message_id: inserted.id,
        ticket_created: opened.created,
        duplicate: inserted.duplicate,
    })
}

fn existing_session(
    conn: &mut DbConnection,
    tenant_id: i64,
    session: &SessionRef,
) -> Result<ChatSession, ApiError> {
    ChatSession::find(
        conn,
        tenant_id,
        &session.chat_server,
        &session.chat_session_id,
    )?
    .ok_or(ApiError::UnknownChatSession)
}

/// `notifyUserNewChatEvent`'s fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventRecorded {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    pub event: ChatEventName,
}

/// Records a widget event (typing, expanded, minimized) on the session; typing is told to the
/// tenant's streams.
pub async fn record_event(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    session: SessionRef,
    event: ChatEventName,
) -> Result<EventRecorded, ApiError> {
    let session_id = session.chat_session_id.clone();
    let name = event.name();
    let ticket_id = db
        .write(move |conn| {
            let now = now_millis();
            let s = existing_session(conn, tenant_id, &session)?;
            let typing = match event {
                ChatEventName::Startedtyping => Some(true),
                ChatEventName::Stoppedtyping => Some(false),
                _ => None,
            };
            ChatSession::record_event(conn, s.id, name, typing, now)?;
            ChatEvent::record(conn, tenant_id, s.ticket_id, s.id, name, None, now)?;
            Ok(s.ticket_id)
        })
        .await?;
    if typing_event(event) {
        events.send(
            tenant_id,
            &ChatEventHappened {
                ticket_id,
                chat_session_id: session_id,
                event: name.to_owned(),
            },
        );
    }
    Ok(EventRecorded { ticket_id, event })
}

fn typing_event(event: ChatEventName) -> bool {
    matches!(
        event,
        ChatEventName::Startedtyping | ChatEventName::Stoppedtyping
    )
}

/// `notifyUserVisited`'s fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitRecorded {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
}

/// Appends a page to the session's trail and tells the tenant's streams.
pub async fn record_visit(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    session: SessionRef,
    url: String,
) -> Result<VisitRecorded, ApiError> {
    let (session_id, visited) = (session.chat_session_id.clone(), url.clone());
    let ticket_id = db
        .write(move |conn| {
            let s = existing_session(conn, tenant_id, &session)?;
            ChatEvent::record(
                conn,
                tenant_id,
                s.ticket_id,
                s.id,
                "visited",
                Some(&url),
                now_millis(),
            )?;
            Ok(s.ticket_id)
        })
        .await?;
    events.send(
        tenant_id,
        &PageVisited {
            ticket_id,
            chat_session_id: session_id,
            url: visited,
        },
    );
    Ok(VisitRecorded { ticket_id })
}

/// `notifyUserEndChat`'s fields.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatEnded {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    /// The session had ended before: nothing changed.
    pub already_ended: bool,
}

/// Ends the session (it leaves the queue) and tells the tenant's streams, unless it had
/// ended already.
pub async fn end_chat(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    session: SessionRef,
) -> Result<ChatEnded, ApiError> {
    let session_id = session.chat_session_id.clone();
    let (ticket_id, already_ended) = db
        .write(move |conn| {
            let now = now_millis();
            let s = existing_session(conn, tenant_id, &session)?;
            // The ticket row first, then the session: the order replies and assignments take
            // them in, so the two never deadlock on Postgres.
            Ticket::set_chat_state(conn, s.ticket_id, STATE_ENDED)?;
            // Read again under the ticket's lock: a pick-up that got there first shows.
            let s = existing_session(conn, tenant_id, &session)?;
            let ended_now = ChatSession::end(conn, s.id, now)?;
            if ended_now {
                ChatEvent::record(conn, tenant_id, s.ticket_id, s.id, "ended", None, now)?;
                let account = ChatAccount::find(conn, tenant_id, s.chat_account_id)?;
                notify::transcript(conn, &account, s.ticket_id, now)?;
                if s.state == STATE_WAITING {
                    notify::missed_chat(conn, tenant_id, s.ticket_id, now)?;
                }
            }
            Ok((s.ticket_id, !ended_now))
        })
        .await?;
    if !already_ended {
        events.send(
            tenant_id,
            &SessionEnded {
                ticket_id,
                chat_session_id: session_id,
            },
        );
    }
    Ok(ChatEnded {
        ticket_id,
        already_ended,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_the_first_line_cut_to_80_characters() {
        assert_eq!(ticket_title("\n  Hello there\nsecond"), "Hello there");
        let long = "é".repeat(100);
        assert_eq!(ticket_title(&long).chars().count(), 80);
        assert_eq!(ticket_title("   "), "Chat");
    }

    #[test]
    fn retries_are_recognised_by_key_and_by_number_and_text() {
        let (key, retry) = retry_keys(Some("abc"), Some(3), "x").unwrap();
        assert_eq!(key.as_deref(), Some("abc"));
        assert!(retry.unwrap().starts_with("3:"));
        let a = retry_keys(None, Some(3), "hello").unwrap();
        assert_eq!(a, retry_keys(None, Some(3), "hello").unwrap());
        assert_ne!(a, retry_keys(None, Some(3), "hello!").unwrap());
        assert_eq!(retry_keys(None, None, "hello").unwrap(), (None, None));
        assert!(retry_keys(Some("bad key"), None, "x").is_err());
    }
}
