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
                .filter(ticket_events::kind.eq("title"))
        )
        .set((
            ticket_events::old_value.eq(erased),
            ticket_events::new_value.eq(erased),
        ))
        .execute(c))?;
        Ok(())
    }
}
