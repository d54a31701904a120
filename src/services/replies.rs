//! `POST /api/v2/message`: an agent's reply or internal note on a ticket.

use serde::Serialize;
use serde_json::json;

use crate::db::models::chat_account::ChatAccount;
use crate::db::models::chat_session::ChatSession;
use crate::db::models::delivery::{Delivery, NewDelivery, QUEUED};
use crate::db::models::message::{Message, NewMessage};
use crate::db::models::ticket::TicketRow;
use crate::db::models::ticket_event::TicketEvent;
use crate::db::models::user::User;
use crate::db::{now_millis, Db};
use crate::error::ApiError;
use crate::services::chat::iso;
use crate::services::delivery::endpoint;

/// How a reply goes out: `note` (stored only) or a channel number.
#[derive(Debug, Clone)]
pub enum ReplyType {
    Note,
    Channel(i32),
}

#[derive(Debug, Serialize)]
pub struct ReplyOutcome {
    pub message_id: i64,
    pub ticket_id: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub created_at: String,
    /// `null` for a note; else the delivery's id and state (`queued` at first).
    pub delivery: Option<serde_json::Value>,
}

pub async fn post(
    db: &Db,
    tenant_id: i64,
    ticket_id: i64,
    reply: ReplyType,
    text: String,
    agent: Option<i64>,
) -> Result<ReplyOutcome, ApiError> {
    db.write(move |conn| {
        let ticket = TicketRow::find(conn, tenant_id, ticket_id)?;
        let agent_user =
            match agent {
                Some(id) => Some(User::find(conn, tenant_id, id).map_err(|_| {
                    ApiError::validation("userID", "unknown", Some("no such agent"))
                })?),
                None => None,
            };
        let now = now_millis();
        let session = ChatSession::of_ticket(conn, ticket.id)?;
        let author = match (&reply, &session) {
            (ReplyType::Note, _) => "note",
            (ReplyType::Channel(8), Some(_)) => "agent",
            (ReplyType::Channel(n), Some(_)) if *n == ticket.channel_id => "agent",
            (ReplyType::Channel(1), None) => {
                return Err(ApiError::validation(
                    "type",
                    "unsupported",
                    Some("e-mail replies are not available yet"),
                ))
            }
            (ReplyType::Channel(_), _) => {
                return Err(ApiError::validation(
                    "type",
                    "channel",
                    Some("this ticket cannot be answered on that channel"),
                ))
            }
        };
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
        crate::db::models::ticket::Ticket::touch_by_agent(conn, ticket.id, now)?;
        let mut delivery = None;
        if let (Some(session), "agent") = (&session, author) {
            let account = ChatAccount::find(conn, tenant_id, session.chat_account_id)?;
            let body = json!({
                "chatServer": session.chat_server,
                "chatSessionID": session.chat_session_id,
                "chatAccountToken": account.token,
                "ticketID": ticket.id,
                "messageID": inserted.id,
                "message": text,
                "agent": agent_user.as_ref().map(|u| json!({"id": u.id, "name": u.name})),
                "sentAt": iso(now),
            })
            .to_string();
            let url = endpoint(&session.chat_server, "messageForCustomer");
            let id = Delivery::create(
                conn,
                &NewDelivery {
                    tenant_id,
                    ticket_id: ticket.id,
                    message_id: Some(inserted.id),
                    chat_account_id: account.id,
                    kind: "messageForCustomer",
                    url: &url,
                    body: &body,
                    state: QUEUED,
                    attempts: 0,
                    next_attempt_at: now,
                    created_at: now,
                },
            )?;
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
            delivery = Some(json!({"id": id, "state": QUEUED}));
        }
        Ok(ReplyOutcome {
            message_id: inserted.id,
            ticket_id: ticket.id,
            kind: if author == "note" { "note" } else { "reply" },
            created_at: iso(now),
            delivery,
        })
    })
    .await
}
