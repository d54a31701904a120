// Request fields keep their wire names (`ticketID`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::form::{self, non_empty, Fields};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::body::{read_body_parts, FileRules};
use crate::extract::Auth;
use crate::openapi::answers::{FileErrors, FormErrors, Item, NotFound};
use crate::routes::item;
use crate::services::attachments::ReceivedFile;
use crate::services::events::Events;
use crate::services::replies::{self, Reply, ReplyOutcome, ReplyType};

/// At most this many files on one message.
pub const MAX_FILES: usize = 10;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Note {
    Note,
}

/// `note`, or the channel to reply on (8: chat).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum MessageType {
    Note(Note),
    /// A channel number, at least 1.
    Channel(i32),
}

/// `POST /api/v2/message`.
#[derive(Deserialize, Validate, ToSchema)]
pub struct MessageForm {
    #[validate(required, range(min = 1))]
    #[schema(value_type = i64, minimum = 1)]
    pub ticketID: Option<i64>,
    /// `note`: stored only, agents alone see it; `8` on a chat ticket: a reply, delivered
    /// to the chat server; `1` on a ticket without a chat: an e-mail to the customer.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(required, custom(function = type_rule))]
    #[schema(value_type = MessageType)]
    pub r#type: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(required, length(min = 5, max = 65_536))]
    #[schema(value_type = String, min_length = 5, max_length = 65536,
        example = "Your parcel left our warehouse today.")]
    pub message: Option<String>,
    /// The agent writing: a key bound to an agent writes as that agent only (another's id is
    /// `403`); a key bound to none may name any agent of the tenant.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub userID: Option<i64>,
    /// An e-mail reply's recipient; default: the customer's e-mail address (required when
    /// the customer has none).
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 3, max = 254), email(code = "email"))]
    #[schema(format = Email, max_length = 254)]
    pub toAddress: Option<String>,
    /// Each at most `attachments.max_bytes`, at most 10 (multipart file parts: any part with
    /// a file name counts as a file). Its type is sniffed from its bytes and its name
    /// sanitized. On a chat reply each goes to the chat server's `uploadForCustomer`; on an
    /// e-mail reply they are the mail's attachments (at most 20 MiB together).
    // The body reader takes file parts as files; what reaches this field is left unread.
    #[schema(value_type = Option<Vec<String>>, format = Binary, max_items = 10)]
    pub file: Option<serde_json::Value>,
}

fn type_rule(value: &str) -> Result<(), ValidationError> {
    match (reply_type(value), value.trim().parse::<i64>()) {
        (Some(_), _) => Ok(()),
        (None, Ok(_)) => Err(ValidationError::new("range").with_message("at least 1".into())),
        (None, Err(_)) => {
            Err(ValidationError::new("integer").with_message("note, or a channel number".into()))
        }
    }
}

fn reply_type(value: &str) -> Option<ReplyType> {
    match value.trim() {
        "note" => Some(ReplyType::Note),
        n => n
            .parse::<i32>()
            .ok()
            .filter(|n| *n >= 1)
            .map(ReplyType::Channel),
    }
}

/// A reply's body: its fields, and its files (any part with a file name, at most
/// `MAX_FILES`, each within `attachments.max_bytes`) received with the names they claim.
pub async fn read_message_body(
    req: &HttpRequest,
    payload: web::Payload,
    settings: &Settings,
) -> Result<(Fields, Vec<(ReceivedFile, Option<String>)>), ApiError> {
    let rules = FileRules {
        dir: &settings.attachments.dir,
        max_bytes: settings.attachments.max_bytes,
        max_files: MAX_FILES,
        part: None,
        base64: false,
    };
    let limit = settings.server.max_body_bytes;
    let body = read_body_parts(req, payload, &settings.server, limit, Some(rules)).await?;
    let files = body
        .files
        .into_iter()
        .map(|f| (f.file, f.claimed_name))
        .collect();
    Ok((body.fields, files))
}

/// An agent's reply or internal note
///
/// A note and its files are stored only. A reply on a chat ticket (`type` 8) is stored and
/// delivered to the chat server's `messageForCustomer`, and each file attached (multipart
/// file parts, at most 10) to its `uploadForCustomer`, queued in the database and retried
/// until it answers 2xx; the answer carries each delivery's id and state. Replying to a
/// waiting chat picks it up. A reply with `type` 1 on a ticket without a chat is an e-mail
/// to the customer (or `toAddress`), queued in the mail outbox and sent through SMTP, its
/// subject carrying `[#ticket]` and threaded after the ticket's earlier mails; its files go
/// as mail attachments (at most 20 MiB together).
///
/// Permission: `MESSAGE_CREATE`.
#[utoipa::path(
    post,
    path = "/api/v2/message",
    operation_id = "createMessage",
    tag = "message",
    request_body(content(
        (MessageForm = "multipart/form-data"),
        (MessageForm = "application/x-www-form-urlencoded"),
        (MessageForm = "application/json"),
    )),
    responses(
        (status = 200, description = "Stored (and queued for delivery).",
            body = Item<ReplyOutcome>),
        FormErrors,
        FileErrors,
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::MessageCreate)?;
    let (fields, files) = read_message_body(&req, payload, &settings).await?;
    let form: MessageForm = form::parse(fields)?;
    let request = Reply {
        kind: form
            .r#type
            .as_deref()
            .and_then(reply_type)
            .unwrap_or(ReplyType::Note),
        text: form.message.unwrap_or_default(),
        agent: auth.acting_as(form.userID)?,
        to_address: form.toAddress,
    };
    let outcome = replies::post(
        &db,
        &events,
        &settings.attachments.dir,
        auth.tenant_id,
        form.ticketID.unwrap_or_default(),
        request,
        files,
    )
    .await?;
    Ok(item(outcome))
}
