use diesel::prelude::*;

use crate::db::schema::tenants;
use crate::db::{now_millis, DbConnection};
use crate::error::ApiError;
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tenants)]
pub struct Tenant {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
}

impl Tenant {
    pub fn create(conn: &mut DbConnection, name: &str) -> Result<i64, ApiError> {
        let row = (tenants::name.eq(name), tenants::created_at.eq(now_millis()));
        let id = on_backend!(conn, |c| diesel::insert_into(tenants::table)
            .values(row)
            .returning(tenants::id)
            .get_result(c))?;
        Ok(id)
    }

    pub fn find_by_name(conn: &mut DbConnection, name: &str) -> Result<Option<Tenant>, ApiError> {
        Ok(tenants::table
            .filter(tenants::name.eq(name))
            .select(Tenant::as_select())
            .order(tenants::id)
            .first(conn)
            .optional()?)
    }

    pub fn exists(conn: &mut DbConnection, id: i64) -> Result<bool, ApiError> {
        let found: Option<i64> = tenants::table
            .find(id)
            .select(tenants::id)
            .first(conn)
            .optional()?;
        Ok(found.is_some())
    }
}
