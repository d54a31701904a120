use diesel::prelude::*;

use crate::db::models::user::User;
use crate::db::schema::{console_sessions, users};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

/// A browser signed in to the console. The token lives only in its cookie; the row keeps
/// the token's SHA-256.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = console_sessions)]
pub struct ConsoleSession {
    pub id: i64,
    pub tenant_id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

impl ConsoleSession {
    pub fn create(
        conn: &mut DbConnection,
        user: &User,
        token_hash: &str,
        now: i64,
    ) -> Result<i64, ApiError> {
        let row = (
            console_sessions::tenant_id.eq(user.tenant_id),
            console_sessions::user_id.eq(user.id),
            console_sessions::token_hash.eq(token_hash),
            console_sessions::created_at.eq(now),
            console_sessions::last_seen_at.eq(now),
        );
        Ok(on_backend!(conn, |c| diesel::insert_into(
            console_sessions::table
        )
        .values(row)
        .returning(console_sessions::id)
        .get_result(c))?)
    }

    /// The session with this token hash and its agent, whatever their age.
    pub fn find_by_hash(
        conn: &mut DbConnection,
        token_hash: &str,
    ) -> Result<Option<(ConsoleSession, User)>, ApiError> {
        Ok(on_backend!(conn, |c| console_sessions::table
            .inner_join(users::table)
            .filter(console_sessions::token_hash.eq(token_hash))
            .select((ConsoleSession::as_select(), User::as_select()))
            .first(c)
            .optional())?)
    }

    pub fn touch(&self, conn: &mut DbConnection, now: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(
            console_sessions::table.find(self.id)
        )
        .set(console_sessions::last_seen_at.eq(now))
        .execute(c))?;
        Ok(())
    }

    pub fn delete(&self, conn: &mut DbConnection) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(
            console_sessions::table.find(self.id)
        )
        .execute(c))?;
        Ok(())
    }

    /// Ends every session of the agent (a password change, a removal).
    pub fn delete_of_user(conn: &mut DbConnection, user_id: i64) -> Result<usize, ApiError> {
        Ok(on_backend!(conn, |c| diesel::delete(
            console_sessions::table.filter(console_sessions::user_id.eq(user_id))
        )
        .execute(c))?)
    }
}
