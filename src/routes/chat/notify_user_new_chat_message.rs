use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::{NewChatMessage, NotifyUserNewChatMessageForm};
use crate::domain::form::parse;
use crate::error::ApiError;
use crate::extract::{read_fields, ChatAuth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Outcome, PayloadTooLarge, Unauthorized, UnknownChatAccount,
    UnsupportedMediaType,
};
use crate::routes::result;
use crate::services::chat::{self, MessageOutcome};
use crate::services::events::{Event, Events};

/// A customer's message
///
/// The first message of a session creates, in one transaction, the customer (found again by
/// e-mail, then phone), the ticket (status `new`, title: the message's first line, cut to 80
/// characters) and the session (`waiting`, in the queue). Later messages are appended to the
/// session's ticket; contact fields fill in or update the customer.
///
/// A retry is answered `200` with `"duplicate": true` and the first one's `messageID`, nothing
/// stored twice: the same explicit `messageNumber` with the same text, or an
/// `Idempotency-Key` already used in the session. A `200` means the message is committed.
///
/// Permission: `API_CHAT`.
#[utoipa::path(
    post,
    path = "/api/v2/chat/notifyUserNewChatMessage",
    operation_id = "notifyUserNewChatMessage",
    tag = "chat",
    params(
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
            pattern = r"^[\x21-\x7E]+$",
            description = "Makes a retry recognisable: 1 to 200 visible ASCII characters, \
                unique within the session."),
    ),
    request_body(content(
        (NotifyUserNewChatMessageForm = "multipart/form-data"),
        (NotifyUserNewChatMessageForm = "application/x-www-form-urlencoded"),
        (NotifyUserNewChatMessageForm = "application/json"),
    )),
    responses(
        (status = 200, description = "Stored (or recognised as a retry).",
            body = Outcome<MessageOutcome>,
            example = json!({"type": "result", "message": "Message sent.", "ticketID": 1,
                "messageID": 1, "ticketCreated": true, "duplicate": false})),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = UnknownChatAccount),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    ChatAuth(auth): ChatAuth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ApiError> {
    let fields = read_fields(&req, payload, settings.server.max_body_bytes).await?;
    let message: NewChatMessage = parse::<NotifyUserNewChatMessageForm>(fields)?.into();
    let idempotency_key = match req.headers().get("Idempotency-Key") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::validation("Idempotency-Key", "pattern", None))?
                .to_owned(),
        ),
        None => None,
    };
    let (session, text): (String, String) = (
        message.chat_session_id.clone(),
        message.message.chars().take(2000).collect(),
    );
    let outcome = chat::record_message(&db, auth.tenant_id, message, idempotency_key).await?;
    if !outcome.duplicate {
        events.publish(Event::new(
            auth.tenant_id,
            "message",
            serde_json::json!({
                "ticketID": outcome.ticket_id, "chatSessionID": session,
                "messageID": outcome.message_id, "message": text,
                "ticketCreated": outcome.ticket_created,
            }),
        ));
    }
    Ok(result("Message sent.", outcome))
}
