use diesel::prelude::*;

use crate::db::now_millis;
use crate::db::schema::customer_external_ids;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

/// JivoChat's visitor `number`.
pub const SOURCE_JIVOCHAT: &str = "jivochat";

/// What another system calls one of the tenant's customers.
pub struct CustomerExternalId;

impl CustomerExternalId {
    pub fn customer_of(
        conn: &mut DbConnection,
        tenant_id: i64,
        source: &str,
        external_id: &str,
    ) -> Result<Option<i64>, ApiError> {
        Ok(on_backend!(conn, |c| customer_external_ids::table
            .filter(customer_external_ids::tenant_id.eq(tenant_id))
            .filter(customer_external_ids::source.eq(source))
            .filter(customer_external_ids::external_id.eq(external_id))
            .select(customer_external_ids::customer_id)
            .first(c)
            .optional())?)
    }

    /// Links the id to the customer, unless it names another customer already (the first
    /// link stays: no silent merges).
    pub fn link(
        conn: &mut DbConnection,
        tenant_id: i64,
        customer_id: i64,
        source: &str,
        external_id: &str,
    ) -> Result<(), ApiError> {
        let row = (
            customer_external_ids::tenant_id.eq(tenant_id),
            customer_external_ids::customer_id.eq(customer_id),
            customer_external_ids::source.eq(source),
            customer_external_ids::external_id.eq(external_id),
            customer_external_ids::created_at.eq(now_millis()),
        );
        on_backend!(conn, |c| diesel::insert_into(customer_external_ids::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c))?;
        Ok(())
    }

    /// A purge forgets every other system's name for the customer.
    pub fn purge_of_customer(conn: &mut DbConnection, customer_id: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(
            customer_external_ids::table.filter(customer_external_ids::customer_id.eq(customer_id))
        )
        .execute(c))?;
        Ok(())
    }
}
