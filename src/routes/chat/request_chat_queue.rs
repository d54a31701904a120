use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::models::chat_account::ChatAccount;
use crate::db::{now_millis, Db};
use crate::domain::chat_requests::{parse, RequestChatQueue};
use crate::error::ApiError;
use crate::extract::{read_fields, ChatAuth};
use crate::services::queue;

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
