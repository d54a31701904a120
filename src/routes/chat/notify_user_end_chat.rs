use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::{NotifyUserEndChatForm, SessionRef};
use crate::domain::form::parse;
use crate::error::ApiError;
use crate::extract::{read_fields, ChatAuth};
use crate::openapi::answers::{
    BadRequest, ChatEnded, Forbidden, Outcome, PayloadTooLarge, Unauthorized, UnknownChatSession,
    UnsupportedMediaType,
};
use crate::routes::result;
use crate::services::chat;
use crate::services::events::{Event, Events};

/// The chat ended
///
/// The session's state becomes `ended` and it leaves the queue. A second call changes
/// nothing and answers `200` with `"alreadyEnded": true`.
///
/// Permission: `API_CHAT`.
#[utoipa::path(
    post,
    path = "/api/v2/chat/notifyUserEndChat",
    operation_id = "notifyUserEndChat",
    tag = "chat",
    request_body(content(
        (NotifyUserEndChatForm = "multipart/form-data"),
        (NotifyUserEndChatForm = "application/x-www-form-urlencoded"),
        (NotifyUserEndChatForm = "application/json"),
    )),
    responses(
        (status = 200, description = "Ended; the message is `Chat ended.`",
            body = Outcome<ChatEnded>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = UnknownChatSession),
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
    let session: SessionRef = parse::<NotifyUserEndChatForm>(fields)?.into();
    let session_id = session.chat_session_id.clone();
    let (ticket_id, already_ended) = chat::end_chat(&db, auth.tenant_id, session).await?;
    if !already_ended {
        events.publish(Event::new(
            auth.tenant_id,
            "chat_ended",
            json!({"ticketID": ticket_id, "chatSessionID": session_id}),
        ));
    }
    Ok(result(
        "Chat ended.",
        json!({"ticketID": ticket_id, "alreadyEnded": already_ended}),
    ))
}
