use diesel::prelude::*;

use crate::db::models::user::User;
use crate::db::schema::{password_resets, users};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

/// A "forgot password" link: its token's SHA-256, for one agent, until it expires.
pub struct PasswordReset;

impl PasswordReset {
    pub fn create(
        conn: &mut DbConnection,
        user: &User,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::insert_into(password_resets::table)
            .values((
                password_resets::tenant_id.eq(user.tenant_id),
                password_resets::user_id.eq(user.id),
                password_resets::token_hash.eq(token_hash),
                password_resets::created_at.eq(now),
                password_resets::expires_at.eq(expires_at),
            ))
            .execute(c))?;
        Ok(())
    }

    /// The agent a live link with this token hash is for.
    pub fn user_of(
        conn: &mut DbConnection,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<User>, ApiError> {
        Ok(on_backend!(conn, |c| password_resets::table
            .inner_join(users::table)
            .filter(password_resets::token_hash.eq(token_hash))
            .filter(password_resets::expires_at.gt(now))
            .select(User::as_select())
            .first(c)
            .optional())?)
    }

    /// Uses a live link: it is deleted, and its agent's id given, in one statement, so that
    /// two uses at once cannot both succeed.
    pub fn consume(
        conn: &mut DbConnection,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(i64, i64)>, ApiError> {
        Ok(on_backend!(conn, |c| diesel::delete(
            password_resets::table
                .filter(password_resets::token_hash.eq(token_hash))
                .filter(password_resets::expires_at.gt(now))
        )
        .returning((password_resets::tenant_id, password_resets::user_id))
        .get_result(c)
        .optional())?)
    }

    /// Every link of the agent goes (one was used, or their password changed).
    pub fn delete_of_user(conn: &mut DbConnection, user_id: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(
            password_resets::table.filter(password_resets::user_id.eq(user_id))
        )
        .execute(c))?;
        Ok(())
    }

    /// How many links were asked for the agent since `since`.
    pub fn count_since(conn: &mut DbConnection, user_id: i64, since: i64) -> Result<i64, ApiError> {
        Ok(on_backend!(conn, |c| password_resets::table
            .filter(password_resets::user_id.eq(user_id))
            .filter(password_resets::created_at.ge(since))
            .count()
            .get_result(c))?)
    }
}
