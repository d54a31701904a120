use diesel::prelude::*;

use crate::db::schema::stream_events;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

/// An event a stream showed, kept for streams that resume.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = stream_events)]
pub struct StreamEvent {
    pub id: i64,
    pub tenant_id: i64,
    pub ticket_id: Option<i64>,
    pub kind: String,
    /// JSON.
    pub data: String,
    pub created_at: i64,
}

/// An event to keep, as written.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = stream_events)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewStreamEvent {
    pub id: i64,
    pub tenant_id: i64,
    pub ticket_id: Option<i64>,
    pub kind: String,
    /// JSON.
    pub data: String,
    pub created_at: i64,
}

/// Rows one INSERT takes (SQLite binds at most 32,766 values).
const ROWS_PER_INSERT: usize = 500;

impl NewStreamEvent {
    /// Keeps these events.
    pub fn keep(conn: &mut DbConnection, rows: &[NewStreamEvent]) -> Result<(), ApiError> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            on_backend!(conn, |c| diesel::insert_into(stream_events::table)
                .values(chunk)
                .execute(c))?;
        }
        Ok(())
    }
}

impl StreamEvent {
    /// Every kept event, by id, and none kept any more (SQLite: what the last stop wrote,
    /// read back by the next start).
    pub fn take_all(conn: &mut DbConnection) -> Result<Vec<StreamEvent>, ApiError> {
        let all = on_backend!(conn, |c| stream_events::table
            .order(stream_events::id)
            .select(StreamEvent::as_select())
            .load(c))?;
        StreamEvent::forget_all(conn)?;
        Ok(all)
    }

    /// Erases every kept event.
    pub fn forget_all(conn: &mut DbConnection) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(stream_events::table).execute(c))?;
        Ok(())
    }

    /// Erases what was kept of these tickets' events (a purge).
    pub fn purge_of_tickets(conn: &mut DbConnection, tickets: &[i64]) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(
            stream_events::table.filter(stream_events::ticket_id.eq_any(tickets))
        )
        .execute(c))?;
        Ok(())
    }

    /// The tenant's events after the one with this id, by id, if that one is still kept
    /// (created at or after `kept_since`); `None` if it is not.
    pub fn after(
        conn: &mut DbConnection,
        tenant_id: i64,
        id: i64,
        kept_since: i64,
    ) -> Result<Option<Vec<StreamEvent>>, ApiError> {
        let known: i64 = on_backend!(conn, |c| stream_events::table
            .filter(stream_events::id.eq(id))
            .filter(stream_events::tenant_id.eq(tenant_id))
            .filter(stream_events::created_at.ge(kept_since))
            .count()
            .get_result(c))?;
        if known == 0 {
            return Ok(None);
        }
        Ok(Some(on_backend!(conn, |c| stream_events::table
            .filter(stream_events::tenant_id.eq(tenant_id))
            .filter(stream_events::id.gt(id))
            .order(stream_events::id)
            .limit(10_000)
            .select(StreamEvent::as_select())
            .load(c))?))
    }
}
