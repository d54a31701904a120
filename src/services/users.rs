//! The tenant's agents, as the agent API and the command line manage them. An agent's
//! e-mail address is kept in lower case and is unique within the tenant (`409` when taken).

use crate::db::models::api_key::ApiKey;
use crate::db::models::password_reset::PasswordReset;
use crate::db::models::user::{User, UserChanges};
use crate::db::{Db, DbConnection};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::services::events::{Events, KeysRevoked};
use crate::services::sign_in;

const EMAIL_TAKEN: &str = "another agent has this e-mail";

/// A new agent.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub is_online: bool,
    pub email_notifications: bool,
    /// The console password, if any.
    pub password: Option<String>,
    /// What they may do in the console; `None`: an everyday agent's (`Permission::AGENT`).
    pub permissions: Option<Vec<Permission>>,
}

/// Refuses to let `actor` (the permissions of the key or agent at work) make or take over an
/// agent who may do more than the actor: giving them a password or an e-mail (which a "forgot
/// password" mail then reaches) would let the actor sign in as them.
pub fn may_manage(actor: &[Permission], target: &[Permission]) -> Result<(), ApiError> {
    let lacking = Permission::lacking(actor, target);
    match lacking.is_empty() {
        true => Ok(()),
        false => Err(ApiError::NotYours(format!(
            "this agent may do what you may not ({}): only someone who holds those may set \
             their password, e-mail or permissions",
            Permission::join(&lacking)
        ))),
    }
}

/// An e-mail address as agents' are kept: trimmed, lower case, checked.
pub fn normal_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    if validator::ValidateEmail::validate_email(&email) {
        Ok(email)
    } else {
        Err(ApiError::invalid(
            "email",
            "email",
            format!("{email:?} is not an e-mail address"),
        ))
    }
}

/// The one place an agent is created, inside the caller's write transaction.
pub fn create_in(conn: &mut DbConnection, tenant_id: i64, new: &NewUser) -> Result<User, ApiError> {
    let email = normal_email(&new.email)?;
    let id = User::create(
        conn,
        tenant_id,
        &new.name,
        &email,
        new.is_online,
        new.email_notifications,
    )
    .map_err(|e| e.taken("email", EMAIL_TAKEN))?;
    let user = User::find(conn, tenant_id, id)?;
    if let Some(permissions) = &new.permissions {
        user.set_permissions(conn, &Permission::join(permissions))?;
    }
    User::find(conn, tenant_id, id)
}

/// A new agent; with a password, one who can sign in to the console (who may then do no
/// more than `actor`, the permissions at work).
pub async fn create(
    db: &Db,
    tenant_id: i64,
    mut new: NewUser,
    actor: &[Permission],
) -> Result<User, ApiError> {
    if new.password.is_some() || new.permissions.is_some() {
        let given = new
            .permissions
            .clone()
            .unwrap_or(Permission::AGENT.to_vec());
        may_manage(actor, &given)?;
    }
    let hashed = match new.password.take() {
        Some(password) => Some(sign_in::hash_password(password).await?),
        None => None,
    };
    db.write(move |conn| {
        let user = create_in(conn, tenant_id, &new)?;
        if let Some(hashed) = &hashed {
            sign_in::replace_password(conn, tenant_id, user.id, hashed)?;
        }
        Ok(user)
    })
    .await
}

/// One page of the tenant's agents, and how many there are.
pub async fn list(
    db: &Db,
    tenant_id: i64,
    start: i64,
    limit: i64,
) -> Result<(Vec<User>, i64), ApiError> {
    db.read(move |conn| User::list(conn, tenant_id, start, limit))
        .await
}

pub async fn get(db: &Db, tenant_id: i64, id: i64) -> Result<User, ApiError> {
    db.read(move |conn| User::find(conn, tenant_id, id)).await
}

/// Changes what was sent; the rest stays. A new password ends the agent's console sessions; a
/// new e-mail ends the "forgot password" links sent to the old one. Only someone who may do
/// all the agent may (`actor`) sets their password or e-mail.
pub async fn update(
    db: &Db,
    tenant_id: i64,
    id: i64,
    mut changes: UserChanges,
    password: Option<String>,
    actor: Vec<Permission>,
) -> Result<User, ApiError> {
    changes.email = changes.email.as_deref().map(normal_email).transpose()?;
    let hashed = match password {
        Some(password) => Some(sign_in::hash_password(password).await?),
        None => None,
    };
    db.write(move |conn| {
        let user = User::find(conn, tenant_id, id)?;
        let new_email = changes.email.as_ref().filter(|e| **e != user.email);
        if hashed.is_some() || new_email.is_some() {
            may_manage(&actor, &Permission::parse_list(&user.permissions))?;
        }
        user.update(conn, &changes)
            .map_err(|e| e.taken("email", EMAIL_TAKEN))?;
        if new_email.is_some() {
            PasswordReset::delete_of_user(conn, id)?;
        }
        if let Some(hashed) = &hashed {
            sign_in::replace_password(conn, tenant_id, id, hashed)?;
        }
        User::find(conn, tenant_id, id)
    })
    .await
}

/// Gives the agent a new password (ending their sessions), if `actor` may do all they may.
pub async fn set_password(
    db: &Db,
    tenant_id: i64,
    id: i64,
    password: String,
    actor: Vec<Permission>,
) -> Result<(), ApiError> {
    let hashed = sign_in::hash_password(password).await?;
    db.write(move |conn| {
        let user = User::find(conn, tenant_id, id)?;
        may_manage(&actor, &Permission::parse_list(&user.permissions))?;
        sign_in::replace_password(conn, tenant_id, id, &hashed)
    })
    .await
}

/// Removes the agent and revokes the keys bound to them, on every instance at once: from
/// then on they are `401`.
pub async fn delete(db: &Db, events: &Events, tenant_id: i64, id: i64) -> Result<(), ApiError> {
    let prefixes = db
        .write(move |conn| {
            let user = User::find(conn, tenant_id, id)?;
            let prefixes = ApiKey::revoke_of_user(conn, tenant_id, user.id)?;
            user.delete(conn)?;
            Ok(prefixes)
        })
        .await?;
    // A few keys an event, so that each fits a Postgres notification whole.
    for chunk in prefixes.chunks(100) {
        let prefixes = chunk.to_vec();
        events.send(tenant_id, &KeysRevoked { prefixes });
    }
    Ok(())
}
