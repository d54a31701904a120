use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::{NotifyUserEndChatForm, SessionRef};
use crate::error::ApiError;
use crate::extract::{read_form, ChatAuth};
use crate::openapi::answers::{FormErrors, Outcome, UnknownChatSession};
use crate::routes::result;
use crate::services::chat::{self, ChatEnded};
use crate::services::events::Events;

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
        FormErrors,
        (status = 404, response = UnknownChatSession),
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
    let form: NotifyUserEndChatForm = read_form(&req, payload, &settings).await?;
    let session = SessionRef::from(form);
    let ended = chat::end_chat(&db, &events, auth.tenant_id, session).await?;
    Ok(result("Chat ended.", ended))
}
