use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{now_millis, DbConnection};
use crate::error::ApiError;
use crate::on_backend;

/// An agent.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    #[serde(skip)]
    pub tenant_id: i64,
    pub name: String,
    pub email: String,
    pub is_online: bool,
    pub email_notifications: bool,
    #[serde(skip)]
    pub created_at: i64,
    /// The console password's argon2id hash (PHC string); `None`: the agent cannot sign in.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// What the agent may do in the console: permission names, comma-separated.
    #[serde(skip)]
    pub permissions: String,
}

#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub email: Option<String>,
    pub is_online: Option<bool>,
    pub email_notifications: Option<bool>,
}

impl User {
    /// Every agent of the tenant.
    pub fn of_tenant(conn: &mut DbConnection, tenant_id: i64) -> Result<Vec<User>, ApiError> {
        Ok(on_backend!(conn, |c| users::table
            .filter(users::tenant_id.eq(tenant_id))
            .order(users::id)
            .select(User::as_select())
            .load(c))?)
    }

    /// The tenant's agent with this e-mail (any case).
    pub fn find_by_email(
        conn: &mut DbConnection,
        tenant_id: i64,
        email: &str,
    ) -> Result<Option<User>, ApiError> {
        let email = email.trim().to_lowercase();
        let agents = User::of_tenant(conn, tenant_id)?;
        Ok(agents.into_iter().find(|a| a.email.to_lowercase() == email))
    }

    /// The agents of every tenant who can sign in with this (normalized) e-mail.
    pub fn who_sign_in_as(conn: &mut DbConnection, email: &str) -> Result<Vec<User>, ApiError> {
        Ok(on_backend!(conn, |c| users::table
            .filter(users::email.eq(email))
            .filter(users::password_hash.is_not_null())
            .order(users::id)
            .select(User::as_select())
            .load(c))?)
    }

    pub fn set_password_hash(&self, conn: &mut DbConnection, hash: &str) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(users::table.find(self.id))
            .set(users::password_hash.eq(hash))
            .execute(c))?;
        Ok(())
    }

    pub fn set_permissions(
        &self,
        conn: &mut DbConnection,
        permissions: &str,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(users::table.find(self.id))
            .set(users::permissions.eq(permissions))
            .execute(c))?;
        Ok(())
    }

    pub fn count_online(conn: &mut DbConnection, tenant_id: i64) -> Result<i64, ApiError> {
        Ok(on_backend!(conn, |c| users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::is_online.eq(true))
            .count()
            .get_result(c))?)
    }

    pub fn create(
        conn: &mut DbConnection,
        tenant_id: i64,
        name: &str,
        email: &str,
        is_online: bool,
        email_notifications: bool,
    ) -> Result<i64, ApiError> {
        let row = (
            users::tenant_id.eq(tenant_id),
            users::name.eq(name),
            users::email.eq(email),
            users::is_online.eq(is_online),
            users::email_notifications.eq(email_notifications),
            users::created_at.eq(now_millis()),
        );
        Ok(on_backend!(conn, |c| diesel::insert_into(users::table)
            .values(row)
            .returning(users::id)
            .get_result(c))?)
    }

    pub fn find(conn: &mut DbConnection, tenant_id: i64, id: i64) -> Result<User, ApiError> {
        on_backend!(conn, |c| users::table
            .filter(users::id.eq(id))
            .filter(users::tenant_id.eq(tenant_id))
            .select(User::as_select())
            .first(c)
            .optional())?
        .ok_or_else(|| ApiError::Missing(format!("no user {id}")))
    }

    pub fn list(
        conn: &mut DbConnection,
        tenant_id: i64,
        start: i64,
        limit: i64,
    ) -> Result<(Vec<User>, i64), ApiError> {
        let rows = on_backend!(conn, |c| users::table
            .filter(users::tenant_id.eq(tenant_id))
            .order(users::id)
            .offset(start)
            .limit(limit)
            .select(User::as_select())
            .load(c))?;
        let total = on_backend!(conn, |c| users::table
            .filter(users::tenant_id.eq(tenant_id))
            .count()
            .get_result(c))?;
        Ok((rows, total))
    }

    pub fn update(&self, conn: &mut DbConnection, changes: &UserChanges) -> Result<(), ApiError> {
        let row = (
            users::name.eq(changes.name.as_ref().unwrap_or(&self.name)),
            users::email.eq(changes.email.as_ref().unwrap_or(&self.email)),
            users::is_online.eq(changes.is_online.unwrap_or(self.is_online)),
            users::email_notifications.eq(changes
                .email_notifications
                .unwrap_or(self.email_notifications)),
        );
        on_backend!(conn, |c| diesel::update(users::table.find(self.id))
            .set(row)
            .execute(c))?;
        Ok(())
    }

    pub fn delete(&self, conn: &mut DbConnection) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(users::table.find(self.id))
            .execute(c))?;
        Ok(())
    }
}
