//! A ticket's timeline: everything that happened on it, in time order — messages and notes,
//! attachments, chat events (typing, visited pages, the end) and the ticket's own changes,
//! each reply with the state of its delivery.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::attachment::Attachment;
use crate::db::models::chat_event::ChatEvent;
use crate::db::models::delivery::Delivery;
use crate::db::models::mail::Mail;
use crate::db::models::message::Message;
use crate::db::models::ticket_event::TicketEvent;
use crate::db::DbConnection;
use crate::domain::email::quote_start;
use crate::domain::time::iso;
use crate::error::ApiError;

/// A reply's delivery to the chat server, on the timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineDelivery {
    /// The delivery's id, or for an e-mail reply the mail's.
    pub id: i64,
    /// `queued`, `delivered` or `failed`; a mail: `queued`, `sent` or `failed`.
    pub state: String,
    /// `email` for an e-mail reply's mail; absent for a call to the chat server.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub channel: Option<&'static str>,
    /// An e-mail reply's recipient.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub to: Option<String>,
    pub attempts: i32,
    /// The chat server's last HTTP status.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
}

impl From<&Delivery> for TimelineDelivery {
    fn from(d: &Delivery) -> Self {
        TimelineDelivery {
            id: d.id,
            state: d.state.clone(),
            channel: None,
            to: None,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            delivered_at: d.delivered_at.map(iso),
        }
    }
}

impl From<Mail> for TimelineDelivery {
    fn from(mail: Mail) -> Self {
        TimelineDelivery {
            id: mail.id,
            state: mail.state,
            channel: Some("email"),
            to: Some(mail.to_address),
            attempts: mail.attempts,
            last_status: None,
            last_error: mail.last_error,
            delivered_at: mail.sent_at.map(iso),
        }
    }
}

/// A message (`type` `message`) or an internal note (`type` `note`).
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineMessage {
    /// `message` or `note`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: i64,
    /// `customer`, `agent` or `note`.
    pub author: String,
    pub user_id: Option<i64>,
    pub message: String,
    /// A customer's mail: where in `message` (in characters) the quoted history begins
    /// ("On … wrote:", or the `>` lines at its end). The console folds it; it is kept whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub quote_start: Option<usize>,
    pub message_number: i32,
    pub url: String,
    pub additional_data: String,
    /// An agent's reply on a chat ticket: its delivery.
    pub delivery: Option<TimelineDelivery>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A file (`type` `attachment`): from the chat server, on a customer's mail, or on an agent's
/// reply or note.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineAttachment {
    /// `attachment`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: i64,
    /// `customer` (from the chat server), `agent` (on a reply) or `note`.
    pub author: String,
    /// The reply, note or customer's mail it is attached to; `null` for a chat server's file.
    pub message_id: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub message_number: Option<i32>,
    /// Where to download it: `/api/v2/file/{id}`.
    pub url: String,
    /// An agent's file on a chat reply: its `uploadForCustomer` delivery; else `null`.
    pub delivery: Option<TimelineDelivery>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// What a chat event can be: the names `chat_events.kind` holds. (The two kinds of `event`
/// entries name different things, so an entry is one or the other.)
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ChatHappening {
    Startedtyping,
    Stoppedtyping,
    Expandedchat,
    Minimizedchat,
    Visited,
    Ended,
}

/// What a ticket change can be: the names `ticket_events.kind` holds. Besides agents'
/// changes, what a chat platform reports (JivoChat): its `agent`, `department`, the
/// `visitor`'s browser session (address, place, browser, campaign), the chat's `rating`,
/// `blacklisted`, a `call` (type, status, recording), a `crm_link`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TicketChange {
    Created,
    Title,
    Status,
    Priority,
    Assignment,
    Tags,
    PickedUp,
    Deleted,
    Agent,
    Department,
    Visitor,
    Rating,
    Blacklisted,
    Call,
    CrmLink,
}

/// Something that happened in the chat (`type` `event`): `startedtyping`, `stoppedtyping`,
/// `expandedchat`, `minimizedchat`, `visited` (with its `url`), `ended`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineChatEvent {
    /// `event`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(value_type = ChatHappening)]
    pub event: String,
    pub url: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A change to the ticket (`type` `event`): `created`, status, priority, assignment, tags,
/// `picked_up`, ..., with the values before and after.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineTicketEvent {
    /// `event`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(value_type = TicketChange)]
    pub event: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub user_id: Option<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// One entry of a ticket's timeline.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TimelineEntry {
    Message(TimelineMessage),
    Attachment(TimelineAttachment),
    ChatEvent(TimelineChatEvent),
    TicketEvent(TimelineTicketEvent),
}

/// The ticket's timeline, in time order; at one instant messages come first, then files,
/// chat events and ticket changes.
pub fn of_ticket(conn: &mut DbConnection, ticket_id: i64) -> Result<Vec<TimelineEntry>, ApiError> {
    let mut entries: Vec<(i64, u8, i64, TimelineEntry)> = Vec::new();
    // A reply's text delivery belongs to its message, each upload to its attachment.
    let (mut of_message, mut of_attachment) = (HashMap::new(), HashMap::new());
    for d in Delivery::of_ticket(conn, ticket_id)? {
        match (d.attachment_id, d.message_id) {
            (Some(a), _) => of_attachment.insert(a, TimelineDelivery::from(&d)),
            (None, Some(m)) => of_message.insert(m, TimelineDelivery::from(&d)),
            (None, None) => None,
        };
    }
    // An e-mail reply's mail, in the same shape.
    for mail in Mail::of_ticket(conn, ticket_id)? {
        if let Some(message) = mail.message_id {
            of_message.entry(message).or_insert_with(|| mail.into());
        }
    }
    for m in Message::of_ticket(conn, ticket_id)? {
        let entry = TimelineMessage {
            kind: if m.author == "note" {
                "note"
            } else {
                "message"
            },
            id: m.id,
            delivery: of_message.remove(&m.id),
            quote_start: (m.author == "customer")
                .then(|| quote_start(&m.body))
                .flatten(),
            author: m.author,
            user_id: m.user_id,
            message: m.body,
            message_number: m.message_number,
            url: m.url,
            additional_data: m.additional_data,
            created_at: iso(m.created_at),
        };
        entries.push((m.created_at, 0, m.id, TimelineEntry::Message(entry)));
    }
    for a in Attachment::of_ticket(conn, ticket_id)? {
        let entry = TimelineAttachment {
            kind: "attachment",
            id: a.id,
            author: a.author,
            message_id: a.message_id,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size_bytes,
            sha256: a.sha256,
            message_number: a.message_number,
            url: format!("/api/v2/file/{}", a.id),
            delivery: of_attachment.remove(&a.id),
            created_at: iso(a.created_at),
        };
        entries.push((a.created_at, 1, a.id, TimelineEntry::Attachment(entry)));
    }
    for e in ChatEvent::of_ticket(conn, ticket_id)? {
        let entry = TimelineChatEvent {
            kind: "event",
            event: e.kind,
            url: e.url,
            created_at: iso(e.created_at),
        };
        entries.push((e.created_at, 2, e.id, TimelineEntry::ChatEvent(entry)));
    }
    for e in TicketEvent::of_ticket(conn, ticket_id)? {
        let entry = TimelineTicketEvent {
            kind: "event",
            event: e.kind,
            from: e.old_value,
            to: e.new_value,
            user_id: e.user_id,
            created_at: iso(e.created_at),
        };
        entries.push((e.created_at, 3, e.id, TimelineEntry::TicketEvent(entry)));
    }
    entries.sort_by_key(|(at, source, id, _)| (*at, *source, *id));
    Ok(entries.into_iter().map(|(_, _, _, entry)| entry).collect())
}
