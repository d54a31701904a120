use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::CheckOriginAndIpForm;
use crate::domain::form::parse;
use crate::error::ApiError;
use crate::extract::{read_fields, ChatAuth};
use crate::openapi::answers::{
    AccessCheck, BadRequest, Forbidden, Outcome, PayloadTooLarge, Unauthorized, UnknownChatAccount,
    UnsupportedMediaType,
};
use crate::routes::result;
use crate::services::access;

/// May the widget run for this origin and IP?
///
/// An empty whitelist allows every origin; `example.com` allows itself and its subdomains.
/// The blacklist holds IPv4 and IPv6 addresses and CIDR ranges; an IPv4-mapped IPv6 address
/// is its IPv4 address.
///
/// Permission: `API_CHAT`.
#[utoipa::path(
    post,
    path = "/api/v2/chat/checkOriginAndIP",
    operation_id = "checkOriginAndIP",
    tag = "chat",
    request_body(content(
        (CheckOriginAndIpForm = "multipart/form-data"),
        (CheckOriginAndIpForm = "application/x-www-form-urlencoded"),
        (CheckOriginAndIpForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The decision; the message is `Allowed.` or `Blocked.`",
            body = Outcome<AccessCheck>),
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
    let (token, origin, ip) = parse::<CheckOriginAndIpForm>(fields)?.into_parts();
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
