//! `POST /api/v2/message`: an agent's reply or internal note on a ticket, with files; and
//! `POST /api/v2/message/typing`: the agent's typing indicator.

use std::path::Path;

use serde::Serialize;

use crate::db::models::attachment::{Attachment, NewAttachment};
use crate::db::models::chat_account::ChatAccount;
use crate::db::models::chat_session::{ChatSession, JIVOCHAT_SERVER, STATE_ENDED};
use crate::db::models::customer::Customer;
use crate::db::models::delivery::{Delivery, NewDelivery, QUEUED};
use crate::db::models::mail::{Mail, KIND_REPLY, QUEUED as MAIL_QUEUED};
use crate::db::models::message::{Message, NewMessage};
use crate::db::models::ticket::Ticket;
use crate::db::models::ticket_event::TicketEvent;
use crate::db::models::user::User;
use crate::db::{now_millis, Db, DbConnection};
use crate::domain::ticket::{CHANNEL_CHAT, CHANNEL_EMAIL};
use crate::domain::time::iso;
use crate::error::ApiError;
use crate::services::attachments::{place, remove_all, sanitize_name, PlacedFile, ReceivedFile};
use crate::services::delivery::{
    endpoint, CustomerCall, MessageForCustomer, TypingIndicatorForCustomer, UploadForCustomer,
    MESSAGE_FOR_CUSTOMER, TYPING_INDICATOR_FOR_CUSTOMER, UPLOAD_FOR_CUSTOMER,
};
use crate::services::events::{Events, TicketNow, TicketUpdated};
use crate::services::{mail, notify};

/// How a reply goes out: `note` (stored only) or a channel number.
#[derive(Debug, Clone)]
pub enum ReplyType {
    Note,
    Channel(i32),
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplyOutcome {
    pub message_id: i64,
    pub ticket_id: i64,
    /// `note` or `reply`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// `null` for a note; else the delivery's id and state (`queued` at first).
    pub delivery: Option<ReplyDelivery>,
    /// The files attached, each with its own upload delivery on a chat.
    pub attachments: Vec<ReplyAttachment>,
}

/// A reply's delivery to the chat server, as queued.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplyDelivery {
    /// Also the `X-Omnibridge-Delivery` header of every attempt; for an e-mail reply, the
    /// mail's id.
    pub id: i64,
    /// `email` for an e-mail reply; absent for a chat reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub channel: Option<&'static str>,
    /// An e-mail reply's recipient.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub to: Option<String>,
    /// `queued` at first.
    #[schema(example = "queued")]
    pub state: &'static str,
}

impl ReplyDelivery {
    fn queued(id: i64) -> ReplyDelivery {
        ReplyDelivery {
            id,
            channel: None,
            to: None,
            state: QUEUED,
        }
    }
}

/// A file attached to a reply or note.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplyAttachment {
    pub id: i64,
    /// Sanitized: never a path.
    pub file_name: String,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    /// Where agents download it: `/api/v2/file/{id}`.
    pub url: String,
    /// Its `uploadForCustomer` delivery on a chat reply; `null` on a note.
    pub delivery: Option<ReplyDelivery>,
}

/// Most mail servers refuse messages much over 25 MB; base64 adds a third.
pub const MAIL_MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// Where a reply goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Via {
    Note,
    Chat,
    Mail,
}

/// What an agent posts.
#[derive(Debug, Clone)]
pub struct Reply {
    pub kind: ReplyType,
    pub text: String,
    pub agent: Option<i64>,
    /// An e-mail reply's recipient instead of the customer's address.
    pub to_address: Option<String>,
}

/// An agent's reply or note with the files attached to it (received, not yet placed): the
/// files are put in place, the reply stored and its deliveries queued, and the tenant's
/// streams told (`ticket_updated`, change `reply` or `note`). Nothing stays behind if it
/// fails.
#[allow(clippy::too_many_arguments)]
pub async fn post(
    db: &Db,
    events: &Events,
    files_dir: &Path,
    tenant_id: i64,
    ticket_id: i64,
    request: Reply,
    received: Vec<(ReceivedFile, Option<String>)>,
) -> Result<ReplyOutcome, ApiError> {
    let mut files = Vec::with_capacity(received.len());
    for (file, claimed) in received {
        let name = sanitize_name(claimed.as_deref(), &file.content_type);
        match place(files_dir, tenant_id, file, name).await {
            Ok(placed) => files.push(placed),
            Err(e) => {
                remove_all(&files).await;
                return Err(e);
            }
        }
    }
    match store(db, tenant_id, ticket_id, request, files.clone()).await {
        Ok((outcome, now)) => {
            let change = if outcome.kind == "note" {
                "note"
            } else {
                "reply"
            };
            events.send(
                tenant_id,
                &TicketUpdated {
                    ticket_id,
                    change,
                    now: Some(now),
                },
            );
            Ok(outcome)
        }
        Err(e) => {
            // Nothing points at the files: the reply was not stored.
            remove_all(&files).await;
            Err(e)
        }
    }
}

/// Stores the reply or note with the files attached to it and, for a chat, queues its
/// deliveries: the text to `messageForCustomer`, then each file to `uploadForCustomer`.
/// The files are already in place.
async fn store(
    db: &Db,
    tenant_id: i64,
    ticket_id: i64,
    request: Reply,
    files: Vec<PlacedFile>,
) -> Result<(ReplyOutcome, TicketNow), ApiError> {
    let Reply {
        kind: reply,
        text,
        agent,
        to_address,
    } = request;
    db.write(move |conn| {
        let ticket = Ticket::find(conn, tenant_id, ticket_id)?;
        let agent_user = match agent {
            Some(id) => Some(
                User::find(conn, tenant_id, id)
                    .map_err(|e| e.unknown_as("userID", "no such agent"))?,
            ),
            None => None,
        };
        let now = now_millis();
        let session = ChatSession::of_ticket(conn, ticket.id)?;
        // E-mail goes to any ticket's customer, a chat's included: that is how a chat the
        // customer left is followed up.
        let via = match (&reply, &session) {
            (ReplyType::Note, _) => Via::Note,
            (ReplyType::Channel(CHANNEL_EMAIL), _)
                if files.iter().map(|f| f.size).sum::<u64>() > MAIL_MAX_FILE_BYTES =>
            {
                return Err(ApiError::validation(
                    "file",
                    "too_large",
                    Some("an e-mail carries at most 20 MiB of files"),
                ))
            }
            (ReplyType::Channel(CHANNEL_EMAIL), _) => Via::Mail,
            (ReplyType::Channel(_), Some(s)) if s.chat_server == JIVOCHAT_SERVER => {
                return Err(ApiError::validation(
                    "type",
                    "channel",
                    Some("this chat is on JivoChat: answer it there, or by e-mail (type 1)"),
                ))
            }
            (ReplyType::Channel(CHANNEL_CHAT), Some(_)) => Via::Chat,
            (ReplyType::Channel(n), Some(_)) if *n == ticket.channel_id => Via::Chat,
            (ReplyType::Channel(_), _) => {
                return Err(ApiError::validation(
                    "type",
                    "channel",
                    Some("this ticket cannot be answered on that channel"),
                ))
            }
        };
        let author = if via == Via::Note { "note" } else { "agent" };
        let inserted = Message::insert_once(
            conn,
            &NewMessage {
                tenant_id,
                ticket_id: ticket.id,
                session_id: session.as_ref().map(|s| s.id),
                author,
                body: &text,
                message_number: 0,
                url: "",
                additional_data: "",
                used_predefined_user_input: false,
                external_address_overwrite: "",
                idempotency_key: None,
                retry_key: None,
                created_at: now,
                user_id: agent_user.as_ref().map(|u| u.id),
            },
        )?;
        Ticket::touch_by_agent(conn, ticket.id, now)?;
        let mut attachments = Vec::with_capacity(files.len());
        for file in &files {
            let id = Attachment::create(
                conn,
                &NewAttachment {
                    tenant_id,
                    ticket_id: ticket.id,
                    session_id: session.as_ref().map(|s| s.id),
                    message_number: None,
                    file_name: &file.file_name,
                    content_type: &file.content_type,
                    size_bytes: file.size as i64,
                    sha256: &file.sha256,
                    storage_key: &file.storage_key,
                    created_at: now,
                    author,
                    message_id: Some(inserted.id),
                },
            )?;
            attachments.push((id, file));
        }
        let mut delivery = None;
        let mut uploads = Vec::new();
        if let (Some(session), Via::Chat) = (&session, via) {
            let account = ChatAccount::find(conn, tenant_id, session.chat_account_id)?;
            let call = CustomerCall::new(session, &account, ticket.id, agent_user.as_ref(), now);
            let body = call.with(MessageForCustomer {
                message_id: inserted.id,
                message: &text,
            });
            let url = endpoint(&session.chat_server, MESSAGE_FOR_CUSTOMER);
            let id = Delivery::create(
                conn,
                &NewDelivery {
                    tenant_id,
                    ticket_id: ticket.id,
                    message_id: Some(inserted.id),
                    chat_account_id: account.id,
                    kind: MESSAGE_FOR_CUSTOMER,
                    url: &url,
                    body: &body,
                    state: QUEUED,
                    attempts: 0,
                    next_attempt_at: now,
                    created_at: now,
                    attachment_id: None,
                },
            )?;
            for (attachment_id, file) in &attachments {
                // The bytes are added (base64, `content`) when it is sent, not kept twice.
                let body = call.with(UploadForCustomer {
                    message_id: inserted.id,
                    attachment_id: *attachment_id,
                    file_name: &file.file_name,
                    content_type: &file.content_type,
                    size: file.size,
                    sha256: &file.sha256,
                });
                let id = Delivery::create(
                    conn,
                    &NewDelivery {
                        tenant_id,
                        ticket_id: ticket.id,
                        message_id: Some(inserted.id),
                        chat_account_id: account.id,
                        kind: UPLOAD_FOR_CUSTOMER,
                        url: &endpoint(&session.chat_server, UPLOAD_FOR_CUSTOMER),
                        body: &body,
                        state: QUEUED,
                        attempts: 0,
                        // Due with the text, and sent after it (a ticket's deliveries go in id order).
                        next_attempt_at: now,
                        created_at: now,
                        attachment_id: Some(*attachment_id),
                    },
                )?;
                uploads.push((*attachment_id, ReplyDelivery::queued(id)));
            }
            // A reply picks a waiting chat up.
            if ChatSession::pick_up(conn, ticket.id, now)? {
                TicketEvent::record(
                    conn,
                    tenant_id,
                    ticket.id,
                    "picked_up",
                    None,
                    None,
                    agent,
                    now,
                )?;
            }
            delivery = Some(ReplyDelivery::queued(id));
        }
        if via == Via::Mail {
            delivery = Some(mail_reply(
                conn,
                &ticket,
                inserted.id,
                &text,
                agent_user.as_ref(),
                to_address.as_deref(),
                now,
            )?);
        }
        let now_ticket = TicketNow {
            chat_session_id: session.as_ref().map(|s| s.chat_session_id.clone()),
            status: ticket.status.clone(),
            priority: ticket.priority.clone(),
            assigned_user_id: ticket.assigned_user_id,
            title: ticket.title.clone(),
        };
        let outcome = ReplyOutcome {
            message_id: inserted.id,
            ticket_id: ticket.id,
            kind: if author == "note" { "note" } else { "reply" },
            created_at: iso(now),
            delivery,
            attachments: attachments
                .iter()
                .map(|(id, file)| ReplyAttachment {
                    id: *id,
                    file_name: file.file_name.clone(),
                    content_type: file.content_type.clone(),
                    size: file.size,
                    sha256: file.sha256.clone(),
                    url: format!("/api/v2/file/{id}"),
                    delivery: uploads
                        .iter()
                        .find(|(attachment, _)| attachment == id)
                        .map(|(_, delivery)| delivery.clone()),
                })
                .collect(),
        };
        Ok((outcome, now_ticket))
    })
    .await
}

/// An agent's reply on a ticket without a chat: a mail to the customer (or `toAddress`),
/// threaded after the ticket's last mail to them.
fn mail_reply(
    conn: &mut DbConnection,
    ticket: &Ticket,
    message_id: i64,
    text: &str,
    agent: Option<&User>,
    to_address: Option<&str>,
    now: i64,
) -> Result<ReplyDelivery, ApiError> {
    let to = match to_address {
        Some(to) => to.to_owned(),
        None => Customer::find_including_deleted(conn, ticket.tenant_id, ticket.customer_id)?
            .email
            .filter(|e| !e.is_empty())
            .ok_or_else(|| {
                ApiError::validation(
                    "toAddress",
                    "required",
                    Some("the customer has no e-mail address: give toAddress"),
                )
            })?,
    };
    let in_reply_to = Mail::last_header_to(conn, ticket.id, &to)?;
    let subject = notify::subject(&format!("Re: {}", ticket.title), ticket.id);
    let body = match agent {
        Some(agent) => format!("{text}\n\n-- \n{}\n", agent.name),
        None => format!("{text}\n"),
    };
    let (id, _) = mail::queue(
        conn,
        ticket.tenant_id,
        &mail::Outgoing {
            kind: KIND_REPLY,
            ticket_id: Some(ticket.id),
            message_id: Some(message_id),
            to: &to,
            subject: &subject,
            text: &body,
            html: &mail::html_of(&body),
            in_reply_to: in_reply_to.as_deref(),
        },
        now,
    )?;
    Ok(ReplyDelivery {
        id,
        channel: Some("email"),
        to: Some(to),
        state: MAIL_QUEUED,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TypingOutcome {
    pub ticket_id: i64,
    /// `startedtyping` or `stoppedtyping`.
    pub event: String,
    pub delivery: ReplyDelivery,
}

/// An agent started or stopped typing on a chat ticket: queued for the chat server's
/// `typingIndicatorForCustomer`, like every call back. Only a chat that has not ended takes it.
pub async fn typing(
    db: &Db,
    tenant_id: i64,
    ticket_id: i64,
    event: String,
    agent: Option<i64>,
) -> Result<TypingOutcome, ApiError> {
    db.write(move |conn| {
        let ticket = Ticket::find(conn, tenant_id, ticket_id)?;
        let Some(session) = ChatSession::of_ticket(conn, ticket.id)? else {
            return Err(ApiError::validation(
                "ticketID",
                "not_chat",
                Some("typing indicators go to chats only"),
            ));
        };
        if session.chat_server == JIVOCHAT_SERVER {
            return Err(ApiError::validation(
                "ticketID",
                "not_chat",
                Some("this chat is on JivoChat: its typing shows there"),
            ));
        }
        if session.state == STATE_ENDED {
            return Err(ApiError::validation(
                "ticketID",
                "chat_ended",
                Some("the chat has ended"),
            ));
        }
        let agent_user = match agent {
            Some(id) => Some(
                User::find(conn, tenant_id, id)
                    .map_err(|e| e.unknown_as("userID", "no such agent"))?,
            ),
            None => None,
        };
        let account = ChatAccount::find(conn, tenant_id, session.chat_account_id)?;
        let now = now_millis();
        let body = CustomerCall::new(&session, &account, ticket.id, agent_user.as_ref(), now)
            .with(TypingIndicatorForCustomer { event: &event });
        let id = Delivery::create(
            conn,
            &NewDelivery {
                tenant_id,
                ticket_id: ticket.id,
                message_id: None,
                chat_account_id: account.id,
                kind: TYPING_INDICATOR_FOR_CUSTOMER,
                url: &endpoint(&session.chat_server, TYPING_INDICATOR_FOR_CUSTOMER),
                body: &body,
                state: QUEUED,
                attempts: 0,
                next_attempt_at: now,
                created_at: now,
                attachment_id: None,
            },
        )?;
        Ok(TypingOutcome {
            ticket_id: ticket.id,
            event: event.clone(),
            delivery: ReplyDelivery::queued(id),
        })
    })
    .await
}
