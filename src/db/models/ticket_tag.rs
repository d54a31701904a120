use diesel::prelude::*;

use crate::db::schema::ticket_tags;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

pub struct TicketTag;

impl TicketTag {
    pub fn of_ticket(conn: &mut DbConnection, ticket_id: i64) -> Result<Vec<String>, ApiError> {
        Ok(on_backend!(conn, |c| ticket_tags::table
            .filter(ticket_tags::ticket_id.eq(ticket_id))
            .order(ticket_tags::tag)
            .select(ticket_tags::tag)
            .load(c))?)
    }

    /// Replaces the ticket's tags.
    pub fn replace(
        conn: &mut DbConnection,
        tenant_id: i64,
        ticket_id: i64,
        tags: &[String],
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::delete(
            ticket_tags::table.filter(ticket_tags::ticket_id.eq(ticket_id))
        )
        .execute(c))?;
        let rows: Vec<_> = tags
            .iter()
            .map(|tag| {
                (
                    ticket_tags::ticket_id.eq(ticket_id),
                    ticket_tags::tenant_id.eq(tenant_id),
                    ticket_tags::tag.eq(tag),
                )
            })
            .collect();
        for row in rows {
            // Two agents tagging the ticket at once: the retry of the loser sees the winner's.
            on_backend!(conn, |c| diesel::insert_into(ticket_tags::table)
                .values(row)
                .execute(c))
            .map_err(|e| ApiError::from(e).raced())?;
        }
        Ok(())
    }

    /// The tags of each of these tickets, in one query: `(ticket_id, tag)`, in tag order.
    pub fn of_tickets(
        conn: &mut DbConnection,
        ticket_ids: &[i64],
    ) -> Result<Vec<(i64, String)>, ApiError> {
        Ok(on_backend!(conn, |c| ticket_tags::table
            .filter(ticket_tags::ticket_id.eq_any(ticket_ids))
            .order((ticket_tags::ticket_id, ticket_tags::tag))
            .select((ticket_tags::ticket_id, ticket_tags::tag))
            .load(c))?)
    }
}
