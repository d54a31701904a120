//! Synthetic data for benchmarks: `omnibridge seed --tenant ID --tickets N`. Deterministic
//! (a fixed random seed), written in large transactions of multi-row inserts.

use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::models::chat_account::ChatAccount;
use crate::db::schema::{chat_sessions, customers, ticket_tags, tickets, users};
use crate::db::{now_millis, Db, DbConnection};
use crate::domain::ticket::{PRIORITIES, STATUSES};
use crate::error::ApiError;
use crate::on_backend;
use crate::services::admin::{self, ChatAccountOptions};

const BATCH: usize = 1000;
const TICKETS_PER_CUSTOMER: usize = 5;
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
    let agent_ids: Vec<i64> = db.write_blocking(|conn| {
        let rows: Vec<_> = (0..agents)
            .map(|i| {
                (
                    users::tenant_id.eq(tenant_id),
                    users::name.eq(format!("Seeded agent {i}")),
                    users::email.eq(format!("agent{i}.{now}@seed.example")),
                    users::is_online.eq(i % 2 == 0),
                    users::email_notifications.eq(false),
                    users::created_at.eq(now),
                )
            })
            .collect();
        Ok(on_backend!(conn, |c| diesel::insert_into(users::table)
            .values(&rows)
            .returning(users::id)
            .get_results(c))?)
    })?;
    let mut rng = StdRng::seed_from_u64(42);
    let mut done = 0;
    let mut customers_made = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let plan: Vec<TicketPlan> = (0..n)
            .map(|_| TicketPlan::random(&mut rng, now, &agent_ids))
            .collect();
        let seq = done;
        customers_made +=
            db.write_blocking(|conn| insert_batch(conn, tenant_id, account, seq, &plan, now))?;
        done += n;
    }
    Ok(Seeded {
        tickets: done,
        customers: customers_made,
        agents: agent_ids.len(),
    })
}

struct TicketPlan {
    status: &'static str,
    priority: &'static str,
    channel: i32,
    assignee: Option<i64>,
    created: i64,
    updated: i64,
    chat_state: Option<&'static str>,
    vip: bool,
}

impl TicketPlan {
    fn random(rng: &mut StdRng, now: i64, agents: &[i64]) -> TicketPlan {
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
            chat_state: chat
                .then(|| ["waiting", "active", "ended", "ended"][rng.random_range(0..4)]),
            vip: rng.random_bool(0.1),
        }
    }
}

fn insert_batch(
    conn: &mut DbConnection,
    tenant_id: i64,
    account: i64,
    seq: usize,
    plan: &[TicketPlan],
    now: i64,
) -> Result<usize, ApiError> {
    let customer_rows: Vec<_> = (0..plan.len().div_ceil(TICKETS_PER_CUSTOMER))
        .map(|i| {
            let k = seq / TICKETS_PER_CUSTOMER + i;
            (
                customers::tenant_id.eq(tenant_id),
                customers::name.eq(Some(format!("Customer {k}"))),
                customers::email.eq(Some(format!("customer{k}.{now}@seed.example"))),
                customers::created_at.eq(now),
                customers::updated_at.eq(now),
            )
        })
        .collect();
    let customer_ids: Vec<i64> = on_backend!(conn, |c| diesel::insert_into(customers::table)
        .values(&customer_rows)
        .returning(customers::id)
        .get_results(c))?;
    let ticket_rows: Vec<_> = plan
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                tickets::tenant_id.eq(tenant_id),
                tickets::customer_id.eq(customer_ids[i / TICKETS_PER_CUSTOMER]),
                tickets::title.eq(format!("Seeded question {}", seq + i)),
                tickets::status.eq(p.status),
                tickets::priority.eq(p.priority),
                tickets::channel_id.eq(p.channel),
                tickets::direction.eq("inbound"),
                tickets::assigned_user_id.eq(p.assignee),
                tickets::source_url.eq(""),
                tickets::created_at.eq(p.created),
                tickets::updated_at.eq(p.updated),
                tickets::chat_state.eq(p.chat_state),
            )
        })
        .collect();
    let ticket_ids: Vec<i64> = on_backend!(conn, |c| diesel::insert_into(tickets::table)
        .values(&ticket_rows)
        .returning(tickets::id)
        .get_results(c))?;
    let session_rows: Vec<_> = plan
        .iter()
        .zip(&ticket_ids)
        .filter_map(|(p, id)| {
            p.chat_state.map(|state| {
                (
                    chat_sessions::tenant_id.eq(tenant_id),
                    chat_sessions::chat_account_id.eq(account),
                    chat_sessions::ticket_id.eq(*id),
                    chat_sessions::chat_server.eq("seed.example"),
                    chat_sessions::chat_session_id.eq(format!("seed-{now}-{id}")),
                    chat_sessions::state.eq(state),
                    chat_sessions::queue_entered_at.eq(p.created),
                    chat_sessions::initial_estimated_wait.eq(60),
                    chat_sessions::typing.eq(false),
                    chat_sessions::created_at.eq(p.created),
                )
            })
        })
        .collect();
    if !session_rows.is_empty() {
        on_backend!(conn, |c| diesel::insert_into(chat_sessions::table)
            .values(&session_rows)
            .execute(c))?;
    }
    let tag_rows: Vec<_> = plan
        .iter()
        .zip(&ticket_ids)
        .filter(|(p, _)| p.vip)
        .map(|(_, id)| {
            (
                ticket_tags::ticket_id.eq(*id),
                ticket_tags::tenant_id.eq(tenant_id),
                ticket_tags::tag.eq("vip"),
            )
        })
        .collect();
    if !tag_rows.is_empty() {
        on_backend!(conn, |c| diesel::insert_into(ticket_tags::table)
            .values(&tag_rows)
            .execute(c))?;
    }
    Ok(customer_ids.len())
}
