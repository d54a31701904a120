//! Retention, per chat account: the personal data of customers quiet for `purge_after_days`
//! (no ticket of theirs touched since) is purged exactly as `purgeData` purges it, and solved
//! tickets untouched for `close_solved_after_days` are closed.
//!
//! Every instance runs a pass every `server.retention_every_seconds`. A pass looks for work on
//! a pooled connection, in batches of `BATCH`, and does it one customer (one ticket) per write:
//! the SQLite writer is never held for more than one customer's purge. Two instances passing
//! at once do no harm: a purged customer is not found again, a closed ticket not closed twice.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::db::models::chat_account::ChatAccount;
use crate::db::models::ticket::Ticket;
use crate::db::{now_millis, Db};
use crate::error::ApiError;
use crate::services::events::Events;
use crate::services::{customers, tickets};

/// Customers (tickets) looked for at once.
const BATCH: i64 = 100;
/// Batches of one kind for one chat account in one pass; the rest waits for the next pass.
const MAX_BATCHES: usize = 20;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub customers_purged: u64,
    pub tickets_closed: u64,
}

/// Starts the job on the current actix system; `every` zero: never.
pub fn spawn(
    db: Db,
    events: Events,
    dir: PathBuf,
    every: Duration,
    counted: prometheus::IntCounterVec,
) {
    if every.is_zero() {
        return;
    }
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(e) = run_once(&db, &events, &dir, Some(&counted)).await {
                log::warn!("retention: the pass stopped: {e}");
            }
        }
    });
}

/// One pass over every chat account with retention on; each customer purged and ticket
/// closed is counted in `counted` as it is done.
pub async fn run_once(
    db: &Db,
    events: &Events,
    dir: &Path,
    counted: Option<&prometheus::IntCounterVec>,
) -> Result<Pass, ApiError> {
    let count = |what: &str| {
        if let Some(counter) = counted {
            counter.with_label_values(&[what]).inc();
        }
    };
    let accounts = db.read(ChatAccount::with_retention).await?;
    let now = now_millis();
    let mut pass = Pass::default();
    for account in accounts {
        let (tenant, id) = (account.tenant_id, account.id);
        if account.purge_after_days > 0 {
            let days = account.purge_after_days;
            let before = now - i64::from(days) * DAY_MS;
            for _ in 0..MAX_BATCHES {
                let quiet = db
                    .read(move |conn| {
                        Ticket::customers_quiet_on_chat_account(conn, tenant, id, before, BATCH)
                    })
                    .await?;
                for customer in &quiet {
                    // Purged only if still quiet: the customer may have come back meanwhile.
                    let Some(purged) =
                        customers::purge_if_quiet(db, events, dir, tenant, *customer, before)
                            .await?
                    else {
                        continue;
                    };
                    pass.customers_purged += 1;
                    count("customers_purged");
                    log::info!(
                        "retention: tenant {tenant}, chat account {id} ({days} days): customer \
                         {customer} purged: {} tickets, {} messages, {} files",
                        purged.tickets,
                        purged.messages,
                        purged.files
                    );
                }
                if (quiet.len() as i64) < BATCH {
                    break;
                }
            }
        }
        if account.close_solved_after_days > 0 {
            let days = account.close_solved_after_days;
            let before = now - i64::from(days) * DAY_MS;
            for _ in 0..MAX_BATCHES {
                let solved = db
                    .read(move |conn| {
                        Ticket::solved_quiet_on_chat_account(conn, tenant, id, before, BATCH)
                    })
                    .await?;
                for ticket in &solved {
                    // Closed only if still solved and untouched: an agent may have reopened it.
                    if !tickets::close_if_solved_before(db, events, tenant, *ticket, before).await?
                    {
                        continue;
                    }
                    pass.tickets_closed += 1;
                    count("tickets_closed");
                    log::info!(
                        "retention: tenant {tenant}, chat account {id} ({days} days): ticket \
                         {ticket} closed"
                    );
                }
                if (solved.len() as i64) < BATCH {
                    break;
                }
            }
        }
    }
    Ok(pass)
}
