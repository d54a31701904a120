use diesel::prelude::*;

use crate::db::schema::sign_in_failures;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

/// A failed sign-in, kept for as long as it counts against its scope (`account:EMAIL` or
/// `address:IP`).
pub struct SignInFailure;

impl SignInFailure {
    /// Records one failure, and forgets this scope's failures from before `since`.
    pub fn record(
        conn: &mut DbConnection,
        scope: &str,
        now: i64,
        since: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(
            sign_in_failures::table
                .filter(sign_in_failures::scope.eq(scope))
                .filter(sign_in_failures::failed_at.lt(since))
        )
        .execute(c))?;
        on_backend!(conn, |c| diesel::insert_into(sign_in_failures::table)
            .values((
                sign_in_failures::scope.eq(scope),
                sign_in_failures::failed_at.eq(now),
            ))
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
