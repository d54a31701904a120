use diesel::prelude::*;

use crate::db::schema::sign_in_failures;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

/// A failed sign-in, kept for as long as it counts against its scope (`account:EMAIL` or
/// `address:IP`).
pub struct SignInFailure;

impl SignInFailure {
    /// Holds the scope until the transaction ends, so that attempts counted at once are
    /// counted one after another (SQLite's writes are one at a time already).
    pub fn lock(conn: &mut DbConnection, scope: &str) -> Result<(), ApiError> {
        if let DbConnection::Pg(pg) = conn {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind::<diesel::sql_types::Text, _>(scope)
                .execute(pg)?;
        }
        Ok(())
    }

    /// Records one attempt (counted as failed until it is deleted) and forgets attempts from
    /// before `since`: this scope's (whose lock the caller holds), and a hundred of any other
    /// scope's, skipping rows another transaction holds (so two purges never wait on each
    /// other); its id.
    pub fn record(
        conn: &mut DbConnection,
        scope: &str,
        now: i64,
        since: i64,
    ) -> Result<i64, ApiError> {
        on_backend!(conn, |c| diesel::delete(
            sign_in_failures::table
                .filter(sign_in_failures::scope.eq(scope))
                .filter(sign_in_failures::failed_at.lt(since))
        )
        .execute(c))?;
        let stale = match conn {
            DbConnection::Pg(_) => {
                "DELETE FROM sign_in_failures WHERE id IN (SELECT id FROM sign_in_failures \
                 WHERE failed_at < $1 LIMIT 100 FOR UPDATE SKIP LOCKED)"
            }
            DbConnection::Sqlite(_) => {
                "DELETE FROM sign_in_failures WHERE id IN (SELECT id FROM sign_in_failures \
                 WHERE failed_at < ? LIMIT 100)"
            }
        };
        on_backend!(conn, |c| diesel::sql_query(stale)
            .bind::<diesel::sql_types::BigInt, _>(since)
            .execute(c))?;
        Ok(on_backend!(conn, |c| diesel::insert_into(
            sign_in_failures::table
        )
        .values((
            sign_in_failures::scope.eq(scope),
            sign_in_failures::failed_at.eq(now),
        ))
        .returning(sign_in_failures::id)
        .get_result(c))?)
    }

    /// Forgets these attempts (they succeeded).
    pub fn delete(conn: &mut DbConnection, ids: &[i64]) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(
            sign_in_failures::table.filter(sign_in_failures::id.eq_any(ids))
        )
        .execute(c))?;
        Ok(())
    }

    /// The scope's failures since `since`: how many, and when the oldest was.
    pub fn since(
        conn: &mut DbConnection,
        scope: &str,
        since: i64,
    ) -> Result<(i64, Option<i64>), ApiError> {
        let times: Vec<i64> = on_backend!(conn, |c| sign_in_failures::table
            .filter(sign_in_failures::scope.eq(scope))
            .filter(sign_in_failures::failed_at.ge(since))
            .order(sign_in_failures::failed_at)
            .select(sign_in_failures::failed_at)
            .load(c))?;
        Ok((times.len() as i64, times.first().copied()))
    }

    pub fn clear(conn: &mut DbConnection, scope: &str) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(
            sign_in_failures::table.filter(sign_in_failures::scope.eq(scope))
        )
        .execute(c))?;
        Ok(())
    }
}
