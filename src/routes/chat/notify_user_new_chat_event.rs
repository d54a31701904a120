use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::{parse, NotifyUserNewChatEvent};
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
    let (session, event) = parse::<NotifyUserNewChatEvent>(fields)?.into_parts();
    let ticket_id = chat::record_event(&db, auth.tenant_id, session, event.clone()).await?;
    Ok(result(
        "Event recorded.",
        json!({"ticketID": ticket_id, "event": event}),
    ))
}
