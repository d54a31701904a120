use diesel::prelude::*;

use crate::db::schema::deliveries;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

pub const QUEUED: &str = "queued";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = deliveries)]
pub struct NewDelivery<'a> {
    pub tenant_id: i64,
    pub ticket_id: i64,
    pub message_id: Option<i64>,
    pub chat_account_id: i64,
    pub kind: &'a str,
    pub url: &'a str,
    pub body: &'a str,
    pub state: &'a str,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub created_at: i64,
    /// The file an `uploadForCustomer` delivery sends.
    pub attachment_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: i64,
    pub tenant_id: i64,
    pub ticket_id: i64,
    pub message_id: Option<i64>,
    pub chat_account_id: i64,
    pub kind: String,
    pub url: String,
    pub body: String,
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub attachment_id: Option<i64>,
}

impl Delivery {
    /// How many deliveries are in each state (read off the `(state, next_attempt_at)` index).
    pub fn count_by_state(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, ApiError> {
        use diesel::dsl::count_star;
        Ok(on_backend!(conn, |c| deliveries::table
            .group_by(deliveries::state)
            .select((deliveries::state, count_star()))
            .load(c))?)
    }

    pub fn create(conn: &mut DbConnection, new: &NewDelivery<'_>) -> Result<i64, ApiError> {
        Ok(on_backend!(conn, |c| diesel::insert_into(
            deliveries::table
        )
        .values(new)
        .returning(deliveries::id)
        .get_result(c))?)
    }

    /// Claims up to `limit` due deliveries for `owner` until `lease_until`, none of a ticket
    /// with a delivery in flight (so a ticket's deliveries never overtake each other) nor of
    /// the chat accounts in `busy_accounts`. The lease is taken with a conditional update, so
    /// of two instances claiming the same row one gets it.
    pub fn claim(
        conn: &mut DbConnection,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
        busy_accounts: &[i64],
    ) -> Result<Vec<Delivery>, ApiError> {
        if let DbConnection::Pg(c) = conn {
            // Claims take turns across instances: the check that none of a ticket's
            // deliveries is in flight must see the other instance's claim, committed.
            diesel::sql_query("SELECT pg_advisory_xact_lock(7245001)").execute(c)?;
        }
        let free = deliveries::lease_until
            .is_null()
            .or(deliveries::lease_until.lt(now));
        let in_flight = diesel::alias!(deliveries as in_flight);
        let ticket_in_flight = diesel::dsl::exists(
            in_flight
                .filter(
                    in_flight
                        .field(deliveries::ticket_id)
                        .eq(deliveries::ticket_id),
                )
                .filter(in_flight.field(deliveries::state).eq(QUEUED))
                .filter(in_flight.field(deliveries::lease_until).ge(now)),
        );
        let due: Vec<i64> = on_backend!(conn, |c| deliveries::table
            .filter(deliveries::state.eq(QUEUED))
            .filter(deliveries::next_attempt_at.le(now))
            .filter(free)
            .filter(diesel::dsl::not(ticket_in_flight))
            .filter(deliveries::chat_account_id.ne_all(busy_accounts))
            .order((deliveries::next_attempt_at, deliveries::id))
            .limit(limit)
            .select(deliveries::id)
            .load(c))?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        on_backend!(conn, |c| diesel::update(
            deliveries::table
                .filter(deliveries::id.eq_any(&due))
                .filter(deliveries::state.eq(QUEUED))
                .filter(free)
        )
        .set((
            deliveries::lease_owner.eq(owner),
            deliveries::lease_until.eq(lease_until),
        ))
        .execute(c))?;
        Ok(on_backend!(conn, |c| deliveries::table
            .filter(deliveries::lease_owner.eq(owner))
            .filter(deliveries::state.eq(QUEUED))
            .select(Delivery::as_select())
            .load(c))?)
    }

    /// Extends `owner`'s lease, just before an attempt; `false` when the lease is no longer
    /// its (it ran out and another instance claimed the delivery).
    pub fn renew_lease(
        conn: &mut DbConnection,
        id: i64,
        owner: &str,
        lease_until: i64,
    ) -> Result<bool, ApiError> {
        let changed = on_backend!(conn, |c| diesel::update(
            deliveries::table
                .filter(deliveries::id.eq(id))
                .filter(deliveries::lease_owner.eq(owner))
                .filter(deliveries::state.eq(QUEUED))
        )
        .set(deliveries::lease_until.eq(lease_until))
        .execute(c))?;
        Ok(changed == 1)
    }

    /// Records an attempt's outcome and releases the lease (only the lease holder may).
    #[allow(clippy::too_many_arguments)]
    pub fn record_attempt(
        conn: &mut DbConnection,
        id: i64,
        owner: &str,
        state: &str,
        attempts: i32,
        next_attempt_at: i64,
        last_status: Option<i32>,
        last_error: Option<&str>,
        delivered_at: Option<i64>,
    ) -> Result<bool, ApiError> {
        let changed = on_backend!(conn, |c| diesel::update(
            deliveries::table
                .filter(deliveries::id.eq(id))
                .filter(deliveries::lease_owner.eq(owner))
        )
        .set((
            deliveries::state.eq(state),
            deliveries::attempts.eq(attempts),
            deliveries::next_attempt_at.eq(next_attempt_at),
            deliveries::last_status.eq(last_status),
            deliveries::last_error.eq(last_error),
            deliveries::delivered_at.eq(delivered_at),
            deliveries::lease_owner.eq(None::<String>),
            deliveries::lease_until.eq(None::<i64>),
        ))
        .execute(c))?;
        // `false` when the lease had passed to another instance: its outcome counts.
        Ok(changed == 1)
    }

    pub fn of_ticket(conn: &mut DbConnection, ticket_id: i64) -> Result<Vec<Delivery>, ApiError> {
        Ok(on_backend!(conn, |c| deliveries::table
            .filter(deliveries::ticket_id.eq(ticket_id))
            .order(deliveries::id)
            .select(Delivery::as_select())
            .load(c))?)
    }

    /// Cancels the queued deliveries of these tickets (`why` is their last error) and erases
    /// every one's body.
    pub fn purge_of_tickets(
        conn: &mut DbConnection,
        ticket_ids: &[i64],
        why: &str,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(
            deliveries::table
                .filter(deliveries::ticket_id.eq_any(ticket_ids))
                .filter(deliveries::state.eq(QUEUED))
        )
        // The lease goes too: a worker sending one now cannot record it queued again.
        .set((
            deliveries::state.eq(FAILED),
            deliveries::last_error.eq(why),
            deliveries::lease_owner.eq(None::<String>),
            deliveries::lease_until.eq(None::<i64>),
        ))
        .execute(c))?;
        on_backend!(conn, |c| diesel::update(
            deliveries::table.filter(deliveries::ticket_id.eq_any(ticket_ids))
        )
        .set(deliveries::body.eq("{}"))
        .execute(c))?;
        Ok(())
    }
}
