use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::NotifyUserVisitedForm;
use crate::error::ApiError;
use crate::extract::{read_form, ChatAuth};
use crate::openapi::answers::{FormErrors, Outcome, UnknownChatSession};
use crate::routes::result;
use crate::services::chat::{self, VisitRecorded};
use crate::services::events::Events;

/// A page the customer opened
///
/// Appended to the session's page trail (`visited` on the ticket's timeline).
///
/// Permission: `API_CHAT`.
#[utoipa::path(
    post,
    path = "/api/v2/chat/notifyUserVisited",
    operation_id = "notifyUserVisited",
    tag = "chat",
    request_body(content(
        (NotifyUserVisitedForm = "multipart/form-data"),
        (NotifyUserVisitedForm = "application/x-www-form-urlencoded"),
        (NotifyUserVisitedForm = "application/json"),
    )),
    responses(
        (status = 200, description = "Recorded; the message is `Visit recorded.`",
            body = Outcome<VisitRecorded>),
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
    let form: NotifyUserVisitedForm = read_form(&req, payload, &settings).await?;
    let (session, url) = form.into_parts();
    let visit = chat::record_visit(&db, &events, auth.tenant_id, session, url).await?;
    Ok(result("Visit recorded.", visit))
}
