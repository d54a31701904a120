use diesel::prelude::*;

use crate::db::schema::api_keys;
use crate::db::{now_millis, DbConnection};
use crate::error::ApiError;
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: i64,
    pub tenant_id: i64,
    pub user_id: Option<i64>,
    pub prefix: String,
    pub key_hash: String,
    pub permissions: String,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

impl ApiKey {
    pub fn create(
        conn: &mut DbConnection,
        tenant_id: i64,
        user_id: Option<i64>,
        prefix: &str,
        key_hash: &str,
        permissions: &str,
    ) -> Result<i64, ApiError> {
        let row = (
            api_keys::tenant_id.eq(tenant_id),
            api_keys::user_id.eq(user_id),
            api_keys::prefix.eq(prefix),
            api_keys::key_hash.eq(key_hash),
            api_keys::permissions.eq(permissions),
            api_keys::created_at.eq(now_millis()),
        );
        let id = on_backend!(conn, |c| diesel::insert_into(api_keys::table)
            .values(row)
            .returning(api_keys::id)
            .get_result(c))?;
        Ok(id)
    }

    pub fn find_by_prefix(
        conn: &mut DbConnection,
        prefix: &str,
    ) -> Result<Option<ApiKey>, ApiError> {
        Ok(on_backend!(conn, |c| api_keys::table
            .filter(api_keys::prefix.eq(prefix))
            .select(ApiKey::as_select())
            .first(c)
            .optional())?)
    }

    /// Revokes every live key bound to the agent; their prefixes.
    pub fn revoke_of_user(
        conn: &mut DbConnection,
        tenant_id: i64,
        user_id: i64,
    ) -> Result<Vec<String>, ApiError> {
        let live = api_keys::table
            .filter(api_keys::tenant_id.eq(tenant_id))
            .filter(api_keys::user_id.eq(user_id))
            .filter(api_keys::revoked_at.is_null());
        let prefixes = live.select(api_keys::prefix).load(conn)?;
        diesel::update(live)
            .set(api_keys::revoked_at.eq(now_millis()))
            .execute(conn)?;
        Ok(prefixes)
    }

    /// Every key of the tenant, newest first.
    pub fn of_tenant(conn: &mut DbConnection, tenant_id: i64) -> Result<Vec<ApiKey>, ApiError> {
        Ok(on_backend!(conn, |c| api_keys::table
            .filter(api_keys::tenant_id.eq(tenant_id))
            .order(api_keys::id.desc())
            .select(ApiKey::as_select())
            .load(c))?)
    }

    /// Revokes a live key of the tenant; its prefix, or `None` if the tenant has no such live
    /// key.
    pub fn revoke_returning_prefix(
        conn: &mut DbConnection,
        tenant_id: i64,
        id: i64,
    ) -> Result<Option<String>, ApiError> {
        let live = on_backend!(conn, |c| api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::tenant_id.eq(tenant_id))
            .filter(api_keys::revoked_at.is_null())
            .select(api_keys::prefix)
            .first::<String>(c)
            .optional())?;
        if live.is_some() {
            Self::revoke(conn, tenant_id, id)?;
        }
        Ok(live)
    }

    /// Revokes a key of the tenant; `false` if the tenant has no such key.
    pub fn revoke(conn: &mut DbConnection, tenant_id: i64, id: i64) -> Result<bool, ApiError> {
        let changed = diesel::update(
            api_keys::table
                .filter(api_keys::id.eq(id))
                .filter(api_keys::tenant_id.eq(tenant_id))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(now_millis()))
        .execute(conn)?;
        Ok(changed == 1)
    }
}
