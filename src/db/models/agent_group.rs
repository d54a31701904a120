use diesel::prelude::*;

use crate::db::schema::{agent_group_members, agent_groups, users};
use crate::db::{now_millis, DbConnection};
use crate::error::ApiError;
use crate::on_backend;

/// A group of a tenant's agents (Sales, Support, ...).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = agent_groups)]
pub struct AgentGroup {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub created_at: i64,
}

impl AgentGroup {
    /// A unique violation is the name's (`taken` by the caller).
    pub fn create(conn: &mut DbConnection, tenant_id: i64, name: &str) -> Result<i64, ApiError> {
        let row = (
            agent_groups::tenant_id.eq(tenant_id),
            agent_groups::name.eq(name),
            agent_groups::created_at.eq(now_millis()),
        );
        Ok(on_backend!(conn, |c| diesel::insert_into(
            agent_groups::table
        )
        .values(row)
        .returning(agent_groups::id)
        .get_result(c))?)
    }

    pub fn find(conn: &mut DbConnection, tenant_id: i64, id: i64) -> Result<AgentGroup, ApiError> {
        on_backend!(conn, |c| agent_groups::table
            .filter(agent_groups::id.eq(id))
            .filter(agent_groups::tenant_id.eq(tenant_id))
            .select(AgentGroup::as_select())
            .first(c)
            .optional())?
        .ok_or_else(|| ApiError::Missing(format!("no group {id}")))
    }

    /// The tenant's group of this name (any case), if there is one.
    pub fn find_by_name(
        conn: &mut DbConnection,
        tenant_id: i64,
        name: &str,
    ) -> Result<Option<i64>, ApiError> {
        let groups: Vec<(i64, String)> = on_backend!(conn, |c| agent_groups::table
            .filter(agent_groups::tenant_id.eq(tenant_id))
            .select((agent_groups::id, agent_groups::name))
            .load(c))?;
        let wanted = name.trim().to_lowercase();
        Ok(groups
            .into_iter()
            .find(|(_, n)| n.trim().to_lowercase() == wanted)
            .map(|(id, _)| id))
    }

    /// A page of the tenant's groups by name, and how many there are.
    pub fn list(
        conn: &mut DbConnection,
        tenant_id: i64,
        start: i64,
        limit: i64,
    ) -> Result<(Vec<AgentGroup>, i64), ApiError> {
        let items = on_backend!(conn, |c| agent_groups::table
            .filter(agent_groups::tenant_id.eq(tenant_id))
            .order((agent_groups::name, agent_groups::id))
            .offset(start)
            .limit(limit)
            .select(AgentGroup::as_select())
            .load(c))?;
        let total = on_backend!(conn, |c| agent_groups::table
            .filter(agent_groups::tenant_id.eq(tenant_id))
            .count()
            .get_result(c))?;
        Ok((items, total))
    }

    pub fn rename(&self, conn: &mut DbConnection, name: &str) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(agent_groups::table.find(self.id))
            .set(agent_groups::name.eq(name))
            .execute(c))?;
        Ok(())
    }

    /// The group, its members with it.
    pub fn delete(&self, conn: &mut DbConnection) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(
            agent_group_members::table.filter(agent_group_members::group_id.eq(self.id))
        )
        .execute(c))?;
        on_backend!(conn, |c| diesel::delete(agent_groups::table.find(self.id))
            .execute(c))?;
        Ok(())
    }

    /// Makes these agents the members (ids the caller checked are the tenant's agents).
    pub fn set_members(&self, conn: &mut DbConnection, user_ids: &[i64]) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(
            agent_group_members::table.filter(agent_group_members::group_id.eq(self.id))
        )
        .execute(c))?;
        for user_id in user_ids {
            let row = (
                agent_group_members::group_id.eq(self.id),
                agent_group_members::user_id.eq(user_id),
            );
            on_backend!(conn, |c| diesel::insert_into(agent_group_members::table)
                .values(row)
                .execute(c))?;
        }
        Ok(())
    }

    /// (group, agent) of these groups, by agent id.
    pub fn members_of(
        conn: &mut DbConnection,
        group_ids: &[i64],
    ) -> Result<Vec<(i64, i64)>, ApiError> {
        Ok(on_backend!(conn, |c| agent_group_members::table
            .filter(agent_group_members::group_id.eq_any(group_ids))
            .order((agent_group_members::group_id, agent_group_members::user_id))
            .select((agent_group_members::group_id, agent_group_members::user_id))
            .load(c))?)
    }

    /// Of these ids, those that are not agents of the tenant.
    pub fn not_agents(
        conn: &mut DbConnection,
        tenant_id: i64,
        user_ids: &[i64],
    ) -> Result<Vec<i64>, ApiError> {
        let found: Vec<i64> = on_backend!(conn, |c| users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq_any(user_ids))
            .select(users::id)
            .load(c))?;
        Ok(user_ids
            .iter()
            .copied()
            .filter(|id| !found.contains(id))
            .collect())
    }
}
