//! Group commit for SQLite: one writer thread owns the only connection that writes, and runs
//! whatever writes are waiting in one transaction, each in its own savepoint.
//!
//! SQLite lets one writer in at a time anyway; letting the pool's connections fight for the
//! lock means sleeping in its busy handler (latency spikes of a second under load) and one
//! fsync per request. Here writers queue in memory instead, a failed write rolls back only
//! its own savepoint, and one commit (one fsync) makes a whole batch durable. Every caller
//! hears back only after that commit: a 200 still means committed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;

use crate::db::{ConnectionManager, DbConnection, WRITE_ATTEMPTS};
use crate::error::ApiError;

/// Most writes one transaction takes.
const MAX_BATCH: usize = 256;
/// How often the checkpointer copies the write-ahead log back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Tells a caller how its write ended, once the batch's commit is known.
type Completion = Box<dyn FnOnce(Option<&str>) + Send>;
type Job = Box<dyn FnOnce(&mut DbConnection) -> Completion + Send>;

pub struct GroupWriter {
    jobs: mpsc::Sender<Job>,
}

impl GroupWriter {
    pub fn start(manager: &ConnectionManager) -> Result<GroupWriter, ApiError> {
        let connect = || {
            r2d2::ManageConnection::connect(manager)
                .map_err(|e| ApiError::ServiceUnavailable(e.to_string()))
        };
        let mut conn = connect()?;
        // Checkpoints move to their own thread (below), so a commit never waits for one.
        conn.batch_execute("PRAGMA wal_autocheckpoint = 0")?;
        let mut checkpoint_conn = connect()?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let alive = Arc::new(());
        let watch = Arc::downgrade(&alive);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                run(&mut conn, queue);
                drop(alive);
            })
            .map_err(ApiError::from)?;
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint(&mut checkpoint_conn, watch))
            .map_err(ApiError::from)?;
        Ok(GroupWriter { jobs })
    }

    /// Runs `f` in the next batch; answers after the batch has committed.
    pub async fn write<T, F>(&self, mut f: F) -> Result<T, ApiError>
    where
        F: FnMut(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn: &mut DbConnection| {
            let result = in_savepoint(conn, &mut f);
            Box::new(move |commit_error: Option<&str>| {
                let outcome = match commit_error {
                    None => result,
                    Some(e) => Err(ApiError::ServiceUnavailable(format!("commit failed: {e}"))),
                };
                let _ = tx.send(outcome);
            }) as Completion
        });
        self.jobs
            .send(job)
            .map_err(|_| ApiError::ServiceUnavailable("the writer has stopped".into()))?;
        rx.await
            .map_err(|_| ApiError::ServiceUnavailable("the writer has stopped".into()))?
    }
}

/// One write in its own savepoint: its failure (or panic) undoes only its own changes.
fn in_savepoint<T>(
    conn: &mut DbConnection,
    f: &mut impl FnMut(&mut DbConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        conn.batch_execute("SAVEPOINT write")?;
        let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|_| Err(ApiError::Internal("a write panicked".into())));
        if result.is_ok() {
            conn.batch_execute("RELEASE write")?;
            return result;
        }
        conn.batch_execute("ROLLBACK TO write; RELEASE write")?;
        match result {
            Err(ApiError::Conflict) if attempt < WRITE_ATTEMPTS => continue,
            other => return other,
        }
    }
}

fn run(conn: &mut DbConnection, queue: mpsc::Receiver<Job>) {
    // Ends when every `Db` holding the writer is gone.
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.batch_execute("BEGIN IMMEDIATE") {
            // Dropping the jobs unrun answers their callers 503.
            log::error!("sqlite writer could not begin a transaction: {e}");
            continue;
        }
        let completions: Vec<Completion> = batch.into_iter().map(|job| job(conn)).collect();
        let commit = conn.batch_execute("COMMIT").map_err(|e| e.to_string());
        if commit.is_err() {
            let _ = conn.batch_execute("ROLLBACK");
        }
        let error = commit.err();
        for done in completions {
            done(error.as_deref());
        }
    }
}

/// Copies committed pages from the write-ahead log into the database while the writer goes
/// on (a PASSIVE checkpoint never blocks writers or readers), until the writer has stopped.
fn checkpoint(conn: &mut DbConnection, writer: Weak<()>) {
    while writer.upgrade().is_some() {
        std::thread::sleep(CHECKPOINT_EVERY);
        if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
            log::warn!("sqlite checkpoint failed: {e}");
        }
    }
}
