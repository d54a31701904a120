use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::RequestChatConfigForm;
use crate::error::ApiError;
use crate::extract::{read_form, ChatAuth};
use crate::openapi::answers::{FormErrors, Item, UnknownChatAccount};
use crate::routes::item;
use crate::services::chat_config::{self, ChatConfig};

/// The chat account's widget configuration
///
/// Name, language, greeting and offline texts, required contact fields, service hours and
/// time zone, `open` (within service hours now) and `online` (open, an agent online and room
/// in the queue), attachment limits, the queue's length and expected wait.
///
/// Permission: `API_CHAT`.
#[utoipa::path(
    post,
    path = "/api/v2/chat/requestChatConfig",
    operation_id = "requestChatConfig",
    tag = "chat",
    request_body(content(
        (RequestChatConfigForm = "multipart/form-data"),
        (RequestChatConfigForm = "application/x-www-form-urlencoded"),
        (RequestChatConfigForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The configuration.", body = Item<ChatConfig>),
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
) -> Result<HttpResponse, ApiError> {
    let form: RequestChatConfigForm = read_form(&req, payload, &settings).await?;
    let max_bytes = settings.attachments.max_bytes;
    Ok(item(
        chat_config::of_account(&db, auth.tenant_id, form.token(), max_bytes).await?,
    ))
}
