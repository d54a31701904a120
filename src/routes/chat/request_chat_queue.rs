use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::RequestChatQueueForm;
use crate::error::ApiError;
use crate::extract::{read_form, ChatAuth};
use crate::openapi::answers::{FormErrors, ListType, UnknownChatAccount};
use crate::services::queue::{self, QueueEntry};

/// The list envelope with the whole queue, and its length.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueList {
    #[serde(rename = "type")]
    pub kind: ListType,
    /// Always 0: the whole queue is one page.
    pub item_start: i64,
    pub item_limit: i64,
    pub item_total: i64,
    /// Chats waiting, the same as `itemTotal`.
    pub queue_length: i64,
    /// Oldest first.
    pub items: Vec<QueueEntry>,
}

/// The chat account's waiting chats
///
/// Oldest first, each with its position and its expected waits in seconds: initial (fixed
/// when it entered the queue) and current (from the recent average pick-up time and the
/// agents online).
///
/// Permission: `API_CHAT`.
#[utoipa::path(
    post,
    path = "/api/v2/chat/requestChatQueue",
    operation_id = "requestChatQueue",
    tag = "chat",
    request_body(content(
        (RequestChatQueueForm = "multipart/form-data"),
        (RequestChatQueueForm = "application/x-www-form-urlencoded"),
        (RequestChatQueueForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The whole queue.", body = QueueList),
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
    let form: RequestChatQueueForm = read_form(&req, payload, &settings).await?;
    let token = form.token();
    let entries = queue::of_account(&db, auth.tenant_id, token).await?;
    let n = entries.len() as i64;
    Ok(HttpResponse::Ok().json(QueueList {
        kind: ListType::List,
        item_start: 0,
        item_limit: n,
        item_total: n,
        queue_length: n,
        items: entries,
    }))
}
