use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::models::chat_account::ChatAccount;
use crate::db::{now_millis, Db};
use crate::domain::chat_requests::{parse, RequestChatQueue};
use crate::error::ApiError;
use crate::extract::{read_fields, ChatAuth};
use crate::openapi::answers::{
    BadRequest, Forbidden, PayloadTooLarge, QueueList, Unauthorized, UnknownChatAccount,
    UnsupportedMediaType,
};
use crate::openapi::requests::RequestChatQueueForm;
use crate::services::queue;

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
) -> Result<HttpResponse, ApiError> {
    let fields = read_fields(&req, payload, settings.server.max_body_bytes).await?;
    let token = parse::<RequestChatQueue>(fields)?.token();
    let entries = db
        .read(move |conn| {
            let account = ChatAccount::find_by_token(conn, auth.tenant_id, &token)?;
            queue::list(conn, &account, now_millis())
        })
        .await?;
    let n = entries.len();
    Ok(HttpResponse::Ok().json(json!({
        "type": "list",
        "itemStart": 0,
        "itemTotal": n,
        "itemLimit": n,
        "queueLength": n,
        "items": entries,
    })))
}
