use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db::Db;
use crate::error::ApiError;
use crate::extract::ChatAuth;
use crate::routes::item;
use crate::services::access;

pub async fn handle(ChatAuth(auth): ChatAuth, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let (domains, ips) = access::lists(&db, auth.tenant_id).await?;
    Ok(item(json!({
        "whitelistedDomains": domains,
        "blacklistedIPs": ips,
    })))
}
