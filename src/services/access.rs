//! checkOriginAndIP and the lists behind it.

use std::net::IpAddr;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::allowed_domain::AllowedDomain;
use crate::db::models::blocked_ip::BlockedIp;
use crate::db::models::chat_account::ChatAccount;
use crate::db::Db;
use crate::domain::access::{decide, AccessDecision};
use crate::error::ApiError;

/// `checkOriginAndIP`'s fields; the message is `Allowed.` or `Blocked.`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessCheck {
    /// The origin and the IP are both allowed.
    pub allowed: bool,
    /// The whitelist is empty, or the origin is a listed domain or one of its subdomains.
    pub origin_allowed: bool,
    /// The IP is in no blacklisted address or range.
    pub ip_allowed: bool,
    #[schema(example = "origin and IP allowed")]
    pub reason: String,
}

impl From<AccessDecision> for AccessCheck {
    fn from(d: AccessDecision) -> Self {
        AccessCheck {
            allowed: d.allowed(),
            origin_allowed: d.origin_allowed,
            ip_allowed: d.ip_allowed,
            reason: d.reason,
        }
    }
}

/// The tenant's whitelist of domains and blacklist of IPs and CIDR ranges.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLists {
    #[serde(rename = "whitelistedDomains")]
    #[schema(example = json!(["example.com"]))]
    pub whitelisted_domains: Vec<String>,
    #[serde(rename = "blacklistedIPs")]
    #[schema(example = json!(["203.0.113.0/24", "2001:db8::/32"]))]
    pub blacklisted_ips: Vec<String>,
}

/// May a widget of the chat account with this token run for this origin and IP?
pub async fn check(
    db: &Db,
    tenant_id: i64,
    token: String,
    origin: String,
    ip: IpAddr,
) -> Result<AccessCheck, ApiError> {
    db.read(move |conn| {
        ChatAccount::find_by_token(conn, tenant_id, &token)?;
        let whitelist = AllowedDomain::list(conn, tenant_id)?;
        let blacklist = BlockedIp::list(conn, tenant_id)?;
        Ok(decide(&origin, ip, &whitelist, &blacklist).into())
    })
    .await
}

/// The tenant's whitelisted domains and blacklisted CIDR ranges.
pub async fn lists(db: &Db, tenant_id: i64) -> Result<AccessLists, ApiError> {
    db.read(move |conn| {
        Ok(AccessLists {
            whitelisted_domains: AllowedDomain::list(conn, tenant_id)?,
            blacklisted_ips: BlockedIp::list(conn, tenant_id)?,
        })
    })
    .await
}
