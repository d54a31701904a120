use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::{parse, CheckOriginAndIp};
use crate::error::ApiError;
use crate::extract::{read_fields, ChatAuth};
use crate::routes::result;
use crate::services::access;

pub async fn handle(
    ChatAuth(auth): ChatAuth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let fields = read_fields(&req, payload, settings.server.max_body_bytes).await?;
    let (token, origin, ip) = parse::<CheckOriginAndIp>(fields)?.into_parts();
    let decision = access::check(&db, auth.tenant_id, token, origin, ip).await?;
    let message = if decision.allowed() {
        "Allowed."
    } else {
        "Blocked."
    };
    Ok(result(
        message,
        json!({
            "allowed": decision.allowed(),
            "originAllowed": decision.origin_allowed,
            "ipAllowed": decision.ip_allowed,
            "reason": decision.reason,
        }),
    ))
}
