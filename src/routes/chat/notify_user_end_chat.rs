use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::{parse, NotifyUserEndChat};
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
    let session = parse::<NotifyUserEndChat>(fields)?.into();
    let (ticket_id, already_ended) = chat::end_chat(&db, auth.tenant_id, session).await?;
    Ok(result(
        "Chat ended.",
        json!({"ticketID": ticket_id, "alreadyEnded": already_ended}),
    ))
}
