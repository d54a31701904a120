//! Multi-row inserts of synthetic data, for `omnibridge seed` (benchmarks).

use diesel::prelude::*;

use crate::db::models::chat_session::STATE_WAITING;
use crate::db::schema::{chat_accounts, chat_sessions, customers, ticket_tags, tickets, users};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

const TICKETS_PER_CUSTOMER: usize = 5;

/// One synthetic ticket.
pub struct TicketPlan {
    pub status: &'static str,
    pub priority: &'static str,
    pub channel: i32,
    pub assignee: Option<i64>,
    pub created: i64,
    pub updated: i64,
    pub chat_state: Option<&'static str>,
    pub vip: bool,
}

/// `count` agents of the tenant, every other one online; their ids.
pub fn insert_agents(
    conn: &mut DbConnection,
    tenant_id: i64,
    count: usize,
    now: i64,
) -> Result<Vec<i64>, ApiError> {
    let rows: Vec<_> = (0..count)
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
}

/// The planned tickets with a customer for every five, their chat sessions and tags; how
/// many customers.
pub fn insert_batch(
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
        // The account's count of waiting chats stays what the sessions say.
        let waiting = plan
            .iter()
            .filter(|p| p.chat_state == Some(STATE_WAITING))
            .count() as i64;
        on_backend!(conn, |c| diesel::update(chat_accounts::table.find(account))
            .set(chat_accounts::waiting_chats.eq(chat_accounts::waiting_chats + waiting))
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
