use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::DbConnection;
use crate::error::ApiError;

/// Agents. Managed by the agent API; the chat side only needs to know how many are online.
pub struct User;

impl User {
    pub fn count_online(conn: &mut DbConnection, tenant_id: i64) -> Result<i64, ApiError> {
        Ok(users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::is_online.eq(true))
            .count()
            .get_result(conn)?)
    }
}
