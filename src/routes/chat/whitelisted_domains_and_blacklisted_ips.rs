use actix_web::{web, HttpResponse};

use crate::db::Db;
use crate::error::ApiError;
use crate::extract::ChatAuth;
use crate::openapi::answers::{Item, KeyErrors};
use crate::routes::item;
use crate::services::access::{self, AccessLists};

/// The tenant's domain whitelist and IP blacklist
///
/// Permission: `API_CHAT`.
#[utoipa::path(
    get,
    path = "/api/v2/chat/whitelistedDomainsAndBlacklistedIPs",
    operation_id = "whitelistedDomainsAndBlacklistedIPs",
    tag = "chat",
    responses(
        (status = 200, description = "Both lists.", body = Item<AccessLists>),
        KeyErrors,
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(ChatAuth(auth): ChatAuth, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    Ok(item(access::lists(&db, auth.tenant_id).await?))
}
