use diesel::prelude::*;

use crate::db::schema::chat_events;
use crate::db::DbConnection;
use crate::error::ApiError;

/// Typing and widget events, visited pages (`visited`, with its url) and the end of a chat.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = chat_events)]
pub struct ChatEvent {
    pub id: i64,
    pub kind: String,
    pub url: Option<String>,
    pub created_at: i64,
}

impl ChatEvent {
    pub fn record(
        conn: &mut DbConnection,
        tenant_id: i64,
        ticket_id: i64,
        session_id: i64,
        kind: &str,
        url: Option<&str>,
        at: i64,
    ) -> Result<(), ApiError> {
        diesel::insert_into(chat_events::table)
            .values((
                chat_events::tenant_id.eq(tenant_id),
                chat_events::ticket_id.eq(ticket_id),
                chat_events::session_id.eq(session_id),
                chat_events::kind.eq(kind),
                chat_events::url.eq(url),
                chat_events::created_at.eq(at),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The session's visited pages, in the order they were reported.
    pub fn page_trail(conn: &mut DbConnection, session_id: i64) -> Result<Vec<String>, ApiError> {
        let urls: Vec<Option<String>> = chat_events::table
            .filter(chat_events::session_id.eq(session_id))
            .filter(chat_events::kind.eq("visited"))
            .order(chat_events::id)
            .select(chat_events::url)
            .load(conn)?;
        Ok(urls.into_iter().flatten().collect())
    }

    pub fn of_ticket(conn: &mut DbConnection, ticket_id: i64) -> Result<Vec<ChatEvent>, ApiError> {
        Ok(crate::on_backend!(conn, |c| chat_events::table
            .filter(chat_events::ticket_id.eq(ticket_id))
            .order(chat_events::id)
            .select(ChatEvent::as_select())
            .load(c))?)
    }

    /// Erases the visited urls of these tickets' chats.
    pub fn purge_of_tickets(conn: &mut DbConnection, ticket_ids: &[i64]) -> Result<(), ApiError> {
        crate::on_backend!(conn, |c| diesel::update(
            chat_events::table.filter(chat_events::ticket_id.eq_any(ticket_ids))
        )
        .set(chat_events::url.eq(None::<String>))
        .execute(c))?;
        Ok(())
    }
}
