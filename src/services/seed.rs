//! Synthetic data for benchmarks: `omnibridge seed --tenant ID --tickets N`. Deterministic
//! (a fixed random seed), written in large transactions of multi-row inserts.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::models::chat_account::ChatAccount;
use crate::db::seeding::{self, TicketPlan};
use crate::db::{now_millis, Db};
use crate::domain::ticket::{PRIORITIES, STATUSES};
use crate::error::ApiError;
use crate::services::admin::{self, ChatAccountOptions};

const BATCH: usize = 1000;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, serde::Serialize)]
pub struct Seeded {
    pub tickets: usize,
    pub customers: usize,
    pub agents: usize,
}

pub fn seed(db: &Db, tenant_id: i64, count: usize, agents: usize) -> Result<Seeded, ApiError> {
    let account = match db.read_blocking(|conn| ChatAccount::first_of_tenant(conn, tenant_id))? {
        Some(a) => a.id,
        None => {
            admin::create_chat_account(db, tenant_id, &ChatAccountOptions::named("Seeded chat"))?.id
        }
    };
    let now = now_millis();
    let agent_ids =
        db.write_blocking(|conn| seeding::insert_agents(conn, tenant_id, agents, now))?;
    let mut rng = StdRng::seed_from_u64(42);
    let mut done = 0;
    let mut customers_made = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let plan: Vec<TicketPlan> = (0..n)
            .map(|_| random_plan(&mut rng, now, &agent_ids))
            .collect();
        let seq = done;
        customers_made += db.write_blocking(|conn| {
            seeding::insert_batch(conn, tenant_id, account, seq, &plan, now)
        })?;
        done += n;
    }
    // The server's writer would index these in chunks while it serves: do it now, so a
    // benchmark measures what it means to.
    crate::db::search_index::catch_up_fully(db)?;
    Ok(Seeded {
        tickets: done,
        customers: customers_made,
        agents: agent_ids.len(),
    })
}

fn random_plan(rng: &mut StdRng, now: i64, agents: &[i64]) -> TicketPlan {
    let created = now - rng.random_range(0..90 * DAY_MS);
    let chat = rng.random_bool(0.6);
    TicketPlan {
        status: STATUSES[rng.random_range(0..STATUSES.len())],
        priority: PRIORITIES[rng.random_range(0..PRIORITIES.len())],
        channel: if chat { 8 } else { 1 },
        assignee: (!agents.is_empty() && rng.random_bool(0.7))
            .then(|| agents[rng.random_range(0..agents.len())]),
        created,
        updated: created + rng.random_range(0..(now - created).max(1)),
        chat_state: chat.then(|| ["waiting", "active", "ended", "ended"][rng.random_range(0..4)]),
        vip: rng.random_bool(0.1),
    }
}
