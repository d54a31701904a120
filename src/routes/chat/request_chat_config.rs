use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::models::chat_account::ChatAccount;
use crate::db::Db;
use crate::domain::chat_requests::{parse, RequestChatConfig};
use crate::error::ApiError;
use crate::extract::{read_fields, ChatAuth};
use crate::routes::item;
use crate::services::chat_config;

pub async fn handle(
    ChatAuth(auth): ChatAuth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let fields = read_fields(&req, payload, settings.server.max_body_bytes).await?;
    let token = parse::<RequestChatConfig>(fields)?.token();
    let max_bytes = settings.attachments.max_bytes;
    let config = db
        .read(move |conn| {
            let account = ChatAccount::find_by_token(conn, auth.tenant_id, &token)?;
            chat_config::build(conn, account, max_bytes)
        })
        .await?;
    Ok(item(config))
}
