//! `POST /api/v2/message`: an agent's reply (delivered to the chat server) or note, with any
//! files attached as multipart file parts; `POST /api/v2/message/typing`: the agent's typing
//! indicator, delivered to the chat server.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::form::Fields;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::body::{
    body_kind, check_declared_length, BoundedMultipart, MAX_MULTIPART_FIELDS,
};
use crate::extract::{read_fields, Auth, BodyKind};
use crate::openapi::answers::{
    BadRequest, Forbidden, Item, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::openapi::requests::{MessageForm, MessageWithFilesForm, TypingForm};
use crate::routes::item;
use crate::services::attachments::{place, sanitize_name, FileSink, PlacedFile, ReceivedFile};
use crate::services::replies::{self, Reply, ReplyOutcome, ReplyType, TypingOutcome};

/// At most this many files on one message.
pub const MAX_FILES: usize = 10;
/// Room for multipart headers and boundaries around the files.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

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
        (MessageWithFilesForm = "multipart/form-data"),
        (MessageForm = "application/x-www-form-urlencoded"),
        (MessageForm = "application/json"),
    )),
    responses(
        (status = 200, description = "Stored (and queued for delivery).",
            body = Item<ReplyOutcome>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
pub async fn create(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::MessageCreate)?;
    let (fields, received) = read_message(&req, payload, &settings).await?;
    let mut f = FieldReader::new(fields);
    let ticket_id = f.int("ticketID", true, 1, i64::MAX);
    let kind = if f.has("type") && req_is_note(&mut f) {
        Some(ReplyType::Note)
    } else {
        f.int("type", true, 1, i64::from(i32::MAX))
            .map(|n| ReplyType::Channel(n as i32))
    };
    let text = f.text("message", true, 5, 65_536);
    let user_id = f.int("userID", false, 1, i64::MAX).or(auth.user_id);
    let to_address = f.text("toAddress", false, 3, 254);
    f.finish()?;
    if let Some(to) = &to_address {
        if !validator::ValidateEmail::validate_email(to) {
            return Err(ApiError::validation(
                "toAddress",
                "email",
                Some("an e-mail address"),
            ));
        }
    }
    let (Some(ticket_id), Some(kind), Some(text)) = (ticket_id, kind, text) else {
        return Err(ApiError::Internal("validated fields missing".into()));
    };
    let mut files = Vec::with_capacity(received.len());
    for (file, claimed) in received {
        let name = sanitize_name(claimed.as_deref(), &file.content_type);
        match place(&settings.attachments.dir, auth.tenant_id, file, name).await {
            Ok(placed) => files.push(placed),
            Err(e) => {
                remove_all(&files).await;
                return Err(e);
            }
        }
    }
    let request = Reply {
        kind,
        text,
        agent: user_id,
        to_address,
    };
    let outcome = replies::post(&db, auth.tenant_id, ticket_id, request, files.clone()).await;
    match outcome {
        Ok(outcome) => Ok(item(outcome)),
        Err(e) => {
            // Nothing points at the files: the reply was not stored.
            remove_all(&files).await;
            Err(e)
        }
    }
}

/// An agent's typing indicator
///
/// Delivered to the chat server's `typingIndicatorForCustomer` like every call back (queued,
/// signed, retried; the body's `sentAt` lets it drop a late one). Only a chat ticket whose
/// chat has not ended takes it: otherwise `400` naming `ticketID` (`not_chat`,
/// `chat_ended`).
///
/// Permission: `MESSAGE_CREATE`.
#[utoipa::path(
    post,
    path = "/api/v2/message/typing",
    operation_id = "sendTypingIndicator",
    tag = "message",
    request_body(content(
        (TypingForm = "application/json"),
        (TypingForm = "application/x-www-form-urlencoded"),
        (TypingForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Queued for delivery.", body = Item<TypingOutcome>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
pub async fn typing(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::MessageCreate)?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let ticket_id = f.int("ticketID", true, 1, i64::MAX);
    let event = f.one_of("event", true, &["startedtyping", "stoppedtyping"]);
    f.finish()?;
    let (Some(ticket_id), Some(event)) = (ticket_id, event) else {
        return Err(ApiError::Internal("validated fields missing".into()));
    };
    let outcome = replies::typing(&db, auth.tenant_id, ticket_id, event, auth.user_id).await?;
    Ok(item(outcome))
}

async fn remove_all(files: &[PlacedFile]) {
    for file in files {
        file.remove().await;
    }
}

/// The text fields, and every file part (a part with a file name) streamed to disk under
/// `attachments.max_bytes` each. Bodies other than multipart carry text fields only.
async fn read_message(
    req: &HttpRequest,
    payload: web::Payload,
    settings: &Settings,
) -> Result<(Fields, Vec<(ReceivedFile, Option<String>)>), ApiError> {
    let text_limit = settings.server.max_body_bytes;
    if body_kind(req)? != BodyKind::Multipart {
        return Ok((read_fields(req, payload, text_limit).await?, Vec::new()));
    }
    let file_limit = settings.attachments.max_bytes;
    let limit = text_limit + MAX_FILES as u64 * file_limit + MULTIPART_OVERHEAD;
    check_declared_length(req, limit)?;
    let mut body = BoundedMultipart::new(req, payload, limit);
    let (mut fields, mut files, mut parts, mut text_bytes) = (Fields::new(), Vec::new(), 0, 0);
    while let Some(mut part) = body.next_part().await? {
        parts += 1;
        if parts > MAX_MULTIPART_FIELDS {
            return Err(ApiError::MalformedBody(format!(
                "more than {MAX_MULTIPART_FIELDS} multipart parts"
            )));
        }
        let name = part.name().unwrap_or_default().to_owned();
        let claimed = part
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(str::to_owned));
        if claimed.is_some() {
            if files.len() == MAX_FILES {
                return Err(ApiError::validation(
                    &name,
                    "too_many",
                    Some("at most 10 files on one message"),
                ));
            }
            let mut sink = FileSink::create(&settings.attachments.dir, file_limit).await?;
            while let Some(chunk) = part.next().await {
                sink.write(&chunk.map_err(|e| body.error(e))?).await?;
            }
            files.push((sink.finish().await?, claimed));
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| body.error(e))?;
            text_bytes += chunk.len() as u64;
            if text_bytes > text_limit {
                return Err(ApiError::PayloadTooLarge(text_limit));
            }
            value.extend_from_slice(&chunk);
        }
        if name.is_empty() {
            continue;
        }
        let value = String::from_utf8(value).map_err(|_| {
            ApiError::MalformedBody(format!("multipart field {name:?} is not UTF-8 text"))
        })?;
        fields.insert(name, value);
    }
    Ok((fields, files))
}

/// `type=note` (taking the field); anything else is left for the channel number rule.
fn req_is_note(f: &mut FieldReader) -> bool {
    f.peek("type") == Some("note") && f.text("type", true, 1, 10).is_some()
}
