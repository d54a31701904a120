use diesel::prelude::*;

use crate::db::schema::attachments;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = attachments)]
pub struct NewAttachment<'a> {
    pub tenant_id: i64,
    pub ticket_id: i64,
    pub session_id: Option<i64>,
    pub message_number: Option<i32>,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub created_at: i64,
    /// `customer` (from the chat server), `agent` (on a reply) or `note`.
    pub author: &'a str,
    pub message_id: Option<i64>,
}

/// A file on a ticket: from the chat server, or on an agent's reply or note.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: i64,
    pub tenant_id: i64,
    pub ticket_id: i64,
    pub message_number: Option<i32>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub created_at: i64,
    pub author: String,
    pub message_id: Option<i64>,
}

impl Attachment {
    pub fn create(conn: &mut DbConnection, new: &NewAttachment<'_>) -> Result<i64, ApiError> {
        let id = on_backend!(conn, |c| diesel::insert_into(attachments::table)
            .values(new)
            .returning(attachments::id)
            .get_result(c))?;
        Ok(id)
    }

    pub fn of_ticket(conn: &mut DbConnection, ticket_id: i64) -> Result<Vec<Attachment>, ApiError> {
        Ok(on_backend!(conn, |c| attachments::table
            .filter(attachments::ticket_id.eq(ticket_id))
            .order(attachments::id)
            .select(Attachment::as_select())
            .load(c))?)
    }

    /// The files attached to a message (an agent's reply), not purged, in order.
    pub fn of_message(
        conn: &mut DbConnection,
        message_id: i64,
    ) -> Result<Vec<Attachment>, ApiError> {
        Ok(on_backend!(conn, |c| attachments::table
            .filter(attachments::message_id.eq(Some(message_id)))
            .filter(attachments::purged_at.is_null())
            .order(attachments::id)
            .select(Attachment::as_select())
            .load(c))?)
    }

    /// An attachment of the tenant, on a ticket that is not deleted.
    pub fn find(conn: &mut DbConnection, tenant_id: i64, id: i64) -> Result<Attachment, ApiError> {
        use crate::db::schema::tickets;
        on_backend!(conn, |c| attachments::table
            .inner_join(tickets::table)
            .filter(attachments::id.eq(id))
            .filter(attachments::tenant_id.eq(tenant_id))
            .filter(tickets::deleted_at.is_null())
            .filter(attachments::purged_at.is_null())
            .select(Attachment::as_select())
            .first(c)
            .optional())?
        .ok_or_else(|| ApiError::Missing(format!("no file {id}")))
    }

    /// Erases the names and hashes of these tickets' files and marks them purged; the storage
    /// keys of those whose bytes are still to remove.
    pub fn purge_of_tickets(
        conn: &mut DbConnection,
        ticket_ids: &[i64],
        erased: &str,
        at: i64,
    ) -> Result<Vec<String>, ApiError> {
        let keys = on_backend!(conn, |c| attachments::table
            .filter(attachments::ticket_id.eq_any(ticket_ids))
            .filter(attachments::purged_at.is_null())
            .select(attachments::storage_key)
            .load(c))?;
        on_backend!(conn, |c| diesel::update(
            attachments::table.filter(attachments::ticket_id.eq_any(ticket_ids))
        )
        .set((
            attachments::file_name.eq(erased),
            attachments::sha256.eq(""),
            attachments::purged_at.eq(at),
        ))
        .execute(c))?;
        Ok(keys)
    }
}
