//! `POST /api/v2/message`: an agent's reply (delivered to the chat server) or note.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::routes::item;
use crate::services::replies::{self, ReplyType};

pub async fn create(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::MessageCreate)?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let ticket_id = f.int("ticketID", true, 1, i64::MAX);
    let kind = if f.has("type") && req_is_note(&mut f) {
        Some(ReplyType::Note)
    } else {
        f.int("type", true, 1, i64::from(i32::MAX))
            .map(|n| ReplyType::Channel(n as i32))
    };
    let text = f.text("message", true, 5, 65_536);
    let user_id = f.int("userID", false, 1, i64::MAX).or(auth.user_id);
    f.finish()?;
    let (Some(ticket_id), Some(kind), Some(text)) = (ticket_id, kind, text) else {
        return Err(ApiError::Internal("validated fields missing".into()));
    };
    let outcome = replies::post(&db, auth.tenant_id, ticket_id, kind, text, user_id).await?;
    Ok(item(outcome))
}

/// `type=note` (taking the field); anything else is left for the channel number rule.
fn req_is_note(f: &mut FieldReader) -> bool {
    f.peek("type") == Some("note") && f.text("type", true, 1, 10).is_some()
}
