use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::{NewChatMessage, NotifyUserNewChatMessageForm};
use crate::error::ApiError;
use crate::extract::{read_form, ChatAuth};
use crate::openapi::answers::{FormErrors, Outcome, UnknownChatAccount};
use crate::routes::result;
use crate::services::chat::{self, MessageBatcher, MessageOutcome};
use crate::services::events::Events;

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
        FormErrors,
        (status = 404, response = UnknownChatAccount),
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
    batcher: web::Data<MessageBatcher>,
) -> Result<HttpResponse, ApiError> {
    let idempotency_key = match req.headers().get("Idempotency-Key") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::validation("Idempotency-Key", "pattern", None))?
                .to_owned(),
        ),
        None => None,
    };
    let form: NotifyUserNewChatMessageForm = read_form(&req, payload, &settings).await?;
    let message = NewChatMessage::from(form);
    let outcome = chat::record_message(
        &db,
        &events,
        &batcher,
        auth.tenant_id,
        message,
        idempotency_key,
    )
    .await?;
    Ok(result("Message sent.", outcome))
}
