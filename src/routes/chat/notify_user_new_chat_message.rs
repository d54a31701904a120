use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::{parse, NotifyUserNewChatMessage};
use crate::error::ApiError;
use crate::extract::{read_fields, ChatAuth};
use crate::routes::result;
use crate::services::chat;

pub async fn handle(
    ChatAuth(auth): ChatAuth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let fields = read_fields(&req, payload, settings.server.max_body_bytes).await?;
    let message = parse::<NotifyUserNewChatMessage>(fields)?.into();
    let idempotency_key = match req.headers().get("Idempotency-Key") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::validation("Idempotency-Key", "pattern", None))?
                .to_owned(),
        ),
        None => None,
    };
    let outcome = chat::record_message(&db, auth.tenant_id, message, idempotency_key).await?;
    Ok(result("Message sent.", outcome))
}
