use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::CheckOriginAndIpForm;
use crate::error::ApiError;
use crate::extract::{read_form, ChatAuth};
use crate::openapi::answers::{FormErrors, Outcome, UnknownChatAccount};
use crate::routes::result;
use crate::services::access::{self, AccessCheck};

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
    let form: CheckOriginAndIpForm = read_form(&req, payload, &settings).await?;
    let (token, origin, ip) = form.into_parts();
    let check = access::check(&db, auth.tenant_id, token, origin, ip).await?;
    let message = if check.allowed {
        "Allowed."
    } else {
        "Blocked."
    };
    Ok(result(message, check))
}
