//! Group commit for SQLite: one writer thread owns the only connection that writes, and runs
//! whatever writes are waiting in one transaction.
//!
//! SQLite lets one writer in at a time anyway; letting the pool's connections fight for the
//! lock means sleeping in its busy handler (latency spikes of a second under load) and one
//! fsync per request. Here writers queue in memory instead, and one commit (one fsync) makes a
//! whole batch durable. Every caller hears back only after that commit: a 200 still means
//! committed.
//!
//! A write that fails must undo only its own changes. The writer first runs a batch's writes
//! bare, one after another; if one fails, it rolls the batch back and runs them again, each in
//! a savepoint of its own, and keeps doing so for the next few batches. Writes rarely fail, and
//! a savepoint per write costs: two more statements, and a copy of every page the write
//! changes (the ticket's index pages are shared by the batch's messages; bare, they are copied
//! for the rollback journal once per batch, not once per write).
//!
//! The writer also runs a chore of its own (the search index's catch-up) at the end of a
//! batch, at most once per period while writes come, so it shares their commit.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Weak};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;

use crate::db::{ConnectionManager, DbConnection, DbMetrics, WRITE_ATTEMPTS};
use crate::error::ApiError;

/// Most writes one transaction takes.
const MAX_BATCH: usize = 256;
/// Most writes waiting for the writer; past that, callers get a 503 at once.
const MAX_QUEUED: usize = 4096;
/// How often the checkpointer copies the write-ahead log back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// After a batch in which a write failed, how many batches run each write in its own
/// savepoint at once, instead of trying them bare first.
const CAREFUL_BATCHES: u32 = 8;

/// How one run of a write went.
enum Ran {
    Done,
    /// The write answered an error: bare, its changes may be half made.
    Failed,
    /// The transaction itself is no longer usable (a savepoint statement failed: SQLite may
    /// have rolled everything back already), and why.
    Broken(String),
}

/// A write waiting for the writer, with its caller's answer.
trait Write: Send {
    /// Runs the write, bare or (`alone`) in its own savepoint; may run again after a rollback.
    fn run(&mut self, conn: &mut DbConnection, alone: bool) -> Ran;
    /// Answers the caller, once the batch's fate is known: `None` = committed.
    fn finish(self: Box<Self>, commit_error: Option<&str>);
}

struct Pending<T, F> {
    f: F,
    outcome: Option<Result<T, ApiError>>,
    caller: tokio::sync::oneshot::Sender<Result<T, ApiError>>,
}

impl<T, F> Write for Pending<T, F>
where
    F: FnMut(&mut DbConnection) -> Result<T, ApiError> + Send,
    T: Send,
{
    fn run(&mut self, conn: &mut DbConnection, alone: bool) -> Ran {
        if alone {
            let (outcome, broken) = in_savepoint(conn, &mut self.f);
            self.outcome = Some(outcome);
            return broken.map_or(Ran::Done, Ran::Broken);
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| (self.f)(conn)))
            .unwrap_or_else(|_| Err(ApiError::Internal("a write panicked".into())));
        let failed = outcome.is_err();
        self.outcome = Some(outcome);
        if failed {
            Ran::Failed
        } else {
            Ran::Done
        }
    }

    fn finish(self: Box<Self>, commit_error: Option<&str>) {
        let outcome = match (commit_error, self.outcome) {
            (None, Some(outcome)) => outcome,
            (None, None) => Err(ApiError::ServiceUnavailable("the write was not run".into())),
            (Some(e), _) => Err(ApiError::ServiceUnavailable(format!("not committed: {e}"))),
        };
        let _ = self.caller.send(outcome);
    }
}

type Job = Box<dyn Write>;

/// Work the writer does itself after the writes of a batch, at most once per `every` while
/// writes come, and once at start (for what was committed before). `run` answers whether
/// more is left: then it runs again at once.
#[derive(Clone, Copy)]
pub struct Chore {
    pub every: Duration,
    pub run: fn(&mut DbConnection) -> Result<bool, ApiError>,
}

pub struct GroupWriter {
    jobs: mpsc::SyncSender<Job>,
    metrics: Option<DbMetrics>,
}

impl GroupWriter {
    pub fn start(
        manager: &ConnectionManager,
        metrics: Option<DbMetrics>,
        chore: Chore,
    ) -> Result<GroupWriter, ApiError> {
        let connect = {
            let manager = manager.clone();
            move || -> Result<DbConnection, ApiError> {
                let mut conn = r2d2::ManageConnection::connect(&manager)
                    .map_err(|e| ApiError::ServiceUnavailable(e.to_string()))?;
                // Checkpoints run on their own thread (below): a commit never waits for one.
                conn.batch_execute("PRAGMA wal_autocheckpoint = 0")?;
                Ok(conn)
            }
        };
        let conn = connect()?;
        let mut checkpoint_conn = connect()?;
        let (jobs, queue) = mpsc::sync_channel::<Job>(MAX_QUEUED);
        let alive = Arc::new(());
        let watch = Arc::downgrade(&alive);
        let measured = metrics.clone();
        let passes = Arc::new(AtomicU64::new(0));
        let wal = WriteAheadLog {
            passes: passes.clone(),
            seen: 0,
        };
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                run(conn, queue, connect, measured, chore, wal);
                drop(alive);
            })
            .map_err(ApiError::from)?;
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint(&mut checkpoint_conn, watch, &passes))
            .map_err(ApiError::from)?;
        Ok(GroupWriter { jobs, metrics })
    }

    /// Runs `f` in the next batch; answers after the batch has committed. `f` may run more
    /// than once (after a rollback): it must not change what it captured.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnMut(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (caller, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(Pending {
            f,
            outcome: None,
            caller,
        });
        if let Some(m) = &self.metrics {
            m.write_queue.inc();
        }
        self.jobs.try_send(job).map_err(|e| {
            if let Some(m) = &self.metrics {
                m.write_queue.dec();
            }
            match e {
                mpsc::TrySendError::Full(_) => {
                    ApiError::ServiceUnavailable("too many writes waiting".into())
                }
                mpsc::TrySendError::Disconnected(_) => {
                    ApiError::ServiceUnavailable("the writer has stopped".into())
                }
            }
        })?;
        rx.await
            .map_err(|_| ApiError::ServiceUnavailable("the write was not run".into()))?
    }
}

/// One write in its own savepoint: its failure (or panic) undoes only its own changes. The
/// second value says why the whole transaction became unusable, if it did (a savepoint
/// statement failed: SQLite may have rolled everything back already).
fn in_savepoint<T>(
    conn: &mut DbConnection,
    f: &mut impl FnMut(&mut DbConnection) -> Result<T, ApiError>,
) -> (Result<T, ApiError>, Option<String>) {
    let mut attempt = 0;
    loop {
        attempt += 1;
        if let Err(e) = conn.batch_execute("SAVEPOINT write") {
            return broken_transaction(e);
        }
        let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|_| Err(ApiError::Internal("a write panicked".into())));
        let end = if result.is_ok() {
            "RELEASE write"
        } else {
            "ROLLBACK TO write; RELEASE write"
        };
        if let Err(e) = conn.batch_execute(end) {
            return broken_transaction(e);
        }
        match result {
            Err(ApiError::Conflict) if attempt < WRITE_ATTEMPTS => continue,
            other => return (other, None),
        }
    }
}

fn broken_transaction<T>(e: diesel::result::Error) -> (Result<T, ApiError>, Option<String>) {
    let reason = e.to_string();
    (
        Err(ApiError::ServiceUnavailable(reason.clone())),
        Some(reason),
    )
}

fn run(
    mut conn: DbConnection,
    queue: mpsc::Receiver<Job>,
    connect: impl Fn() -> Result<DbConnection, ApiError>,
    metrics: Option<DbMetrics>,
    chore: Chore,
    mut wal: WriteAheadLog,
) {
    let mut chores = Chores::new(chore);
    // Batches left to run each write in its own savepoint (after one in which a write failed).
    let mut careful = 0;
    loop {
        // Ends when every `Db` holding the writer is gone.
        let first = match chores.wait() {
            Some(wait) => match queue.recv_timeout(wait) {
                Ok(job) => Some(job),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match queue.recv() {
                Ok(job) => Some(job),
                Err(_) => break,
            },
        };
        let mut batch: Vec<Job> = first.into_iter().collect();
        while !batch.is_empty() && batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let chore_due = chores.due();
        if batch.is_empty() && !chore_due {
            continue;
        }
        if let Some(m) = &metrics {
            m.write_queue.sub(batch.len() as i64);
            if !batch.is_empty() {
                m.write_batch.observe(batch.len() as f64);
            }
        }
        if let Err(e) = conn.batch_execute("BEGIN IMMEDIATE") {
            // Dropping the jobs unrun answers their callers 503.
            log::error!("sqlite writer could not begin a transaction: {e}");
            recover(&mut conn, &connect);
            continue;
        }
        let wrote = !batch.is_empty();
        let mut broken = run_batch(&mut conn, &mut batch, &mut careful);
        if broken.is_none() && chore_due {
            broken = chores.run(&mut conn);
        }
        if wrote {
            chores.pending = true;
        }
        let error = match broken {
            Some(reason) => {
                let _ = conn.batch_execute("ROLLBACK");
                Some(reason)
            }
            None => conn.batch_execute("COMMIT").err().map(|e| {
                let _ = conn.batch_execute("ROLLBACK");
                e.to_string()
            }),
        };
        if let Some(reason) = &error {
            log::error!(
                "sqlite writer: batch of {} not committed: {reason}",
                batch.len()
            );
            chores.pending = true;
            recover(&mut conn, &connect);
        }
        for job in batch {
            job.finish(error.as_deref());
        }
        if wrote && error.is_none() {
            wal.start_over_after_checkpoint(&mut conn);
        }
    }
}

/// Runs a batch's writes in the open transaction: bare first, unless a recent batch had a
/// write fail; if one fails bare, rolls the batch back and runs every write again in its own
/// savepoint. Says why the transaction broke, if it did.
fn run_batch(conn: &mut DbConnection, batch: &mut [Job], careful: &mut u32) -> Option<String> {
    if *careful == 0 {
        if batch
            .iter_mut()
            .all(|job| matches!(job.run(conn, false), Ran::Done))
        {
            return None;
        }
        *careful = CAREFUL_BATCHES;
        let _ = conn.batch_execute("ROLLBACK");
        if let Err(e) = conn.batch_execute("BEGIN IMMEDIATE") {
            return Some(e.to_string());
        }
    } else {
        *careful -= 1;
    }
    for job in batch.iter_mut() {
        if let Ran::Broken(reason) = job.run(conn, true) {
            return Some(reason);
        }
    }
    None
}

/// Keeps the write-ahead log from growing without end. A passive checkpoint (the
/// checkpointer's) copies only the frames committed before it began, and SQLite starts the
/// log over from its beginning only when a write begins with every frame copied: under
/// steady writes that never happened, the log grew by every commit (800 MB in a 20 s
/// benchmark) and each commit wrote new blocks of the file, which the filesystem allocates
/// and `fsync` records. So after each pass of the checkpointer, the writer copies the few
/// frames committed during it itself, between two batches; its next commit starts the log
/// over (unless a reader still reads an old snapshot: then after the next pass).
struct WriteAheadLog {
    /// Passes the checkpointer has finished.
    passes: Arc<AtomicU64>,
    /// The last of them the writer followed.
    seen: u64,
}

impl WriteAheadLog {
    fn start_over_after_checkpoint(&mut self, conn: &mut DbConnection) {
        let passes = self.passes.load(Ordering::Acquire);
        if passes == self.seen {
            return;
        }
        self.seen = passes;
        if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
            log::warn!("sqlite writer's checkpoint failed: {e}");
        }
    }
}

/// When the writer's chore runs: after writes, at most once per period; again at once while
/// it says more is left; at start, for what was committed before.
struct Chores {
    chore: Chore,
    pending: bool,
    ran: Instant,
}

impl Chores {
    fn new(chore: Chore) -> Chores {
        Chores {
            chore,
            pending: true,
            ran: Self::long_ago(chore.every),
        }
    }

    fn long_ago(every: Duration) -> Instant {
        Instant::now()
            .checked_sub(every)
            .unwrap_or_else(Instant::now)
    }

    /// How long the writer may wait for a write before the chore is due; `None`: no chore
    /// is pending, wait for writes only.
    fn wait(&self) -> Option<Duration> {
        self.pending
            .then(|| self.chore.every.saturating_sub(self.ran.elapsed()))
    }

    fn due(&self) -> bool {
        self.pending && self.ran.elapsed() >= self.chore.every
    }

    /// Runs the chore in its own savepoint; says why the transaction broke, if it did.
    fn run(&mut self, conn: &mut DbConnection) -> Option<String> {
        self.ran = Instant::now();
        let mut work = self.chore.run;
        match in_savepoint(conn, &mut work) {
            (Ok(more), None) => {
                self.pending = more;
                if more {
                    self.ran = Self::long_ago(self.chore.every); // due again at once
                }
                None
            }
            (Err(e), None) => {
                log::error!("sqlite writer's chore failed: {e}");
                None
            }
            (_, broken) => broken,
        }
    }
}

/// After a failure, make sure no transaction is left open: if the connection cannot tell,
/// open a new one.
fn recover(conn: &mut DbConnection, connect: &impl Fn() -> Result<DbConnection, ApiError>) {
    let _ = conn.batch_execute("ROLLBACK");
    if conn.batch_execute("BEGIN IMMEDIATE; ROLLBACK").is_err() {
        match connect() {
            Ok(fresh) => *conn = fresh,
            Err(e) => log::error!("sqlite writer could not reconnect: {e}"),
        }
    }
}

/// Copies committed pages from the write-ahead log into the database while the writer goes
/// on (a PASSIVE checkpoint never blocks writers or readers), until the writer has stopped;
/// counts its passes for the writer (see `WriteAheadLog`).
fn checkpoint(conn: &mut DbConnection, writer: Weak<()>, passes: &AtomicU64) {
    while writer.upgrade().is_some() {
        std::thread::sleep(CHECKPOINT_EVERY);
        match conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
            Ok(()) => {
                passes.fetch_add(1, Ordering::Release);
            }
            Err(e) => log::warn!("sqlite checkpoint failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::ConnectionManager;

    /// How many times the log has started over: the checkpoint sequence number in its header
    /// (bytes 12..16, big-endian), which SQLite moves each time it writes the log anew.
    fn starts(wal: &std::path::Path) -> u32 {
        let bytes = std::fs::read(wal).unwrap_or_default();
        bytes
            .get(12..16)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .unwrap_or(0)
    }

    fn write(conn: &mut DbConnection, rows: usize) {
        conn.batch_execute("BEGIN IMMEDIATE").unwrap();
        for _ in 0..rows {
            conn.batch_execute("INSERT INTO rows (body) VALUES (randomblob(500))")
                .unwrap();
        }
        conn.batch_execute("COMMIT").unwrap();
    }

    /// A batch in which one write fails: the others are committed, nothing of the failed one
    /// is, and each caller hears its own outcome.
    #[tokio::test]
    async fn a_failing_write_undoes_only_itself_in_a_batch_with_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.db").display().to_string();
        let manager = ConnectionManager::new(&path, "FULL");
        r2d2::ManageConnection::connect(&manager)
            .unwrap()
            .batch_execute("CREATE TABLE rows (name TEXT NOT NULL)")
            .unwrap();
        let idle = Chore {
            every: Duration::from_secs(3600),
            run: |_| Ok(false),
        };
        let metrics = DbMetrics::register(&prometheus::Registry::new()).unwrap();
        let writer = Arc::new(GroupWriter::start(&manager, Some(metrics.clone()), idle).unwrap());
        let insert = |name: &'static str, fail: bool| {
            writer.write(move |conn| {
                conn.batch_execute(&format!("INSERT INTO rows (name) VALUES ('{name}')"))?;
                if fail {
                    return Err(ApiError::invalid("name", "invalid", "refused"));
                }
                Ok(name)
            })
        };
        // A first write holds the writer until the next three wait together for it: they are
        // the next batch.
        let (running_tx, running) = std::sync::mpsc::channel::<()>();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = std::sync::Mutex::new(hold);
        let holder = writer.clone();
        let first = tokio::spawn(async move {
            holder
                .write(move |_| {
                    let _ = running_tx.send(());
                    let _ = hold.lock().unwrap().recv();
                    Ok("first")
                })
                .await
        });
        tokio::task::spawn_blocking(move || running.recv().unwrap())
            .await
            .unwrap();
        let (good, bad, other, ()) = futures_util::future::join4(
            insert("good", false),
            insert("bad", true),
            insert("other", false),
            async move { release.send(()).unwrap() },
        )
        .await;
        assert_eq!(first.await.unwrap().unwrap(), "first");
        assert_eq!(good.unwrap(), "good");
        assert!(matches!(bad, Err(ApiError::Validation(_))), "{bad:?}");
        assert_eq!(other.unwrap(), "other");
        let names = writer
            .write(|conn| {
                #[derive(diesel::QueryableByName)]
                struct Row {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    name: String,
                }
                let query = diesel::sql_query("SELECT name FROM rows ORDER BY rowid");
                let rows: Vec<Row> =
                    crate::on_backend!(conn, |c| diesel::RunQueryDsl::load(query, c))?;
                Ok(rows.into_iter().map(|r| r.name).collect::<Vec<_>>())
            })
            .await
            .unwrap();
        assert_eq!(names, ["good", "other"]);
        // Three batches: the first write, the three together, the read.
        assert_eq!(metrics.write_batch.get_sample_count(), 3);
        assert_eq!(metrics.write_batch.get_sample_sum(), 5.0);
    }

    /// Under steady writes the checkpointer's pass always ends with commits made during it
    /// left to copy, and SQLite starts the log over only when a write begins with nothing
    /// left: the writer copies the rest itself after the pass, and its next commit starts
    /// the log over.
    #[test]
    fn after_a_checkpoint_pass_the_writers_next_commit_starts_the_log_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.db");
        let manager = ConnectionManager::new(&path.display().to_string(), "FULL");
        let connect = || r2d2::ManageConnection::connect(&manager).unwrap();
        let (mut writer, mut checkpointer, mut reader) = (connect(), connect(), connect());
        writer
            .batch_execute(
                "PRAGMA wal_autocheckpoint = 0; \
                 CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB)",
            )
            .unwrap();
        let wal_file = dir.path().join("busy.db-wal");
        let passes = Arc::new(AtomicU64::new(0));
        let mut wal = WriteAheadLog {
            passes: passes.clone(),
            seen: 0,
        };
        write(&mut writer, 50);
        let first = starts(&wal_file);
        for pass in 1..=3 {
            // A pass of the checkpointer that leaves a commit to copy, as a commit made while
            // it runs does: a reader's snapshot from before the commit holds the pass back.
            reader
                .batch_execute("BEGIN; SELECT count(*) FROM rows")
                .unwrap();
            write(&mut writer, 50);
            checkpointer
                .batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
                .unwrap();
            reader.batch_execute("COMMIT").unwrap();
            passes.fetch_add(1, Ordering::Release);
            wal.start_over_after_checkpoint(&mut writer);
            write(&mut writer, 50);
            assert_eq!(starts(&wal_file), first + pass, "after pass {pass}");
        }
        // Without a new pass, the writer leaves the log alone.
        write(&mut writer, 50);
        wal.start_over_after_checkpoint(&mut writer);
        write(&mut writer, 50);
        assert_eq!(starts(&wal_file), first + 3);
    }
}
