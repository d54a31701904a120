//! Database access: one connection type over SQLite and Postgres, chosen at runtime from the
//! URL, an r2d2 pool, the embedded migrations, and `Db`, the handle the services use so that
//! no query ever runs on an async worker thread.

pub mod batch;
pub mod group_commit;
pub mod models;
pub mod pubsub;
pub mod schema;
pub mod search_index;
pub mod seeding;
pub mod statement;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::ApiError;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Runs the same diesel code against the concrete connection of either dialect. Every
/// statement on a request's path goes through it, not only the ones the portable
/// `MultiBackend` cannot express (`ON CONFLICT`, `RETURNING`): a statement compiled for one
/// backend is a prepared statement diesel caches, where the `MultiBackend` form is built
/// anew each time. Statements off the hot path (migrations, admin commands) may use the
/// `MultiConnection` directly.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    pub fn of_url(url: &str) -> Dialect {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        }
    }
}

/// Opens connections by the URL's scheme (never "try Postgres, then fall back to a file") and
/// sets SQLite up for a server: WAL so readers never wait for the writer, a busy timeout so
/// writers queue instead of failing, and foreign keys on.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    dialect: Dialect,
    sqlite_synchronous: String,
    /// When a new connection last failed.
    unreachable: Unreachable,
}

impl ConnectionManager {
    pub fn new(url: &str, sqlite_synchronous: &str) -> Self {
        ConnectionManager {
            url: url.to_owned(),
            dialect: Dialect::of_url(url),
            sqlite_synchronous: sqlite_synchronous.to_owned(),
            unreachable: Unreachable::default(),
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let made = self.establish();
        if made.is_err() {
            self.unreachable.failed();
        }
        made
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection a panic unwound through, or one left inside a transaction, never goes
    /// back into the pool (its next user would write into a transaction nobody commits).
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        std::thread::panicking()
            || match conn {
                DbConnection::Pg(c) => c.is_broken(),
                DbConnection::Sqlite(c) => c.is_broken(),
            }
    }
}

impl ConnectionManager {
    fn establish(&self) -> Result<DbConnection, diesel::r2d2::Error> {
        use diesel::r2d2::Error as E;
        match self.dialect {
            Dialect::Postgres => diesel::PgConnection::establish(&self.url)
                .map(DbConnection::Pg)
                .map_err(E::ConnectionError),
            Dialect::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
                let mut conn =
                    diesel::SqliteConnection::establish(path).map_err(E::ConnectionError)?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; \
                     PRAGMA temp_store = MEMORY;",
                    self.sqlite_synchronous
                ))
                .map_err(E::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// What the database side shows on `/metrics`: how long a request waits for a pooled
/// connection, and SQLite's writer — how many writes each commit takes and how many wait.
#[derive(Clone)]
pub struct DbMetrics {
    pub pool_wait: prometheus::Histogram,
    pub write_batch: prometheus::Histogram,
    pub write_queue: prometheus::IntGauge,
}

impl DbMetrics {
    pub fn register(registry: &prometheus::Registry) -> prometheus::Result<DbMetrics> {
        use prometheus::{exponential_buckets, Histogram, HistogramOpts, IntGauge};
        let pool_wait = Histogram::with_opts(
            HistogramOpts::new(
                "omnibridge_db_pool_wait_seconds",
                "How long a database call waited for a pooled connection.",
            )
            .buckets(exponential_buckets(0.000_05, 4.0, 10)?),
        )?;
        let write_batch = Histogram::with_opts(
            HistogramOpts::new(
                "omnibridge_sqlite_write_batch_size",
                "Writes committed together by SQLite's writer (one commit, one fsync).",
            )
            .buckets(exponential_buckets(1.0, 2.0, 9)?),
        )?;
        let write_queue = IntGauge::new(
            "omnibridge_sqlite_write_queue_depth",
            "Writes waiting for SQLite's writer.",
        )?;
        registry.register(Box::new(pool_wait.clone()))?;
        registry.register(Box::new(write_batch.clone()))?;
        registry.register(Box::new(write_queue.clone()))?;
        Ok(DbMetrics {
            pool_wait,
            write_batch,
            write_queue,
        })
    }
}

/// The handle services use: every call runs on the blocking pool, never on an async worker.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    dialect: Dialect,
    manager: ConnectionManager,
    /// SQLite's single writer, once `with_group_commit` has started it.
    writer: Option<Arc<group_commit::GroupWriter>>,
    metrics: Option<DbMetrics>,
    unreachable: Unreachable,
}

/// When a new connection to the database last failed (it is down, or restarting): meanwhile
/// a request takes an idle connection or is answered `503` at once, rather than waiting for
/// the pool's `connection_timeout` with the client (and its chat server's retries) on hold.
/// Only a failed connect counts (a stale pooled connection found on checkout does not), and
/// time is the process' monotonic clock, in milliseconds since it started; 0 = never.
#[derive(Debug, Clone, Default)]
struct Unreachable(Arc<AtomicI64>);

/// Milliseconds on the process' monotonic clock, from 1 (so that 0 means never).
fn monotonic_millis() -> i64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis() as i64
        + 1
}

/// After a failed connection, how long requests wait for none.
const UNREACHABLE_MS: i64 = 1_000;
/// Most a request waits for a pooled connection...
const POOL_WAIT: Duration = Duration::from_secs(10);
/// ...in slices this long, between which it looks whether the database became unreachable.
const POOL_WAIT_SLICE: Duration = Duration::from_millis(200);

impl Unreachable {
    fn failed(&self) {
        self.0.store(monotonic_millis(), Ordering::Relaxed);
    }

    /// Whether a connection failed within the last `UNREACHABLE_MS`.
    fn lately(&self) -> bool {
        let at = self.0.load(Ordering::Relaxed);
        at != 0 && monotonic_millis() - at < UNREACHABLE_MS
    }
}

pub(crate) const WRITE_ATTEMPTS: usize = 5;
/// How often SQLite's writer indexes for search what was written since (while writes come).
const SEARCH_INDEX_EVERY: Duration = Duration::from_millis(100);

impl Db {
    pub fn connect(url: &str, pool_size: u32, sqlite_synchronous: &str) -> Result<Db, ApiError> {
        let manager = ConnectionManager::new(url, sqlite_synchronous);
        let dialect = manager.dialect;
        // One connection up front, so a wrong URL fails at once with the server's own words
        // instead of after the pool's retries.
        r2d2::ManageConnection::connect(&manager)
            .map_err(|e| ApiError::ServiceUnavailable(e.to_string()))?;
        let unreachable = manager.unreachable.clone();
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(POOL_WAIT)
            // A Postgres restart leaves dead connections behind: check before use. A SQLite
            // file does not go away under us.
            .test_on_check_out(dialect == Dialect::Postgres)
            .build(manager.clone())?;
        Ok(Db {
            pool,
            dialect,
            manager,
            writer: None,
            metrics: None,
            unreachable,
        })
    }

    /// Measures pool waits and (started after this) SQLite's writer.
    pub fn with_metrics(mut self, metrics: DbMetrics) -> Db {
        self.metrics = Some(metrics);
        self
    }

    /// The pool's connections: open, and idle among them.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// A pooled connection, its wait measured.
    fn connection(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, ApiError> {
        let started = std::time::Instant::now();
        // Waits in slices, so a database found unreachable meanwhile ends the wait.
        let conn = loop {
            if self.unreachable.lately() {
                break self.pool.try_get().ok_or_else(|| {
                    ApiError::ServiceUnavailable("the database was unreachable a moment ago".into())
                });
            }
            match self.pool.get_timeout(POOL_WAIT_SLICE) {
                Ok(conn) => break Ok(conn),
                Err(e) if started.elapsed() >= POOL_WAIT => break Err(ApiError::from(e)),
                Err(_) => continue,
            }
        };
        if let Some(metrics) = &self.metrics {
            metrics.pool_wait.observe(started.elapsed().as_secs_f64());
        }
        conn
    }

    /// For a server on SQLite: from now on `write` goes through one writer thread that
    /// commits waiting writes together (see `group_commit`) and indexes them for search
    /// (`search_index`). Postgres keeps concurrent transactions on the pool.
    pub fn with_group_commit(mut self) -> Result<Db, ApiError> {
        if self.dialect == Dialect::Sqlite && self.writer.is_none() {
            let index_search = group_commit::Chore {
                every: SEARCH_INDEX_EVERY,
                run: |conn| search_index::catch_up(conn, search_index::CHUNK),
            };
            let writer = group_commit::GroupWriter::start(
                &self.manager,
                self.metrics.clone(),
                index_search,
            )?;
            self.writer = Some(Arc::new(writer));
        }
        Ok(self)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Applies pending migrations of the connection's dialect; returns the versions applied.
    /// They run on a connection of their own: one that a migration left in its own
    /// transaction, or with foreign keys off (SQLite's 000024), when it failed midway, is
    /// closed (rolling back), never handed to the pool.
    pub fn migrate(&self) -> Result<Vec<String>, ApiError> {
        let mut conn = self.own_connection()?;
        let applied = match &mut conn {
            DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        }
        .map_err(|e| ApiError::Internal(format!("migration failed: {e}")))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    }

    /// A blocking read with a pooled connection (for admin commands and start-up).
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.connection()?;
        f(&mut conn)
    }

    /// A blocking write transaction, retried when it lost a race.
    pub fn write_blocking<T>(
        &self,
        f: impl FnMut(&mut DbConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        write_on(&mut *self.connection()?, f)
    }

    /// A connection of its own, outside the pool, for a thread that writes all the time (a
    /// pooled one is checked with a round trip each time it is taken).
    pub fn own_connection(&self) -> Result<DbConnection, ApiError> {
        r2d2::ManageConnection::connect(&self.manager)
            .map_err(|e| ApiError::ServiceUnavailable(e.to_string()))
    }

    /// Reads off the async workers.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.read_blocking(f)).await?
    }

    /// One write transaction off the async workers: committed when this returns `Ok`.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnMut(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(writer) = &self.writer {
            return writer.write(f).await;
        }
        let db = self.clone();
        actix_web::web::block(move || db.write_blocking(f)).await?
    }

    /// Before a search: the full-text index holds everything committed so far (SQLite indexes
    /// in the writer's batches, at most `SEARCH_INDEX_EVERY` behind). If that fails, the
    /// search goes on with the index as it is.
    pub async fn search_ready(&self) {
        if self.dialect != Dialect::Sqlite {
            return;
        }
        let caught_up = self
            .write(|conn| search_index::catch_up(conn, search_index::CHUNK))
            .await;
        if let Err(e) = caught_up {
            log::warn!("the search index could not catch up before a search: {e}");
        }
    }

    pub async fn ping(&self) -> Result<(), ApiError> {
        self.read(|conn| {
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await
    }
}

/// A transaction that takes SQLite's write lock up front (`BEGIN IMMEDIATE`), so two writers
/// that both read first never deadlock on the upgrade; Postgres uses its ordinary one.
/// A blocking write transaction on this connection, retried when it lost a race.
pub fn write_on<T>(
    conn: &mut DbConnection,
    mut f: impl FnMut(&mut DbConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match write_transaction(conn, &mut f) {
            Err(ApiError::Conflict) if attempt < WRITE_ATTEMPTS => continue,
            other => return other,
        }
    }
}

fn write_transaction<T>(
    conn: &mut DbConnection,
    f: &mut impl FnMut(&mut DbConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    match conn {
        DbConnection::Pg(_) => conn.transaction(|c| f(c)),
        DbConnection::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => match conn.batch_execute("COMMIT") {
                    Ok(()) => Ok(value),
                    Err(err) => {
                        let _ = conn.batch_execute("ROLLBACK");
                        Err(err.into())
                    }
                },
                Err(err) => {
                    let _ = conn.batch_execute("ROLLBACK");
                    Err(err)
                }
            }
        }
    }
}

pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::migration::MigrationSource;
    use diesel::sql_types::BigInt;

    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn number(c: &mut diesel::SqliteConnection, query: &str) -> i64 {
        diesel::sql_query(query).get_result::<N>(c).unwrap().n
    }

    type SqliteMigration = Box<dyn diesel::migration::Migration<diesel::sqlite::Sqlite>>;

    /// A SQLite database in a temporary folder with every migration before `version` run,
    /// and that migration, to run by hand.
    fn just_before(version: &str) -> (tempfile::TempDir, DbConnection, SqliteMigration) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db").display().to_string();
        let manager = ConnectionManager::new(&path, "FULL");
        let mut conn = r2d2::ManageConnection::connect(&manager).unwrap();
        let DbConnection::Sqlite(c) = &mut conn else {
            unreachable!("a file path opens SQLite")
        };
        let mut all =
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS).unwrap();
        all.sort_by_key(|m| m.name().version().to_string());
        let at = all
            .iter()
            .position(|m| m.name().version().to_string() == version)
            .expect("the migration");
        c.applied_migrations().unwrap(); // makes diesel's table of applied migrations
        for m in &all[..at] {
            c.run_migration(m.as_ref()).unwrap();
        }
        let next = all.remove(at);
        (dir, conn, next)
    }

    /// Migration 24 makes SQLite's messages table anew, with partial unique indexes for the
    /// retry keys: the messages stay with their ids, the id counter stays where it was (ids
    /// never come back), a repeated key is still refused, and foreign keys are enforced again.
    #[test]
    fn the_messages_table_made_anew_keeps_its_rows_ids_and_counter() {
        let (_dir, mut conn, migration) = just_before("20261201000024");
        let DbConnection::Sqlite(c) = &mut conn else {
            unreachable!("a file path opens SQLite")
        };
        // Rows of the old table (foreign keys off: only the messages matter here), and a
        // counter past the last id, as after a message that is gone.
        let message = |id: i64, idempotency: &str, retry: &str| {
            format!(
                "INSERT INTO messages (id, tenant_id, ticket_id, session_id, author, body, \
                 message_number, url, additional_data, used_predefined_user_input, \
                 external_address_overwrite, idempotency_key, retry_key, created_at) \
                 VALUES ({id}, 1, 1, 5, 'customer', 'text {id}', 1, '', '', 0, '', \
                 {idempotency}, {retry}, 0);"
            )
        };
        c.batch_execute(&format!(
            "PRAGMA foreign_keys = OFF; {}{}{} \
             UPDATE sqlite_sequence SET seq = 10 WHERE name = 'messages'; \
             PRAGMA foreign_keys = ON;",
            message(1, "NULL", "NULL"),
            message(2, "'key'", "NULL"),
            message(3, "NULL", "'1:abc'"),
        ))
        .unwrap();

        c.run_migration(migration.as_ref()).unwrap();

        assert_eq!(number(c, "SELECT count(*) AS n FROM messages"), 3);
        assert_eq!(number(c, "SELECT sum(id) AS n FROM messages"), 6);
        assert_eq!(
            number(
                c,
                "SELECT seq AS n FROM sqlite_sequence WHERE name = 'messages'"
            ),
            10
        );
        assert_eq!(
            number(
                c,
                "SELECT count(*) AS n FROM pragma_foreign_keys WHERE foreign_keys = 1"
            ),
            1
        );
        assert_eq!(
            number(
                c,
                "SELECT count(*) AS n FROM sqlite_schema WHERE tbl_name = 'messages' \
                 AND type = 'index' AND (sql IS NULL OR sql NOT LIKE '%WHERE%')"
            ),
            1,
            "only messages_ticket holds every row"
        );
        assert_eq!(
            number(
                c,
                "SELECT count(*) AS n FROM sqlite_schema WHERE name = 'messages_search_update'"
            ),
            1
        );
        // Keys that were sent are still unique within a session; rows without keys are many.
        c.batch_execute("PRAGMA foreign_keys = OFF").unwrap();
        assert!(c.batch_execute(&message(20, "'key'", "NULL")).is_err());
        assert!(c.batch_execute(&message(21, "NULL", "'1:abc'")).is_err());
        c.batch_execute(&message(22, "NULL", "NULL")).unwrap();
        c.batch_execute(&message(23, "'other'", "'2:abc'")).unwrap();
    }

    /// Migration 25 makes SQLite's full-text index contentless (no copy of the texts): what
    /// was indexed before is indexed again by the writer's catch-up, from marks at 0, and an
    /// edited (purged) text leaves the index at once.
    #[test]
    fn the_contentless_index_is_filled_again_from_what_is_stored() {
        let (_dir, mut conn, migration) = just_before("20261201000025");
        {
            let DbConnection::Sqlite(c) = &mut conn else {
                unreachable!("a file path opens SQLite")
            };
            c.batch_execute(
                "PRAGMA foreign_keys = OFF; \
                 INSERT INTO messages (id, tenant_id, ticket_id, session_id, author, body, \
                 message_number, url, additional_data, used_predefined_user_input, \
                 external_address_overwrite, created_at) \
                 VALUES (7, 1, 3, 5, 'customer', 'The albatross has landed', 1, '', '', 0, '', 0); \
                 PRAGMA foreign_keys = ON;",
            )
            .unwrap();
        }
        while search_index::catch_up(&mut conn, search_index::CHUNK).unwrap() {}
        let DbConnection::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        let found = |c: &mut diesel::SqliteConnection, word: &str| {
            number(
                c,
                &format!(
                    "SELECT coalesce(max(rowid), 0) AS n FROM search_index \
                     WHERE search_index MATCH '{word}'"
                ),
            )
        };
        assert_eq!(found(c, "albatross"), 28, "indexed in the old layout");

        c.run_migration(migration.as_ref()).unwrap();

        assert_eq!(
            number(
                c,
                "SELECT count(*) AS n FROM sqlite_schema WHERE name = 'search_index_content'"
            ),
            0,
            "no copy of the texts"
        );
        assert_eq!(found(c, "albatross"), 0, "emptied");
        assert_eq!(number(c, "SELECT message_id AS n FROM search_progress"), 0);
        while search_index::catch_up(&mut conn, search_index::CHUNK).unwrap() {}
        let DbConnection::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        assert_eq!(found(c, "albatross"), 28, "indexed again, by its rowid");
        c.batch_execute("UPDATE messages SET body = 'erased' WHERE id = 7")
            .unwrap();
        assert_eq!(found(c, "albatross"), 0, "an edited text leaves the index");
        assert_eq!(found(c, "erased"), 28);
    }
}
