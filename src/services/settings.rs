//! What a tenant's administrators change in the console: API keys, the domain whitelist and
//! the IP blacklist (chat accounts are `chat_accounts`, agents `users`). The command line
//! shares the rules: `issue_api_key_in` is the one place a key is made.

use crate::db::models::allowed_domain::AllowedDomain;
use crate::db::models::api_key::ApiKey;
use crate::db::models::blocked_ip::BlockedIp;
use crate::db::models::user::User;
use crate::db::{Db, DbConnection};
use crate::domain::access::{normalize_domain, parse_cidr};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::services::events::{Events, KeysRevoked};
use crate::services::{keys, users};

/// A key just made: the only time its secret is seen.
pub struct CreatedApiKey {
    pub id: i64,
    pub key: String,
}

/// Makes a key of the tenant (in the caller's transaction) that acts as `user_id`, or as
/// "Agent Anonymous" without one.
pub fn issue_api_key_in(
    conn: &mut DbConnection,
    tenant_id: i64,
    user_id: Option<i64>,
    permissions: &[Permission],
) -> Result<CreatedApiKey, ApiError> {
    if let Some(user_id) = user_id {
        User::find(conn, tenant_id, user_id)
            .map_err(|e| e.unknown_as("user", "no such agent in this tenant"))?;
    }
    if permissions.is_empty() {
        return Err(ApiError::invalid(
            "permission",
            "required",
            "give at least one permission",
        ));
    }
    let new = keys::generate();
    let perms = Permission::join(permissions);
    let id = ApiKey::create(conn, tenant_id, user_id, &new.prefix, &new.hash, &perms)?;
    Ok(CreatedApiKey { id, key: new.key })
}

/// A key made by someone at work in the console (`actor`, acting as `actor_id`): it may
/// hold only permissions the actor holds, and act only as nobody, as the actor, or as an
/// agent who may do no more than the actor; else a key would lead to more than its maker
/// may do.
pub async fn issue_api_key(
    db: &Db,
    tenant_id: i64,
    user_id: Option<i64>,
    permissions: Vec<Permission>,
    actor_id: i64,
    actor: Vec<Permission>,
) -> Result<CreatedApiKey, ApiError> {
    let lacking = Permission::lacking(&actor, &permissions);
    if !lacking.is_empty() {
        return Err(ApiError::NotYours(format!(
            "a key you make may hold only permissions you hold; you lack {}",
            Permission::join(&lacking)
        )));
    }
    db.write(move |conn| {
        if let Some(user_id) = user_id.filter(|id| *id != actor_id) {
            let user = User::find(conn, tenant_id, user_id)
                .map_err(|e| e.unknown_as("agent", "no such agent in this tenant"))?;
            users::may_manage(&actor, &Permission::parse_list(&user.permissions))?;
        }
        issue_api_key_in(conn, tenant_id, user_id, &permissions)
    })
    .await
}

pub async fn api_keys(db: &Db, tenant_id: i64) -> Result<Vec<ApiKey>, ApiError> {
    db.read(move |conn| ApiKey::of_tenant(conn, tenant_id))
        .await
}

/// Revokes a key of the tenant, on every instance at once (`401` from then on); `404` if the
/// tenant has no such live key.
pub async fn revoke_api_key(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    id: i64,
) -> Result<(), ApiError> {
    let prefix = db
        .write(move |conn| ApiKey::revoke_returning_prefix(conn, tenant_id, id))
        .await?
        .ok_or_else(|| ApiError::Missing(format!("no live API key {id}")))?;
    events.send(
        tenant_id,
        &KeysRevoked {
            prefixes: vec![prefix],
        },
    );
    Ok(())
}

/// Whitelists a domain (and its subdomains) for the chat widget; its normal form.
pub async fn allow_domain(db: &Db, tenant_id: i64, domain: &str) -> Result<String, ApiError> {
    let domain = normalize_domain(domain).map_err(|e| ApiError::invalid("domain", "pattern", e))?;
    let stored = domain.clone();
    db.write(move |conn| AllowedDomain::add(conn, tenant_id, &stored))
        .await?;
    Ok(domain)
}

pub async fn disallow_domain(db: &Db, tenant_id: i64, domain: String) -> Result<(), ApiError> {
    let gone = db
        .write(move |conn| AllowedDomain::remove(conn, tenant_id, &domain))
        .await?;
    gone.then_some(())
        .ok_or_else(|| ApiError::Missing("no such domain on the whitelist".into()))
}

/// Blacklists an IP address or range; its canonical form.
pub async fn block_ip(db: &Db, tenant_id: i64, cidr: &str) -> Result<String, ApiError> {
    let net = parse_cidr(cidr)
        .map_err(|e| ApiError::invalid("cidr", "pattern", e))?
        .to_string();
    let stored = net.clone();
    db.write(move |conn| BlockedIp::add(conn, tenant_id, &stored))
        .await?;
    Ok(net)
}

pub async fn unblock_ip(db: &Db, tenant_id: i64, cidr: String) -> Result<(), ApiError> {
    let gone = db
        .write(move |conn| BlockedIp::remove(conn, tenant_id, &cidr))
        .await?;
    gone.then_some(())
        .ok_or_else(|| ApiError::Missing("no such range on the blacklist".into()))
}
