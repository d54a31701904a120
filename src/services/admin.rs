//! Administration, shared by the CLI, the demo set-up and the tests.

use crate::db::models::allowed_domain::AllowedDomain;
use crate::db::models::api_key::ApiKey;
use crate::db::models::blocked_ip::BlockedIp;
use crate::db::models::chat_account::{ChatAccount, NewChatAccount};
use crate::db::models::tenant::Tenant;
use crate::db::models::user::User;
use crate::db::{now_millis, Db};
use crate::domain::access::{normalize_domain, parse_cidr};
use crate::domain::chat_account::{
    check_name, check_required_fields, check_service_hours, check_time_zone,
};
use crate::domain::chat_requests::TOKEN;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::services::settings::{self, CreatedApiKey};
use crate::services::{chat_accounts, keys, sign_in, users};

/// A chat account's settings, with the defaults a new widget gets.
#[derive(Debug, Clone)]
pub struct ChatAccountOptions {
    pub name: String,
    pub token: Option<String>,
    pub language: String,
    pub greeting: String,
    pub offline_message: String,
    pub required_fields: Vec<String>,
    pub time_zone: String,
    pub service_hours: String,
    pub attachment_max_bytes: i64,
    pub attachment_types: Vec<String>,
    pub queue_enabled: bool,
    pub queue_max_length: i32,
    pub default_wait_seconds: i32,
    pub transcripts: bool,
}

impl ChatAccountOptions {
    pub fn named(name: &str) -> Self {
        ChatAccountOptions {
            name: name.to_owned(),
            token: None,
            language: "en".into(),
            greeting: "Hi! How can we help you?".into(),
            offline_message:
                "We are offline right now. Leave a message and we will get back to you.".into(),
            required_fields: Vec::new(),
            time_zone: "UTC".into(),
            service_hours: String::new(),
            attachment_max_bytes: 20 * 1024 * 1024,
            attachment_types: Vec::new(),
            queue_enabled: true,
            queue_max_length: 0,
            default_wait_seconds: 60,
            transcripts: false,
        }
    }
}

pub struct CreatedChatAccount {
    pub id: i64,
    pub token: String,
    pub secret: String,
    /// The last part of its JivoChat webhook URL (`/api/v2/jivochat/{webhook_token}`).
    pub webhook_token: String,
}

pub fn create_tenant(db: &Db, name: &str) -> Result<i64, ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::invalid("name", "length", "a tenant needs a name"));
    }
    db.write_blocking(|conn| Tenant::create(conn, name.trim()))
}

fn require_tenant(db: &Db, tenant_id: i64) -> Result<(), ApiError> {
    if db.read_blocking(|conn| Tenant::exists(conn, tenant_id))? {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "tenant",
            "unknown",
            format!("no tenant {tenant_id}"),
        ))
    }
}

pub fn create_chat_account(
    db: &Db,
    tenant_id: i64,
    options: &ChatAccountOptions,
) -> Result<CreatedChatAccount, ApiError> {
    require_tenant(db, tenant_id)?;
    let token = options
        .token
        .clone()
        .unwrap_or_else(|| keys::random_token(32));
    if token.len() < 10 || !TOKEN.is_match(&token) {
        return Err(ApiError::invalid(
            "token",
            "pattern",
            "at least 10 letters and digits",
        ));
    }
    check_name(&options.name)?;
    check_time_zone(&options.time_zone)?;
    let service_hours = check_service_hours(&options.service_hours)?;
    check_required_fields(&options.required_fields)?;
    let secret = keys::random_token(48);
    let new = NewChatAccount {
        tenant_id,
        name: options.name.clone(),
        token: token.clone(),
        secret: secret.clone(),
        language: options.language.clone(),
        greeting: options.greeting.clone(),
        offline_message: options.offline_message.clone(),
        required_fields: options.required_fields.join(","),
        time_zone: options.time_zone.clone(),
        service_hours,
        attachment_max_bytes: options.attachment_max_bytes,
        attachment_types: options.attachment_types.join(","),
        queue_enabled: options.queue_enabled,
        queue_max_length: options.queue_max_length,
        default_wait_seconds: options.default_wait_seconds,
        transcripts: options.transcripts,
        created_at: now_millis(),
        webhook_token: chat_accounts::new_webhook_token(),
    };
    let id = db
        .write_blocking(|conn| ChatAccount::create(conn, &new))
        .map_err(|e| e.taken("token", "this token is already in use"))?;
    let webhook_token = format!("{id}-{}", new.webhook_token);
    Ok(CreatedChatAccount {
        id,
        token,
        secret,
        webhook_token,
    })
}

pub fn create_api_key(
    db: &Db,
    tenant_id: i64,
    permissions: &[Permission],
) -> Result<CreatedApiKey, ApiError> {
    create_agent_api_key(db, tenant_id, None, permissions)
}

/// A key that acts as one agent of the tenant (or as "Agent Anonymous" without one).
pub fn create_agent_api_key(
    db: &Db,
    tenant_id: i64,
    user_id: Option<i64>,
    permissions: &[Permission],
) -> Result<CreatedApiKey, ApiError> {
    require_tenant(db, tenant_id)?;
    db.write_blocking(|conn| settings::issue_api_key_in(conn, tenant_id, user_id, permissions))
}

/// Revokes an API key: it answers 401 from then on. Revoking it again changes nothing.
pub fn revoke_api_key(db: &Db, tenant_id: i64, key_id: i64) -> Result<bool, ApiError> {
    require_tenant(db, tenant_id)?;
    db.write_blocking(|conn| ApiKey::revoke(conn, tenant_id, key_id))
}

pub fn allow_domain(db: &Db, tenant_id: i64, domain: &str) -> Result<String, ApiError> {
    require_tenant(db, tenant_id)?;
    let domain = normalize_domain(domain).map_err(|e| ApiError::invalid("domain", "pattern", e))?;
    db.write_blocking(|conn| AllowedDomain::add(conn, tenant_id, &domain))?;
    Ok(domain)
}

pub fn block_ip(db: &Db, tenant_id: i64, cidr: &str) -> Result<String, ApiError> {
    require_tenant(db, tenant_id)?;
    let net = parse_cidr(cidr)
        .map_err(|e| ApiError::invalid("cidr", "pattern", e))?
        .to_string();
    db.write_blocking(|conn| BlockedIp::add(conn, tenant_id, &net))?;
    Ok(net)
}

pub struct Demo {
    pub tenant_id: i64,
    pub api_key: String,
    pub chat_account_token: String,
    /// The demo agent's sign-in for the console.
    pub agent_email: String,
    pub agent_password: String,
}

pub const DEMO_AGENT_EMAIL: &str = "agent@demo.example";

/// The `demo` tenant with a chat account and an agent who may do everything, created on first
/// use; a fresh API key and a fresh password for the agent each time (both are stored
/// hashed, so old ones cannot be shown again).
pub fn ensure_demo(db: &Db) -> Result<Demo, ApiError> {
    let tenant_id = match db.read_blocking(|conn| Tenant::find_by_name(conn, "demo"))? {
        Some(t) => t.id,
        None => create_tenant(db, "demo")?,
    };
    let chat_account_token = match db
        .read_blocking(|conn| ChatAccount::first_of_tenant(conn, tenant_id))?
    {
        Some(account) => account.token,
        None => {
            create_chat_account(db, tenant_id, &ChatAccountOptions::named("Website chat"))?.token
        }
    };
    let api_key = create_api_key(db, tenant_id, &Permission::ALL)?.key;
    let agent = db.read_blocking(|conn| {
        Ok(User::of_tenant(conn, tenant_id)?
            .into_iter()
            .find(|u| u.email == DEMO_AGENT_EMAIL))
    })?;
    let agent_id = match agent {
        Some(agent) => agent.id,
        None => create_user(db, tenant_id, "Demo Agent", DEMO_AGENT_EMAIL)?,
    };
    let agent_password = keys::random_token(16);
    set_user_password(db, tenant_id, agent_id, &agent_password)?;
    set_user_permissions(db, tenant_id, agent_id, &Permission::ALL)?;
    Ok(Demo {
        tenant_id,
        api_key,
        chat_account_token,
        agent_email: DEMO_AGENT_EMAIL.to_owned(),
        agent_password,
    })
}

/// An agent of the tenant (for bootstrapping; the agent API manages them afterwards).
pub fn create_user(db: &Db, tenant_id: i64, name: &str, email: &str) -> Result<i64, ApiError> {
    require_tenant(db, tenant_id)?;
    let new = users::NewUser {
        name: name.to_owned(),
        email: email.to_owned(),
        is_online: false,
        email_notifications: true,
        password: None,
        permissions: None,
    };
    Ok(db
        .write_blocking(|conn| users::create_in(conn, tenant_id, &new))?
        .id)
}

/// Sets the agent's console password (argon2id) and ends their sessions.
pub fn set_user_password(
    db: &Db,
    tenant_id: i64,
    user_id: i64,
    password: &str,
) -> Result<(), ApiError> {
    let hashed = sign_in::hash_password_now(password)?;
    db.write_blocking(|conn| sign_in::replace_password(conn, tenant_id, user_id, &hashed))
}

/// What the agent may do in the console.
pub fn set_user_permissions(
    db: &Db,
    tenant_id: i64,
    user_id: i64,
    permissions: &[Permission],
) -> Result<(), ApiError> {
    let joined = Permission::join(permissions);
    db.write_blocking(|conn| User::find(conn, tenant_id, user_id)?.set_permissions(conn, &joined))
}
