use diesel::prelude::*;

use crate::db::schema::blocked_ips;
use crate::db::{now_millis, DbConnection};
use crate::error::ApiError;
use crate::on_backend;

pub struct BlockedIp;

impl BlockedIp {
    /// Adds a CIDR range (already normalized) to the tenant's blacklist; idempotent.
    pub fn add(conn: &mut DbConnection, tenant_id: i64, cidr: &str) -> Result<(), ApiError> {
        let row = (
            blocked_ips::tenant_id.eq(tenant_id),
            blocked_ips::cidr.eq(cidr),
            blocked_ips::created_at.eq(now_millis()),
        );
        on_backend!(conn, |c| diesel::insert_into(blocked_ips::table)
            .values(row)
            .on_conflict((blocked_ips::tenant_id, blocked_ips::cidr))
            .do_nothing()
            .execute(c))?;
        Ok(())
    }

    /// Takes a range off the blacklist; `false` if it was not on it.
    pub fn remove(conn: &mut DbConnection, tenant_id: i64, cidr: &str) -> Result<bool, ApiError> {
        let gone = on_backend!(conn, |c| diesel::delete(
            blocked_ips::table
                .filter(blocked_ips::tenant_id.eq(tenant_id))
                .filter(blocked_ips::cidr.eq(cidr))
        )
        .execute(c))?;
        Ok(gone > 0)
    }

    pub fn list(conn: &mut DbConnection, tenant_id: i64) -> Result<Vec<String>, ApiError> {
        Ok(blocked_ips::table
            .filter(blocked_ips::tenant_id.eq(tenant_id))
            .order(blocked_ips::cidr)
            .select(blocked_ips::cidr)
            .load(conn)?)
    }
}
