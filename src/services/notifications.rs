//! Each agent's notifications, as the agent reads and marks them.

use crate::db::models::notification::Notification;
use crate::db::Db;
use crate::error::ApiError;

/// One page of the agent's notifications, newest first, and how many there are. Reading them
/// marks them read; each still shows whether it was read before.
pub async fn read_page(
    db: &Db,
    tenant_id: i64,
    agent: i64,
    unread_only: bool,
    start: i64,
    limit: i64,
) -> Result<(Vec<Notification>, i64), ApiError> {
    db.write(move |conn| {
        let (items, total) = Notification::page(conn, tenant_id, agent, unread_only, start, limit)?;
        let unread: Vec<i64> = items.iter().filter(|n| !n.is_read).map(|n| n.id).collect();
        if !unread.is_empty() {
            Notification::set_read(conn, tenant_id, agent, &unread, true)?;
        }
        Ok((items, total))
    })
    .await
}

/// One page of the agent's notifications, newest first, as they are (reading marks nothing).
pub async fn page(
    db: &Db,
    tenant_id: i64,
    agent: i64,
    start: i64,
    limit: i64,
) -> Result<Vec<Notification>, ApiError> {
    db.read(move |conn| {
        Notification::page(conn, tenant_id, agent, false, start, limit).map(|(items, _)| items)
    })
    .await
}

/// How many of the agent's notifications are unread (the console's bell).
pub async fn unread_count(db: &Db, tenant_id: i64, agent: i64) -> Result<i64, ApiError> {
    db.read(move |conn| Notification::unread_count(conn, tenant_id, agent))
        .await
}

/// Marks the agent's notifications of these ids read or unread (others' are left alone);
/// how many changed.
pub async fn set_read(
    db: &Db,
    tenant_id: i64,
    agent: i64,
    ids: Vec<i64>,
    read: bool,
) -> Result<usize, ApiError> {
    db.write(move |conn| Notification::set_read(conn, tenant_id, agent, &ids, read))
        .await
}
