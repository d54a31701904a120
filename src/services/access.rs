//! checkOriginAndIP and the lists behind it.

use std::net::IpAddr;

use crate::db::models::allowed_domain::AllowedDomain;
use crate::db::models::blocked_ip::BlockedIp;
use crate::db::models::chat_account::ChatAccount;
use crate::db::Db;
use crate::domain::access::{decide, AccessDecision};
use crate::error::ApiError;

pub async fn check(
    db: &Db,
    tenant_id: i64,
    token: String,
    origin: String,
    ip: IpAddr,
) -> Result<AccessDecision, ApiError> {
    db.read(move |conn| {
        ChatAccount::find_by_token(conn, tenant_id, &token)?;
        let whitelist = AllowedDomain::list(conn, tenant_id)?;
        let blacklist = BlockedIp::list(conn, tenant_id)?;
        Ok(decide(&origin, ip, &whitelist, &blacklist))
    })
    .await
}

/// (whitelisted domains, blacklisted CIDR ranges) of the tenant.
pub async fn lists(db: &Db, tenant_id: i64) -> Result<(Vec<String>, Vec<String>), ApiError> {
    db.read(move |conn| {
        Ok((
            AllowedDomain::list(conn, tenant_id)?,
            BlockedIp::list(conn, tenant_id)?,
        ))
    })
    .await
}
