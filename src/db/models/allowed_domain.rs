use diesel::prelude::*;

use crate::db::schema::allowed_domains;
use crate::db::{now_millis, DbConnection};
use crate::error::ApiError;
use crate::on_backend;

pub struct AllowedDomain;

impl AllowedDomain {
    /// Adds a domain to the tenant's whitelist; adding it again changes nothing.
    pub fn add(conn: &mut DbConnection, tenant_id: i64, domain: &str) -> Result<(), ApiError> {
        let row = (
            allowed_domains::tenant_id.eq(tenant_id),
            allowed_domains::domain.eq(domain),
            allowed_domains::created_at.eq(now_millis()),
        );
        on_backend!(conn, |c| diesel::insert_into(allowed_domains::table)
            .values(row)
            .on_conflict((allowed_domains::tenant_id, allowed_domains::domain))
            .do_nothing()
            .execute(c))?;
        Ok(())
    }

    /// Takes a domain off the whitelist; `false` if it was not on it.
    pub fn remove(conn: &mut DbConnection, tenant_id: i64, domain: &str) -> Result<bool, ApiError> {
        let gone = on_backend!(conn, |c| diesel::delete(
            allowed_domains::table
                .filter(allowed_domains::tenant_id.eq(tenant_id))
                .filter(allowed_domains::domain.eq(domain))
        )
        .execute(c))?;
        Ok(gone > 0)
    }

    pub fn list(conn: &mut DbConnection, tenant_id: i64) -> Result<Vec<String>, ApiError> {
        Ok(allowed_domains::table
            .filter(allowed_domains::tenant_id.eq(tenant_id))
            .order(allowed_domains::domain)
            .select(allowed_domains::domain)
            .load(conn)?)
    }
}
