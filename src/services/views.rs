//! Views: saved, named ticket filters, and the ticket lists they give.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::view::ViewRow;
use crate::db::{now_millis, Db};
use crate::domain::time::iso;
use crate::domain::view::{parse_conditions, Condition, Direction, Filter, Sort, SortField, Who};
use crate::error::ApiError;

fn sort_names(sort: Sort) -> (&'static str, &'static str) {
    let field = match sort.field {
        SortField::LastUpdate => "last_update",
        SortField::CreatedAt => "created_at",
        SortField::Id => "id",
    };
    let direction = match sort.direction {
        Direction::Asc => "asc",
        Direction::Desc => "desc",
    };
    (field, direction)
}

pub fn stored_sort(row: &ViewRow) -> Sort {
    Sort::parse(&format!("{} {}", row.sort_field, row.sort_direction)).unwrap_or_default()
}

pub fn stored_conditions(row: &ViewRow) -> Result<Vec<Filter>, ApiError> {
    let conditions: Vec<Condition> = serde_json::from_str(&row.conditions).map_err(|e| {
        ApiError::Internal(format!("view {} has unreadable conditions: {e}", row.id))
    })?;
    parse_conditions(&conditions)
}

/// A view: a saved, named ticket filter.
#[derive(Debug, Serialize, ToSchema)]
pub struct View {
    pub id: i64,
    pub name: String,
    /// All must hold.
    pub conditions: Vec<Condition>,
    pub sort: Sort,
    /// The agent whose key created it.
    pub user_id: Option<i64>,
    /// RFC 3339, UTC, milliseconds, like every time in the API.
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl View {
    fn of(row: &ViewRow) -> Result<View, ApiError> {
        Ok(View {
            id: row.id,
            name: row.name.clone(),
            conditions: serde_json::from_str(&row.conditions).map_err(|e| {
                ApiError::Internal(format!("view {} has unreadable conditions: {e}", row.id))
            })?,
            sort: stored_sort(row),
            user_id: row.user_id,
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        })
    }
}

/// One page of the tenant's views, and how many there are.
pub async fn list(
    db: &Db,
    tenant_id: i64,
    start: i64,
    limit: i64,
) -> Result<(Vec<View>, i64), ApiError> {
    db.read(move |conn| {
        let (rows, total) = ViewRow::list(conn, tenant_id, start, limit)?;
        Ok((rows.iter().map(View::of).collect::<Result<_, _>>()?, total))
    })
    .await
}

pub async fn get(db: &Db, tenant_id: i64, id: i64) -> Result<View, ApiError> {
    db.read(move |conn| View::of(&ViewRow::find(conn, tenant_id, id)?))
        .await
}

pub async fn delete(db: &Db, tenant_id: i64, id: i64) -> Result<(), ApiError> {
    db.write(move |conn| {
        ViewRow::find(conn, tenant_id, id)?;
        ViewRow::delete(conn, id)
    })
    .await
}

/// Replaces `me` with the key's agent; a key without one cannot use `me`.
pub fn resolve_me(filters: Vec<Filter>, me: Option<i64>) -> Result<Vec<Filter>, ApiError> {
    filters
        .into_iter()
        .map(|f| match f {
            Filter::AssignedTo {
                negate,
                who: Who::Me,
            } => match me {
                Some(user) => Ok(Filter::AssignedTo {
                    negate,
                    who: Who::User(user),
                }),
                None => Err(ApiError::validation(
                    "assignedUserID",
                    "me",
                    Some("`me` needs an API key that belongs to an agent"),
                )),
            },
            Filter::InGroupsOf(Who::Me) => match me {
                Some(user) => Ok(Filter::InGroupsOf(Who::User(user))),
                None => Err(ApiError::validation(
                    "assignedGroupID",
                    "me",
                    Some("`mine` needs an API key that belongs to an agent"),
                )),
            },
            other => Ok(other),
        })
        .collect()
}

pub struct ViewInput {
    pub name: String,
    pub conditions: Vec<Condition>,
    pub sort: Sort,
}

pub async fn create(
    db: &Db,
    tenant_id: i64,
    user_id: Option<i64>,
    input: ViewInput,
) -> Result<View, ApiError> {
    parse_conditions(&input.conditions)?;
    let conditions =
        serde_json::to_string(&input.conditions).map_err(|e| ApiError::Internal(e.to_string()))?;
    let (field, direction) = sort_names(input.sort);
    db.write(move |conn| {
        let id = ViewRow::create(
            conn,
            tenant_id,
            &input.name,
            &conditions,
            field,
            direction,
            user_id,
            now_millis(),
        )?;
        View::of(&ViewRow::find(conn, tenant_id, id)?)
    })
    .await
}

/// What `PUT` changes; `None` leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct ViewChanges {
    pub name: Option<String>,
    pub conditions: Option<Vec<Condition>>,
    pub sort: Option<Sort>,
}

/// Changes what was sent; the rest stays.
pub async fn update(
    db: &Db,
    tenant_id: i64,
    id: i64,
    changes: ViewChanges,
) -> Result<View, ApiError> {
    let ViewChanges {
        name,
        conditions,
        sort,
    } = changes;
    if let Some(conditions) = &conditions {
        parse_conditions(conditions)?;
    }
    let conditions = conditions
        .map(|c| serde_json::to_string(&c))
        .transpose()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    db.write(move |conn| {
        let row = ViewRow::find(conn, tenant_id, id)?;
        let (field, direction) = match sort.map(sort_names) {
            Some((f, d)) => (f.to_owned(), d.to_owned()),
            None => (row.sort_field.clone(), row.sort_direction.clone()),
        };
        ViewRow::update(
            conn,
            id,
            name.as_deref().unwrap_or(&row.name),
            conditions.as_deref().unwrap_or(&row.conditions),
            &field,
            &direction,
            now_millis(),
        )?;
        View::of(&ViewRow::find(conn, tenant_id, id)?)
    })
    .await
}
