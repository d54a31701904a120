//! The API key: from the `apiKey` header or query parameter, to the tenant it belongs to.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::config::Settings;
use crate::db::models::api_key::ApiKey;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::client_address;
use crate::extract::limits::Limits;
use crate::services::keys;

/// Who is calling: the key's tenant (every lookup is scoped to it) and what it may do.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub tenant_id: i64,
    pub api_key_id: i64,
    pub user_id: Option<i64>,
    pub permissions: Vec<Permission>,
}

impl AuthContext {
    /// A chat server's key: it may post chats (`API_CHAT`) and acts as no agent.
    pub fn is_chat_server(&self) -> bool {
        self.user_id.is_none() && self.permissions.contains(&Permission::ApiChat)
    }

    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.permissions.contains(&permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(permission.name()))
        }
    }

    /// The agent a request acts as: a key bound to an agent acts as that agent alone (naming
    /// another is `403`); a key bound to none may name any agent of its tenant.
    pub fn acting_as(&self, named: Option<i64>) -> Result<Option<i64>, ApiError> {
        match (self.user_id, named) {
            (Some(me), Some(other)) if other != me => Err(ApiError::NotYours(format!(
                "this API key acts as agent {me}; it cannot act as agent {other}"
            ))),
            (Some(me), _) => Ok(Some(me)),
            (None, named) => Ok(named),
        }
    }
}

fn presented_key(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get("apiKey") {
        return value.to_str().ok().map(str::to_owned);
    }
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "apiKey")
        .map(|(_, v)| v)
}

/// Recently read key rows, so a busy chat server's every request does not cost a database
/// round trip. A revocation takes effect everywhere within the time to live
/// (`server.api_key_cache_seconds`; 0 turns the cache off). Only keys that exist are kept,
/// and the whole cache is dropped when it grows past `MAX_CACHED_KEYS`.
pub struct KeyCache {
    ttl: Duration,
    rows: RwLock<HashMap<String, (Instant, ApiKey)>>,
    /// Keys revoked lately, and when: a row read before the revocation is not cached again.
    forgotten: RwLock<HashMap<String, Instant>>,
}

const MAX_CACHED_KEYS: usize = 10_000;

impl KeyCache {
    pub fn new(ttl: Duration) -> KeyCache {
        KeyCache {
            ttl,
            rows: RwLock::new(HashMap::new()),
            forgotten: RwLock::new(HashMap::new()),
        }
    }

    /// Forgets every key: each is read again at its next use.
    pub fn clear(&self) {
        self.rows.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Forgets these keys: the next request with one reads it again, and a row read before
    /// now (by a request still under way) is not cached again.
    pub fn forget(&self, prefixes: &[String]) {
        let now = Instant::now();
        let mut forgotten = self.forgotten.write().unwrap_or_else(|e| e.into_inner());
        forgotten.retain(|_, at| at.elapsed() < self.ttl);
        forgotten.extend(prefixes.iter().map(|p| (p.clone(), now)));
        drop(forgotten);
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        for prefix in prefixes {
            rows.remove(prefix);
        }
    }

    fn get(&self, prefix: &str) -> Option<ApiKey> {
        let rows = self.rows.read().unwrap_or_else(|e| e.into_inner());
        rows.get(prefix)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, row)| row.clone())
    }

    /// Caches a row read at `read_at`, unless its key was revoked since.
    fn put(&self, row: &ApiKey, read_at: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let forgotten = self.forgotten.read().unwrap_or_else(|e| e.into_inner());
        if forgotten.get(&row.prefix).is_some_and(|at| *at >= read_at) {
            return;
        }
        drop(forgotten);
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        if rows.len() >= MAX_CACHED_KEYS {
            rows.clear();
        }
        rows.insert(row.prefix.clone(), (Instant::now(), row.clone()));
    }
}

/// The key's row if the cache has it (no database read).
fn cached_key(req: &HttpRequest, prefix: &str) -> Option<ApiKey> {
    req.app_data::<web::Data<KeyCache>>()?.get(prefix)
}

async fn find_key(req: &HttpRequest, prefix: &str) -> Result<Option<ApiKey>, ApiError> {
    let cache = req.app_data::<web::Data<KeyCache>>();
    if let Some(row) = cache.and_then(|c| c.get(prefix)) {
        return Ok(Some(row));
    }
    let db = req
        .app_data::<web::Data<Db>>()
        .ok_or_else(|| ApiError::Internal("no database in app data".into()))?
        .clone();
    let owned = prefix.to_owned();
    let read_at = Instant::now();
    let row = db
        .read(move |conn| ApiKey::find_by_prefix(conn, &owned))
        .await?;
    if let (Some(cache), Some(row)) = (cache, &row) {
        cache.put(row, read_at);
    }
    Ok(row)
}

pub async fn authenticate(req: &HttpRequest) -> Result<AuthContext, ApiError> {
    let presented = presented_key(req).ok_or(ApiError::Unauthorized)?;
    let (prefix, _) = keys::split(&presented).ok_or(ApiError::Unauthorized)?;
    let row = find_key(req, prefix).await?.ok_or(ApiError::Unauthorized)?;
    if row.revoked_at.is_some() || !keys::verify(&presented, &row.key_hash) {
        return Err(ApiError::Unauthorized);
    }
    Ok(AuthContext {
        tenant_id: row.tenant_id,
        api_key_id: row.id,
        user_id: row.user_id,
        permissions: Permission::parse_list(&row.permissions),
    })
}

/// `authenticate`, and the request taken from the caller's rate limits (`429` when one is
/// used up). The address's bucket is taken from before the key is looked up (a flood of made
/// up keys costs no database read past the limit), unless the key is known, from the cache,
/// to be a chat server's that goes unlimited; then the key's.
pub async fn admitted(req: &HttpRequest) -> Result<AuthContext, ApiError> {
    let (Some(limits), Some(settings)) = (
        req.app_data::<web::Data<Limits>>(),
        req.app_data::<web::Data<Settings>>(),
    ) else {
        return authenticate(req).await;
    };
    let cached = presented_key(req)
        .and_then(|key| keys::split(&key).map(|(prefix, _)| prefix.to_owned()))
        .and_then(|prefix| cached_key(req, &prefix));
    let known_unlimited = cached.is_some_and(|row| {
        let permissions = Permission::parse_list(&row.permissions);
        limits.lets_through(row.user_id.is_none() && permissions.contains(&Permission::ApiChat))
    });
    if !known_unlimited {
        limits.admit_address(client_address(req, settings))?;
    }
    let ctx = authenticate(req).await?;
    if !limits.lets_through(ctx.is_chat_server()) {
        limits.admit_key(ctx.api_key_id)?;
    }
    Ok(ctx)
}

/// A key with `API_CHAT`, as every `/api/v2/chat/*` endpoint requires.
pub struct ChatAuth(pub AuthContext);

impl FromRequest for ChatAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let ctx = admitted(&req).await?;
            ctx.require(Permission::ApiChat)?;
            Ok(ChatAuth(ctx))
        })
    }
}

/// Any valid key; the handler names the permission it needs (`auth.require(...)`).
pub struct Auth(pub AuthContext);

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Auth(admitted(&req).await?)) })
    }
}
