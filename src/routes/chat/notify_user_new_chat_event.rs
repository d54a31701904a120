use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::NotifyUserNewChatEventForm;
use crate::error::ApiError;
use crate::extract::{read_form, ChatAuth};
use crate::openapi::answers::{FormErrors, Outcome, UnknownChatSession};
use crate::routes::result;
use crate::services::chat::{self, EventRecorded};
use crate::services::events::Events;

/// Something the customer did in the chat
///
/// `startedtyping`, `stoppedtyping`, `expandedchat` or `minimizedchat`, recorded on the
/// session (its typing state and time) and on the ticket's timeline.
///
/// Permission: `API_CHAT`.
#[utoipa::path(
    post,
    path = "/api/v2/chat/notifyUserNewChatEvent",
    operation_id = "notifyUserNewChatEvent",
    tag = "chat",
    request_body(content(
        (NotifyUserNewChatEventForm = "multipart/form-data"),
        (NotifyUserNewChatEventForm = "application/x-www-form-urlencoded"),
        (NotifyUserNewChatEventForm = "application/json"),
    )),
    responses(
        (status = 200, description = "Recorded; the message is `Event recorded.`",
            body = Outcome<EventRecorded>),
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
    let form: NotifyUserNewChatEventForm = read_form(&req, payload, &settings).await?;
    let (session, event) = form.into_parts();
    let recorded = chat::record_event(&db, &events, auth.tenant_id, session, event).await?;
    Ok(result("Event recorded.", recorded))
}
