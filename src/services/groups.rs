//! Agent groups (`/api/v2/group`): a tenant's Sales, Support, ... and who is in each.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::agent_group::AgentGroup;
use crate::db::{Db, DbConnection};
use crate::domain::time::iso;
use crate::error::ApiError;

const NAME_TAKEN: &str = "another group of this tenant has this name";

/// A group as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupView {
    pub id: i64,
    pub name: String,
    /// Its agents' ids, ascending.
    pub user_ids: Vec<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// What a create or an update says; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub user_ids: Option<Vec<i64>>,
}

fn views(conn: &mut DbConnection, groups: Vec<AgentGroup>) -> Result<Vec<GroupView>, ApiError> {
    let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let members = AgentGroup::members_of(conn, &ids)?;
    Ok(groups
        .into_iter()
        .map(|g| GroupView {
            user_ids: members
                .iter()
                .filter(|(group, _)| *group == g.id)
                .map(|(_, user)| *user)
                .collect(),
            id: g.id,
            name: g.name,
            created_at: iso(g.created_at),
        })
        .collect())
}

fn view(conn: &mut DbConnection, group: AgentGroup) -> Result<GroupView, ApiError> {
    Ok(views(conn, vec![group])?.remove(0))
}

/// The members, checked: every id an agent of the tenant (`400 userIDs unknown` otherwise).
fn members(
    conn: &mut DbConnection,
    tenant_id: i64,
    user_ids: &[i64],
) -> Result<Vec<i64>, ApiError> {
    let mut ids = user_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let strangers = AgentGroup::not_agents(conn, tenant_id, &ids)?;
    if !strangers.is_empty() {
        let list: Vec<String> = strangers.iter().map(i64::to_string).collect();
        return Err(ApiError::invalid(
            "userIDs",
            "unknown",
            format!("no agent of this tenant has the id {}", list.join(", ")),
        ));
    }
    Ok(ids)
}

fn apply(
    conn: &mut DbConnection,
    group: &AgentGroup,
    tenant_id: i64,
    changes: &GroupChanges,
) -> Result<(), ApiError> {
    if let Some(name) = &changes.name {
        if *name != group.name {
            group
                .rename(conn, name)
                .map_err(|e| e.taken("name", NAME_TAKEN))?;
        }
    }
    if let Some(user_ids) = &changes.user_ids {
        let ids = members(conn, tenant_id, user_ids)?;
        group.set_members(conn, &ids)?;
    }
    Ok(())
}

pub async fn create(
    db: &Db,
    tenant_id: i64,
    name: String,
    user_ids: Vec<i64>,
) -> Result<GroupView, ApiError> {
    db.write(move |conn| create_in(conn, tenant_id, &name, &user_ids))
        .await
}

/// The same from the command line (no async runtime there).
pub fn create_blocking(
    db: &Db,
    tenant_id: i64,
    name: &str,
    user_ids: &[i64],
) -> Result<GroupView, ApiError> {
    db.write_blocking(|conn| create_in(conn, tenant_id, name, user_ids))
}

fn create_in(
    conn: &mut DbConnection,
    tenant_id: i64,
    name: &str,
    user_ids: &[i64],
) -> Result<GroupView, ApiError> {
    let ids = members(conn, tenant_id, user_ids)?;
    let id = AgentGroup::create(conn, tenant_id, name).map_err(|e| e.taken("name", NAME_TAKEN))?;
    let group = AgentGroup::find(conn, tenant_id, id)?;
    group.set_members(conn, &ids)?;
    view(conn, group)
}

pub async fn list(
    db: &Db,
    tenant_id: i64,
    start: i64,
    limit: i64,
) -> Result<(Vec<GroupView>, i64), ApiError> {
    db.read(move |conn| {
        let (groups, total) = AgentGroup::list(conn, tenant_id, start, limit)?;
        Ok((views(conn, groups)?, total))
    })
    .await
}

pub async fn get(db: &Db, tenant_id: i64, id: i64) -> Result<GroupView, ApiError> {
    db.read(move |conn| {
        let group = AgentGroup::find(conn, tenant_id, id)?;
        view(conn, group)
    })
    .await
}

pub async fn update(
    db: &Db,
    tenant_id: i64,
    id: i64,
    changes: GroupChanges,
) -> Result<GroupView, ApiError> {
    db.write(move |conn| {
        let group = AgentGroup::find(conn, tenant_id, id)?;
        apply(conn, &group, tenant_id, &changes)?;
        let group = AgentGroup::find(conn, tenant_id, id)?;
        view(conn, group)
    })
    .await
}

pub async fn delete(db: &Db, tenant_id: i64, id: i64) -> Result<(), ApiError> {
    db.write(move |conn| AgentGroup::find(conn, tenant_id, id)?.delete(conn))
        .await
}
