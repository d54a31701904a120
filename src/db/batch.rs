//! Group commit for Postgres, for one kind of write: one thread takes whatever writes of the
//! kind wait (up to `MAX_BATCH`) and stores them in one transaction — those it can together
//! (multi-row statements: one plan, one round trip for all), the others one by one, each in
//! its own savepoint, so that one's failure undoes only its own changes.
//!
//! On Postgres each request's write was its own transaction: its own round trips, plans and
//! WAL flush, and rows every one of them locks in turn (a chat account's count of waiting
//! chats, a busy ticket) held until that flush. Here a batch takes such a lock once. Every
//! caller hears back after the batch has committed: a `200` still means committed.
//!
//! SQLite has no use for it: its single writer (`group_commit`) already commits writes
//! together, and its statements cost no round trips.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use diesel::Connection;

use crate::db::{write_on, Db, DbConnection, Dialect, WRITE_ATTEMPTS};
use crate::error::ApiError;

/// Most writes one transaction takes.
const MAX_BATCH: usize = 128;
/// Most writes waiting in a lane; past that, the caller writes on its own.
const MAX_QUEUED: usize = 4096;
/// Threads, each a transaction at a time: while one waits for Postgres (a round trip, the
/// commit's flush), another's batch runs.
const LANES: usize = 2;
/// A lane's connection unused for longer is checked before its next batch.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// What `Store::together` made of one write of the batch.
pub enum Together<O> {
    Stored(O),
    /// To be stored by itself.
    Alone,
    /// To be tried together again once the batch's `Alone` ones are stored (it waits for
    /// one of them: a chat's later messages for its first, which opens it).
    Again,
}

/// See `Store::together`.
pub type StoreTogether<I, O> = fn(&mut DbConnection, &[&I]) -> Result<Vec<Together<O>>, ApiError>;

/// How a kind of write is stored.
pub struct Store<I, O> {
    /// Stores what it can of the batch in few statements, and says what to do with the
    /// others. After an `Err`, each is stored alone.
    pub together: StoreTogether<I, O>,
    /// Stores one write by itself.
    pub alone: fn(&mut DbConnection, &I) -> Result<O, ApiError>,
    /// Its lane: writes of one lane are stored by one thread, in the order they came, so
    /// writes that touch the same rows (a chat's messages) never wait for each other's locks
    /// in two transactions at once.
    pub lane: fn(&I) -> u64,
}

type Answer<O> = tokio::sync::oneshot::Sender<Result<O, ApiError>>;

pub struct Batcher<I, O> {
    /// One queue a lane, on Postgres; none on SQLite.
    lanes: Vec<mpsc::SyncSender<(I, Answer<O>)>>,
    lane_of: fn(&I) -> u64,
}

impl<I, O> Clone for Batcher<I, O> {
    fn clone(&self) -> Self {
        Batcher {
            lanes: self.lanes.clone(),
            lane_of: self.lane_of,
        }
    }
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    /// On Postgres, starts a thread for each of `LANES`; on SQLite, a batcher that takes
    /// nothing.
    pub fn start(db: &Db, name: &str, store: Store<I, O>) -> Result<Batcher<I, O>, ApiError> {
        let lane_of = store.lane;
        if db.dialect() != Dialect::Postgres {
            return Ok(Batcher {
                lanes: Vec::new(),
                lane_of,
            });
        }
        let store = std::sync::Arc::new(store);
        let mut lanes = Vec::with_capacity(LANES);
        for lane in 0..LANES {
            let (queue, waiting) = mpsc::sync_channel(MAX_QUEUED);
            let (db, store) = (db.clone(), store.clone());
            std::thread::Builder::new()
                .name(format!("{name}-{lane}"))
                .spawn(move || run(&db, &waiting, &store))
                .map_err(ApiError::from)?;
            lanes.push(queue);
        }
        Ok(Batcher { lanes, lane_of })
    }

    /// Stores the write in the next batch of its lane; answers after it has committed.
    /// `Err(item)`: no batcher here (SQLite), or too many waiting: the caller writes it on
    /// its own.
    pub async fn write(&self, item: I) -> Result<Result<O, ApiError>, I> {
        if self.lanes.is_empty() {
            return Err(item);
        }
        let lane = (self.lane_of)(&item) % self.lanes.len() as u64;
        let queue = &self.lanes[lane as usize];
        let (answer, outcome) = tokio::sync::oneshot::channel();
        if let Err(e) = queue.try_send((item, answer)) {
            let (mpsc::TrySendError::Full((item, _)) | mpsc::TrySendError::Disconnected((item, _))) =
                e;
            return Err(item);
        }
        Ok(outcome
            .await
            .unwrap_or_else(|_| Err(ApiError::ServiceUnavailable("the write was not run".into()))))
    }
}

/// Ends when every `Batcher` is gone. Writes on a connection of its own, made again after a
/// batch fails (the database restarted, say) and checked before use after a pause, as the
/// pool checks its connections.
fn run<I, O>(db: &Db, waiting: &mpsc::Receiver<(I, Answer<O>)>, store: &Store<I, O>) {
    let mut own: Option<DbConnection> = None;
    let mut last_used = Instant::now();
    while let Ok(first) = waiting.recv() {
        if last_used.elapsed() > CHECK_AFTER_IDLE {
            own = own.take().and_then(|mut conn| {
                diesel::connection::SimpleConnection::batch_execute(&mut conn, "SELECT 1")
                    .ok()
                    .map(|_| conn)
            });
        }
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match waiting.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let items: Vec<&I> = batch.iter().map(|(item, _)| item).collect();
        let conn = match own.take() {
            Some(conn) => Ok(conn),
            None => db.own_connection(),
        };
        let stored = conn.and_then(|mut conn| {
            let stored = write_on(&mut conn, |c| store_batch(c, &items, store))?;
            own = Some(conn);
            Ok(stored)
        });
        last_used = Instant::now();
        match stored {
            Ok(outcomes) => {
                for ((_, answer), outcome) in batch.into_iter().zip(outcomes) {
                    let _ = answer.send(outcome);
                }
            }
            Err(e) => {
                log::error!("a batch of {} writes was not committed: {e}", batch.len());
                for (_, answer) in batch {
                    let _ = answer.send(Err(ApiError::ServiceUnavailable(format!(
                        "not committed: {e}"
                    ))));
                }
            }
        }
    }
}

fn store_batch<I, O>(
    conn: &mut DbConnection,
    items: &[&I],
    store: &Store<I, O>,
) -> Result<Vec<Result<O, ApiError>>, ApiError> {
    let mut outcomes: Vec<Option<Result<O, ApiError>>> = items.iter().map(|_| None).collect();
    let mut again = Vec::new();
    for (i, then) in together(conn, items, store).into_iter().enumerate() {
        match then {
            Together::Stored(outcome) => outcomes[i] = Some(Ok(outcome)),
            Together::Alone => outcomes[i] = Some(alone(conn, items[i], store.alone)),
            Together::Again => again.push(i),
        }
    }
    if !again.is_empty() {
        let retried: Vec<&I> = again.iter().map(|&i| items[i]).collect();
        for (&i, then) in again.iter().zip(together(conn, &retried, store)) {
            outcomes[i] = Some(match then {
                Together::Stored(outcome) => Ok(outcome),
                Together::Alone | Together::Again => alone(conn, items[i], store.alone),
            });
        }
    }
    Ok(outcomes.into_iter().flatten().collect())
}

/// `Store::together` in a savepoint: a batch that cannot be stored together (a row Postgres
/// refuses) is stored one by one, where each write's own error reaches only its caller.
fn together<I, O>(conn: &mut DbConnection, items: &[&I], store: &Store<I, O>) -> Vec<Together<O>> {
    conn.transaction(|c| (store.together)(c, items))
        .unwrap_or_else(|e| {
            log::warn!("a batch of {} was stored one by one: {e}", items.len());
            items.iter().map(|_| Together::Alone).collect()
        })
}

/// One write in a savepoint of the batch's transaction (diesel nests a transaction so),
/// retried when it lost a race.
fn alone<I, O>(
    conn: &mut DbConnection,
    item: &I,
    store: fn(&mut DbConnection, &I) -> Result<O, ApiError>,
) -> Result<O, ApiError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match conn.transaction(|c| store(c, item)) {
            Err(ApiError::Conflict) if attempt < WRITE_ATTEMPTS => continue,
            other => return other,
        }
    }
}
