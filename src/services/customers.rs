//! Customers as agents manage them, and `purgeData`: a customer's personal data erased, their
//! tickets kept as anonymous shells for statistics.

use std::path::Path;

use crate::db::models::attachment::Attachment;
use crate::db::models::chat_event::ChatEvent;
use crate::db::models::chat_session::ChatSession;
use crate::db::models::customer::Customer;
use crate::db::models::customer_external_id::CustomerExternalId;
use crate::db::models::delivery::Delivery;
use crate::db::models::inbound_mail::InboundMail;
use crate::db::models::mail::Mail;
use crate::db::models::message::Message;
use crate::db::models::notification::Notification;
use crate::db::models::stream_event::StreamEvent;
use crate::db::models::ticket::Ticket;
use crate::db::models::ticket_event::TicketEvent;
use crate::db::{now_millis, Db, DbConnection};
use crate::error::ApiError;
use crate::services::events::Events;

const PURGED: &str = "[purged]";
const CONTACT_TAKEN: &str = "another customer has this e-mail or phone";

/// What `PUT` changes; `None` leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct CustomerChanges {
    pub name: Option<String>,
    /// Lower case.
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// One page of the tenant's customers (not deleted), oldest first; `query` matches name,
/// e-mail or phone.
pub async fn list(
    db: &Db,
    tenant_id: i64,
    query: Option<String>,
    start: i64,
    limit: i64,
) -> Result<(Vec<Customer>, i64), ApiError> {
    db.read(move |conn| Customer::list(conn, tenant_id, query.as_deref(), start, limit))
        .await
}

pub async fn get(db: &Db, tenant_id: i64, id: i64) -> Result<Customer, ApiError> {
    db.read(move |conn| Customer::find(conn, tenant_id, id))
        .await
}

/// Changes what was sent; an e-mail or phone another customer has is `409`.
pub async fn update(
    db: &Db,
    tenant_id: i64,
    id: i64,
    changes: CustomerChanges,
) -> Result<Customer, ApiError> {
    db.write(move |conn| {
        let current = Customer::find(conn, tenant_id, id)?;
        // Name the value that is another's; the index still refuses what a race lets by.
        let another = |found: Option<Customer>| found.is_some_and(|c| c.id != id);
        let taken = |field| ApiError::UniqueViolation(String::new()).taken(field, CONTACT_TAKEN);
        if let Some(email) = &changes.email {
            if another(Customer::find_by_email(conn, tenant_id, email)?) {
                return Err(taken("email"));
            }
        }
        if let Some(phone) = &changes.phone {
            if another(Customer::find_by_phone(conn, tenant_id, phone)?) {
                return Err(taken("phone"));
            }
        }
        let field = if changes.email.is_some() {
            "email"
        } else {
            "phone"
        };
        Customer::update(
            conn,
            id,
            changes.name.as_deref().or(current.name.as_deref()),
            changes.email.as_deref().or(current.email.as_deref()),
            changes.phone.as_deref().or(current.phone.as_deref()),
        )
        .map_err(|e| e.taken(field, CONTACT_TAKEN))?;
        Customer::find(conn, tenant_id, id)
    })
    .await
}

/// Gone from lists and lookups; the customer's tickets stay.
pub async fn delete(db: &Db, tenant_id: i64, id: i64) -> Result<(), ApiError> {
    db.write(move |conn| {
        Customer::find(conn, tenant_id, id)?;
        Customer::soft_delete(conn, id)
    })
    .await
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PurgeOutcome {
    #[serde(rename = "customerID")]
    pub customer_id: i64,
    pub tickets: usize,
    pub messages: usize,
    pub files: usize,
}

/// Erases in one transaction: the customer's name, e-mail and phone; the texts of every
/// message on their tickets (and of their pending deliveries, which are cancelled); those
/// tickets' titles and source urls; visited urls; attachments' names and hashes. Then the
/// attachments' bytes are removed from disk, and the events of those tickets kept for agents'
/// streams are forgotten.
pub async fn purge(
    db: &Db,
    events: &Events,
    dir: &Path,
    tenant_id: i64,
    customer_id: i64,
) -> Result<PurgeOutcome, ApiError> {
    let purged = db
        .write(move |conn| purge_rows(conn, tenant_id, customer_id))
        .await?;
    Ok(purged.clean_up(events, dir, tenant_id).await)
}

/// `purge`, if no ticket of the customer was touched since `before` (the retention job's
/// candidates are read first: the customer may have come back since); `None` if one was.
pub async fn purge_if_quiet(
    db: &Db,
    events: &Events,
    dir: &Path,
    tenant_id: i64,
    customer_id: i64,
    before: i64,
) -> Result<Option<PurgeOutcome>, ApiError> {
    let purged = db
        .write(move |conn| {
            if Ticket::customer_active_since(conn, customer_id, before)? {
                return Ok(None);
            }
            purge_rows(conn, tenant_id, customer_id).map(Some)
        })
        .await?;
    let Some(purged) = purged else {
        return Ok(None);
    };
    Ok(Some(purged.clean_up(events, dir, tenant_id).await))
}

/// What a purge committed, and what it leaves to do outside its transaction.
struct Purged {
    outcome: PurgeOutcome,
    /// The attachments' keys, to remove from disk.
    files: Vec<String>,
    tickets: Vec<i64>,
}

impl Purged {
    async fn clean_up(self, events: &Events, dir: &Path, tenant_id: i64) -> PurgeOutcome {
        remove_files(dir, self.outcome.customer_id, &self.files).await;
        events.forget_tickets(tenant_id, self.tickets).await;
        self.outcome
    }
}

async fn remove_files(dir: &Path, customer_id: i64, files: &[String]) {
    for key in files {
        if let Err(e) = tokio::fs::remove_file(dir.join(key)).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                log::error!("purge of customer {customer_id}: file {key} not removed: {e}");
            }
        }
    }
}

fn purge_rows(
    conn: &mut DbConnection,
    tenant_id: i64,
    customer_id: i64,
) -> Result<Purged, ApiError> {
    const CANCELLED: &str = "cancelled: the customer's data was purged";
    let customer = Customer::find_including_deleted(conn, tenant_id, customer_id)?;
    let at = now_millis();
    let tickets = Ticket::ids_of_customer(conn, tenant_id, customer.id)?;
    let messages = Message::purge_of_tickets(conn, &tickets, PURGED)?;
    Ticket::purge(conn, &tickets, PURGED)?;
    TicketEvent::purge_of_tickets(conn, &tickets, PURGED)?;
    ChatSession::purge_of_tickets(conn, &tickets)?;
    ChatEvent::purge_of_tickets(conn, &tickets)?;
    Delivery::purge_of_tickets(conn, &tickets, CANCELLED)?;
    // Agents' own notices too: their subjects carry the ticket's title.
    Mail::purge_of_tickets(conn, &tickets, PURGED, CANCELLED)?;
    Notification::purge_of_tickets(conn, &tickets, PURGED)?;
    let files = Attachment::purge_of_tickets(conn, &tickets, PURGED, at)?;
    InboundMail::purge_of_tickets(conn, &tickets)?;
    StreamEvent::purge_of_tickets(conn, &tickets)?;
    CustomerExternalId::purge_of_customer(conn, customer.id)?;
    Customer::erase(conn, customer.id, at)?;
    let outcome = PurgeOutcome {
        customer_id: customer.id,
        tickets: tickets.len(),
        messages,
        files: files.len(),
    };
    Ok(Purged {
        outcome,
        files,
        tickets,
    })
}
