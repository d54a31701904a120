use diesel::prelude::*;

use crate::db::schema::views;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = views)]
pub struct ViewRow {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    /// JSON list of validated conditions.
    pub conditions: String,
    pub sort_field: String,
    pub sort_direction: String,
    pub user_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ViewRow {
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        conn: &mut DbConnection,
        tenant_id: i64,
        name: &str,
        conditions: &str,
        sort_field: &str,
        sort_direction: &str,
        user_id: Option<i64>,
        at: i64,
    ) -> Result<i64, ApiError> {
        let row = (
            views::tenant_id.eq(tenant_id),
            views::name.eq(name),
            views::conditions.eq(conditions),
            views::sort_field.eq(sort_field),
            views::sort_direction.eq(sort_direction),
            views::user_id.eq(user_id),
            views::created_at.eq(at),
            views::updated_at.eq(at),
        );
        Ok(on_backend!(conn, |c| diesel::insert_into(views::table)
            .values(row)
            .returning(views::id)
            .get_result(c))?)
    }

    pub fn find(conn: &mut DbConnection, tenant_id: i64, id: i64) -> Result<ViewRow, ApiError> {
        on_backend!(conn, |c| views::table
            .filter(views::id.eq(id))
            .filter(views::tenant_id.eq(tenant_id))
            .select(ViewRow::as_select())
            .first(c)
            .optional())?
        .ok_or_else(|| ApiError::Missing(format!("no view {id}")))
    }

    pub fn list(
        conn: &mut DbConnection,
        tenant_id: i64,
        start: i64,
        limit: i64,
    ) -> Result<(Vec<ViewRow>, i64), ApiError> {
        let rows = on_backend!(conn, |c| views::table
            .filter(views::tenant_id.eq(tenant_id))
            .order(views::id)
            .offset(start)
            .limit(limit)
            .select(ViewRow::as_select())
            .load(c))?;
        let total = on_backend!(conn, |c| views::table
            .filter(views::tenant_id.eq(tenant_id))
            .count()
            .get_result(c))?;
        Ok((rows, total))
    }

    pub fn update(
        conn: &mut DbConnection,
        id: i64,
        name: &str,
        conditions: &str,
        sort_field: &str,
        sort_direction: &str,
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(views::table.find(id))
            .set((
                views::name.eq(name),
                views::conditions.eq(conditions),
                views::sort_field.eq(sort_field),
                views::sort_direction.eq(sort_direction),
                views::updated_at.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(views::table.find(id)).execute(c))?;
        Ok(())
    }
}
