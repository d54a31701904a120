//! SQLite: the events a stream may resume from outlive a clean restart. The one instance keeps
//! them in memory (`ReplayLog`) while it runs; when it stops it writes them to `stream_events`
//! in one transaction, and the next start reads them back and empties the table. Nothing is
//! written while the server runs, so the single writer pays nothing per event (Postgres'
//! instances share theirs through the table as they go: `db::pubsub`).
//!
//! A process that ends without stopping (killed, a crash) writes nothing: the next start finds
//! no events, and a stream resuming from before gets `resync`, never a replay with a hole in
//! it. Events written for an earlier stop were read back (and erased) by the start after it,
//! so what a start finds is always one whole stop's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{ticket_of, Event};
use crate::db::models::stream_event::{NewStreamEvent, StreamEvent};
use crate::db::Db;
use crate::error::ApiError;

/// Most events a stop writes (the newest; each tenant keeps at most `REPLAY_MAX` anyway).
const SAVE_MAX: usize = 100_000;

/// Writes these events (with when each was published, in milliseconds) for the next start,
/// if `unchanged` still says so in the transaction (else nothing).
pub(super) async fn save(
    db: &Db,
    mut events: Vec<(i64, Arc<Event>)>,
    unchanged: impl Fn() -> bool + Send + 'static,
) -> Result<usize, ApiError> {
    events.sort_by_key(|(_, e)| e.id);
    let rows: Vec<NewStreamEvent> = events
        .iter()
        .rev()
        .take(SAVE_MAX)
        .filter_map(|(at, e)| {
            Some(NewStreamEvent {
                id: e.id?,
                tenant_id: e.tenant_id,
                ticket_id: ticket_of(e),
                kind: e.kind.clone(),
                data: e.data.to_string(),
                created_at: *at,
            })
        })
        .collect();
    db.write(move |conn| {
        if !unchanged() {
            return Ok(0);
        }
        NewStreamEvent::keep(conn, &rows)?;
        Ok(rows.len())
    })
    .await
}

/// Erases what a stop wrote.
pub(super) async fn erase(db: &Db) -> Result<(), ApiError> {
    db.write(StreamEvent::forget_all).await
}

/// What the last stop wrote, no older than `keep`, oldest first, each with the moment it was
/// published at; the table is emptied. Fails only if the table cannot be emptied (a later
/// start would replay the same events, with this run's missing).
pub(super) fn load(db: &Db, keep: Duration) -> Result<Vec<(Instant, Event)>, ApiError> {
    let rows = match db.write_blocking(StreamEvent::take_all) {
        Ok(rows) => rows,
        Err(e) => {
            log::warn!("events: those kept from the last stop not read: {e}");
            db.write_blocking(StreamEvent::forget_all)?;
            Vec::new()
        }
    };
    let now = crate::db::now_millis();
    let kept_since = now - keep.as_millis() as i64;
    Ok(rows
        .into_iter()
        .filter(|row| row.created_at >= kept_since)
        // One older than this machine's clock can tell goes (and so, being older, do those
        // before it: the events kept stay whole).
        .filter_map(|row| {
            let age = Duration::from_millis((now - row.created_at).max(0) as u64);
            let at = Instant::now().checked_sub(age)?;
            let mut event = Event::new(
                row.tenant_id,
                &row.kind,
                serde_json::from_str(&row.data).unwrap_or_default(),
            );
            event.id = Some(row.id);
            Some((at, event))
        })
        .collect())
}
