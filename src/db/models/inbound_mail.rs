use diesel::prelude::*;

use crate::db::schema::inbound_mails;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

/// What a received mail was: a customer's `message`, an `auto_reply`, a `bounce` (a delivery
/// status notification), or one of the instance's `own` mails come back (dropped).
pub const KIND_MESSAGE: &str = "message";
pub const KIND_AUTO_REPLY: &str = "auto_reply";
pub const KIND_BOUNCE: &str = "bounce";
pub const KIND_OWN: &str = "own";

/// A mail received, by its `Message-ID`: what makes receiving it twice change nothing.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inbound_mails)]
pub struct InboundMail {
    pub id: i64,
    pub kind: String,
    pub ticket_id: Option<i64>,
    pub message_id: Option<i64>,
}

impl InboundMail {
    pub fn find(
        conn: &mut DbConnection,
        tenant_id: i64,
        message_id_header: &str,
    ) -> Result<Option<InboundMail>, ApiError> {
        Ok(on_backend!(conn, |c| inbound_mails::table
            .filter(inbound_mails::tenant_id.eq(tenant_id))
            .filter(inbound_mails::message_id_header.eq(message_id_header))
            .select(InboundMail::as_select())
            .first(c)
            .optional())?)
    }

    /// Records the mail; `false` if a mail with this `Message-ID` was recorded first (by a
    /// concurrent delivery of the same mail: the caller's transaction then changes nothing).
    pub fn record(
        conn: &mut DbConnection,
        tenant_id: i64,
        message_id_header: &str,
        kind: &str,
        ticket_id: Option<i64>,
        message_id: Option<i64>,
        at: i64,
    ) -> Result<bool, ApiError> {
        let row = (
            inbound_mails::tenant_id.eq(tenant_id),
            inbound_mails::message_id_header.eq(message_id_header),
            inbound_mails::kind.eq(kind),
            inbound_mails::ticket_id.eq(ticket_id),
            inbound_mails::message_id.eq(message_id),
            inbound_mails::received_at.eq(at),
        );
        let inserted = on_backend!(conn, |c| diesel::insert_into(inbound_mails::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c))?;
        Ok(inserted == 1)
    }

    /// The ticket of the tenant's received mail with this `Message-ID`.
    pub fn ticket_of(
        conn: &mut DbConnection,
        tenant_id: i64,
        message_id_header: &str,
    ) -> Result<Option<i64>, ApiError> {
        Ok(Self::find(conn, tenant_id, message_id_header)?.and_then(|m| m.ticket_id))
    }

    /// A purge forgets which mails the tickets received: their ids name the customer's
    /// mailbox and mail program.
    pub fn purge_of_tickets(conn: &mut DbConnection, ticket_ids: &[i64]) -> Result<(), ApiError> {
        let of_tickets = inbound_mails::ticket_id.eq_any(ticket_ids.iter().copied().map(Some));
        on_backend!(conn, |c| diesel::delete(
            inbound_mails::table.filter(of_tickets)
        )
        .execute(c))?;
        Ok(())
    }
}
