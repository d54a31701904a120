//! The tenant's agents, as the agent API and the command line manage them. An agent's
//! e-mail address is kept in lower case and is unique within the tenant (`409` when taken).

use crate::db::models::api_key::ApiKey;
use crate::db::models::user::{User, UserChanges};
use crate::db::{Db, DbConnection};
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
    User::find(conn, tenant_id, id)
}

/// A new agent; with a password, one who can sign in to the console.
pub async fn create(db: &Db, tenant_id: i64, mut new: NewUser) -> Result<User, ApiError> {
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

/// Changes what was sent; the rest stays. A new password ends the agent's console sessions.
pub async fn update(
    db: &Db,
    tenant_id: i64,
    id: i64,
    mut changes: UserChanges,
    password: Option<String>,
) -> Result<User, ApiError> {
    changes.email = changes.email.as_deref().map(normal_email).transpose()?;
    let hashed = match password {
        Some(password) => Some(sign_in::hash_password(password).await?),
        None => None,
    };
    db.write(move |conn| {
        User::find(conn, tenant_id, id)?
            .update(conn, &changes)
            .map_err(|e| e.taken("email", EMAIL_TAKEN))?;
        if let Some(hashed) = &hashed {
            sign_in::replace_password(conn, tenant_id, id, hashed)?;
        }
        User::find(conn, tenant_id, id)
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
