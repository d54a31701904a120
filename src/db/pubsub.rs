//! Postgres `LISTEN`/`NOTIFY`: how instances on one database tell each other things. Each
//! side holds its own connection (outside the pool), and comes back after it breaks.

use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;

/// How often a listening connection is checked for life.
const LIVENESS_CHECK: Duration = Duration::from_secs(5);

fn connect(url: &str) -> Option<PgConnection> {
    match PgConnection::establish(url) {
        Ok(conn) => Some(conn),
        Err(e) => {
            log::warn!("pubsub: cannot connect to Postgres: {e}");
            std::thread::sleep(Duration::from_secs(1));
            None
        }
    }
}

/// Sends notifications on one connection, made again when it breaks.
pub struct Notifier {
    url: String,
    conn: Option<PgConnection>,
}

impl Notifier {
    pub fn new(url: &str) -> Notifier {
        Notifier {
            url: url.to_owned(),
            conn: None,
        }
    }

    /// `pg_notify(channel, payload)` for each payload, in order, in one transaction; one
    /// reconnection at most, so a database that is away drops notifications rather than
    /// holding up the ones behind them for long. (Postgres may deliver identical payloads of
    /// one transaction once.)
    /// Runs `f` on the connection, made (again) if need be; tries twice.
    fn with_connection<T>(
        &mut self,
        what: &str,
        mut f: impl FnMut(&mut PgConnection) -> QueryResult<T>,
    ) -> Option<T> {
        for _ in 0..2 {
            if self.conn.is_none() {
                self.conn = connect(&self.url).and_then(|mut c| {
                    match diesel::sql_query("SET synchronous_commit = off").execute(&mut c) {
                        Ok(_) => Some(c),
                        Err(e) => {
                            log::warn!("pubsub: {e}");
                            None
                        }
                    }
                });
            }
            let Some(c) = self.conn.as_mut() else {
                continue;
            };
            match f(c) {
                Ok(done) => return Some(done),
                Err(e) => {
                    log::warn!("pubsub: {what} failed: {e}");
                    self.conn = None;
                }
            }
        }
        None
    }

    pub fn notify(&mut self, channel: &str, payloads: &[String]) -> bool {
        self.with_connection("NOTIFY", |c| {
            diesel::sql_query("SELECT pg_notify($1, p) FROM unnest($2) AS p")
                .bind::<diesel::sql_types::Text, _>(channel)
                .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(payloads)
                .execute(c)
        })
        .is_some()
    }

    /// Keeps numbered events in `stream_events` (for streams that resume on an instance that
    /// did not hear them), erases those of purged tickets, and drops those created before
    /// `drop_before` if given.
    pub fn keep(&mut self, kept: &KeptEvents, drop_before: Option<i64>) -> bool {
        use diesel::sql_types::{Array, BigInt, Text};
        self.with_connection("keeping events", |c| {
            if !kept.ids.is_empty() {
                diesel::sql_query(
                    "INSERT INTO stream_events (id, tenant_id, ticket_id, kind, data, created_at) \
                     SELECT * FROM unnest($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                )
                .bind::<Array<BigInt>, _>(&kept.ids)
                .bind::<Array<BigInt>, _>(&kept.tenants)
                .bind::<Array<diesel::sql_types::Nullable<BigInt>>, _>(&kept.tickets)
                .bind::<Array<Text>, _>(&kept.kinds)
                .bind::<Array<Text>, _>(&kept.data)
                .bind::<Array<BigInt>, _>(&kept.created_at)
                .execute(c)?;
            }
            if !kept.purged_tickets.is_empty() {
                diesel::sql_query("DELETE FROM stream_events WHERE ticket_id = ANY($1)")
                    .bind::<Array<BigInt>, _>(&kept.purged_tickets)
                    .execute(c)?;
            }
            if let Some(before) = drop_before {
                diesel::sql_query("DELETE FROM stream_events WHERE created_at < $1")
                    .bind::<BigInt, _>(before)
                    .execute(c)?;
            }
            Ok(())
        })
        .is_some()
    }

    /// `n` numbers from the events' sequence, in order.
    pub fn next_ids(&mut self, n: usize) -> Option<Vec<i64>> {
        if n == 0 {
            return Some(Vec::new());
        }
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
        }
        self.with_connection("numbering events", |c| {
            diesel::sql_query(
                "SELECT nextval('omnibridge_event_ids') AS id FROM generate_series(1, $1)",
            )
            .bind::<diesel::sql_types::Integer, _>(n as i32)
            .load::<Id>(c)
        })
        .map(|ids| ids.into_iter().map(|i| i.id).collect())
    }
}

/// Events to keep, one column each.
#[derive(Debug, Default)]
pub struct KeptEvents {
    pub ids: Vec<i64>,
    pub tenants: Vec<i64>,
    pub tickets: Vec<Option<i64>>,
    pub kinds: Vec<String>,
    /// JSON.
    pub data: Vec<String>,
    pub created_at: Vec<i64>,
    /// Tickets whose kept events are erased (after those above are kept).
    pub purged_tickets: Vec<i64>,
}

pub struct Listener {
    conn: PgConnection,
    last_check: Instant,
}

impl Listener {
    pub fn connect(url: &str, channel: &str) -> Option<Listener> {
        let mut conn = connect(url)?;
        // Named, so that an operator (or a test) can tell it in `pg_stat_activity`.
        if let Err(e) =
            diesel::sql_query("SET application_name = 'omnibridge_listener'").execute(&mut conn)
        {
            log::warn!("pubsub: {e}");
        }
        if let Err(e) = diesel::sql_query(format!("LISTEN {channel}")).execute(&mut conn) {
            log::warn!("pubsub: LISTEN failed: {e}");
            std::thread::sleep(Duration::from_secs(1));
            return None;
        }
        Some(Listener {
            conn,
            last_check: Instant::now(),
        })
    }

    /// Hands each payload that has arrived to `each`, as it is read; `Err` when the
    /// connection is gone (connect again), after what arrived before it was handed on.
    pub fn receive(&mut self, mut each: impl FnMut(String)) -> Result<(), String> {
        for notification in self.conn.notifications_iter() {
            match notification {
                Ok(n) => each(n.payload),
                Err(e) => return Err(format!("the listening connection broke: {e}")),
            }
        }
        // A connection that died without a word (a failover, a dropped NAT entry) shows only
        // when it is used: ask the server something now and then.
        if self.last_check.elapsed() >= LIVENESS_CHECK {
            self.last_check = Instant::now();
            if let Err(e) = diesel::sql_query("SELECT 1").execute(&mut self.conn) {
                return Err(format!("the listening connection is gone: {e}"));
            }
        }
        Ok(())
    }
}
