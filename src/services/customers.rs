//! Customers as agents manage them, and `purgeData`: a customer's personal data erased, their
//! tickets kept as anonymous shells for statistics.

use std::path::Path;

use diesel::prelude::*;

use crate::db::models::customer::Customer;
use crate::db::schema::{
    attachments, chat_events, deliveries, mails, messages, notifications, tickets,
};
use crate::db::{now_millis, Db, DbConnection};
use crate::error::ApiError;
use crate::on_backend;

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
/// attachments' bytes are removed from disk.
pub async fn purge(
    db: &Db,
    dir: &Path,
    tenant_id: i64,
    customer_id: i64,
) -> Result<PurgeOutcome, ApiError> {
    let (outcome, files) = db
        .write(move |conn| purge_rows(conn, tenant_id, customer_id))
        .await?;
    for key in &files {
        if let Err(e) = tokio::fs::remove_file(dir.join(key)).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                log::error!("purge of customer {customer_id}: file {key} not removed: {e}");
            }
        }
    }
    Ok(outcome)
}

fn purge_rows(
    conn: &mut DbConnection,
    tenant_id: i64,
    customer_id: i64,
) -> Result<(PurgeOutcome, Vec<String>), ApiError> {
    let customer = Customer::find_including_deleted(conn, tenant_id, customer_id)?;
    let at = now_millis();
    let ticket_ids: Vec<i64> = on_backend!(conn, |c| tickets::table
        .filter(tickets::tenant_id.eq(tenant_id))
        .filter(tickets::customer_id.eq(customer.id))
        .select(tickets::id)
        .load(c))?;
    let messages = on_backend!(conn, |c| diesel::update(
        messages::table.filter(messages::ticket_id.eq_any(&ticket_ids))
    )
    .set((
        messages::body.eq(PURGED),
        messages::url.eq(""),
        messages::additional_data.eq(""),
        messages::external_address_overwrite.eq(""),
    ))
    .execute(c))?;
    on_backend!(conn, |c| diesel::update(
        tickets::table.filter(tickets::id.eq_any(&ticket_ids))
    )
    .set((tickets::title.eq(PURGED), tickets::source_url.eq("")))
    .execute(c))?;
    on_backend!(conn, |c| diesel::update(
        chat_events::table.filter(chat_events::ticket_id.eq_any(&ticket_ids))
    )
    .set(chat_events::url.eq(None::<String>))
    .execute(c))?;
    on_backend!(conn, |c| diesel::update(
        deliveries::table
            .filter(deliveries::ticket_id.eq_any(&ticket_ids))
            .filter(deliveries::state.eq("queued"))
    )
    .set((
        deliveries::state.eq("failed"),
        deliveries::last_error.eq("cancelled: the customer's data was purged"),
    ))
    .execute(c))?;
    on_backend!(conn, |c| diesel::update(
        deliveries::table.filter(deliveries::ticket_id.eq_any(&ticket_ids))
    )
    .set(deliveries::body.eq("{}"))
    .execute(c))?;
    // Mails about these tickets: queued ones are never sent, and none keeps an address or
    // a text (agents' own notices included: their subjects carry the ticket's title).
    on_backend!(conn, |c| diesel::update(
        mails::table
            .filter(mails::ticket_id.eq_any(ticket_ids.iter().copied().map(Some)))
            .filter(mails::state.eq("queued"))
    )
    .set((
        mails::state.eq("failed"),
        mails::last_error.eq("cancelled: the customer's data was purged"),
    ))
    .execute(c))?;
    on_backend!(conn, |c| diesel::update(mails::table.filter(
        mails::ticket_id.eq_any(ticket_ids.iter().copied().map(Some))
    ))
    .set((
        mails::to_address.eq(PURGED),
        mails::subject.eq(PURGED),
        mails::text_body.eq(PURGED),
        mails::html_body.eq(PURGED),
    ))
    .execute(c))?;
    on_backend!(conn, |c| diesel::update(notifications::table.filter(
        notifications::ticket_id.eq_any(ticket_ids.iter().copied().map(Some))
    ))
    .set(notifications::text.eq(PURGED))
    .execute(c))?;
    let files: Vec<String> = on_backend!(conn, |c| attachments::table
        .filter(attachments::ticket_id.eq_any(&ticket_ids))
        .filter(attachments::purged_at.is_null())
        .select(attachments::storage_key)
        .load(c))?;
    on_backend!(conn, |c| diesel::update(
        attachments::table.filter(attachments::ticket_id.eq_any(&ticket_ids))
    )
    .set((
        attachments::file_name.eq(PURGED),
        attachments::sha256.eq(""),
        attachments::purged_at.eq(at),
    ))
    .execute(c))?;
    Customer::erase(conn, customer.id, at)?;
    let outcome = PurgeOutcome {
        customer_id: customer.id,
        tickets: ticket_ids.len(),
        messages,
        files: files.len(),
    };
    Ok((outcome, files))
}
