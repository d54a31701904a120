use diesel::prelude::*;

use crate::db::schema::ticket_events;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

/// A change to a ticket: `status`, `priority`, `assignment`, `title`, `tags`, `deleted`,
/// `picked_up`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ticket_events)]
pub struct TicketEvent {
    pub id: i64,
    pub kind: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub user_id: Option<i64>,
    pub created_at: i64,
}

/// The changes whose values say something about the customer: a title (taken from their
/// words), their browser's session (address, place, browser), a call (their phone, its
/// recording). A purge erases these values.
pub const PERSONAL_KINDS: [&str; 3] = ["title", "visitor", "call"];

impl TicketEvent {
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        conn: &mut DbConnection,
        tenant_id: i64,
        ticket_id: i64,
        kind: &str,
        old_value: Option<&str>,
        new_value: Option<&str>,
        user_id: Option<i64>,
        at: i64,
    ) -> Result<(), ApiError> {
        let row = (
            ticket_events::tenant_id.eq(tenant_id),
            ticket_events::ticket_id.eq(ticket_id),
            ticket_events::kind.eq(kind),
            ticket_events::old_value.eq(old_value),
            ticket_events::new_value.eq(new_value),
            ticket_events::user_id.eq(user_id),
            ticket_events::created_at.eq(at),
        );
        on_backend!(conn, |c| diesel::insert_into(ticket_events::table)
            .values(row)
            .execute(c))?;
        Ok(())
    }

    /// The value the ticket's latest change of this kind set, if it had one.
    pub fn last_value(
        conn: &mut DbConnection,
        ticket_id: i64,
        kind: &str,
    ) -> Result<Option<Option<String>>, ApiError> {
        Ok(on_backend!(conn, |c| ticket_events::table
            .filter(ticket_events::ticket_id.eq(ticket_id))
            .filter(ticket_events::kind.eq(kind))
            .order(ticket_events::id.desc())
            .select(ticket_events::new_value)
            .first(c)
            .optional())?)
    }

    /// Whether the ticket has a change of this kind to this value.
    pub fn exists(
        conn: &mut DbConnection,
        ticket_id: i64,
        kind: &str,
        value: &str,
    ) -> Result<bool, ApiError> {
        let found: Option<i64> = on_backend!(conn, |c| ticket_events::table
            .filter(ticket_events::ticket_id.eq(ticket_id))
            .filter(ticket_events::kind.eq(kind))
            .filter(ticket_events::new_value.eq(value))
            .select(ticket_events::id)
            .first(c)
            .optional())?;
        Ok(found.is_some())
    }

    pub fn of_ticket(
        conn: &mut DbConnection,
        ticket_id: i64,
    ) -> Result<Vec<TicketEvent>, ApiError> {
        Ok(on_backend!(conn, |c| ticket_events::table
            .filter(ticket_events::ticket_id.eq(ticket_id))
            .order(ticket_events::id)
            .select(TicketEvent::as_select())
            .load(c))?)
    }

    /// Erases what these tickets' changes kept of their titles (the first title is the
    /// customer's first message).
    pub fn purge_of_tickets(
        conn: &mut DbConnection,
        ticket_ids: &[i64],
        erased: &str,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(
            ticket_events::table
                .filter(ticket_events::ticket_id.eq_any(ticket_ids))
                .filter(ticket_events::kind.eq_any(PERSONAL_KINDS))
        )
        .set((
            ticket_events::old_value.eq(erased),
            ticket_events::new_value.eq(erased),
        ))
        .execute(c))?;
        Ok(())
    }
}
