use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::notifications;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

pub const KIND_NEW_CHAT: &str = "new_chat";
pub const KIND_MISSED_CHAT: &str = "missed_chat";
pub const KIND_REPLY_FAILED: &str = "reply_failed";
pub const KIND_WAITING_TOO_LONG: &str = "waiting_too_long";
pub const KIND_NEW_EMAIL: &str = "new_email";
pub const KIND_CUSTOMER_REPLY: &str = "customer_reply";

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    #[serde(skip)]
    pub tenant_id: i64,
    #[serde(skip)]
    pub user_id: i64,
    /// `new_chat`, `waiting_too_long`, `missed_chat`, `reply_failed`, `new_email` (a mail
    /// opened a ticket) or `customer_reply` (to the assignee: the customer wrote again).
    pub kind: String,
    pub ticket_id: Option<i64>,
    pub text: String,
    pub is_read: bool,
    #[serde(serialize_with = "crate::domain::time::serialize_iso")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

impl Notification {
    /// One notification for each of these agents of the tenant.
    pub fn to_users(
        conn: &mut DbConnection,
        tenant_id: i64,
        users: &[i64],
        kind: &str,
        ticket_id: Option<i64>,
        text: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        if users.is_empty() {
            return Ok(());
        }
        let rows: Vec<_> = users
            .iter()
            .map(|user| {
                (
                    notifications::tenant_id.eq(tenant_id),
                    notifications::user_id.eq(*user),
                    notifications::kind.eq(kind),
                    notifications::ticket_id.eq(ticket_id),
                    notifications::text.eq(text),
                    notifications::is_read.eq(false),
                    notifications::created_at.eq(now),
                )
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(notifications::table)
            .values(&rows)
            .execute(c))?;
        Ok(())
    }

    pub fn to_agent(
        conn: &mut DbConnection,
        tenant_id: i64,
        user_id: i64,
        kind: &str,
        ticket_id: Option<i64>,
        text: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::insert_into(notifications::table)
            .values((
                notifications::tenant_id.eq(tenant_id),
                notifications::user_id.eq(user_id),
                notifications::kind.eq(kind),
                notifications::ticket_id.eq(ticket_id),
                notifications::text.eq(text),
                notifications::is_read.eq(false),
                notifications::created_at.eq(now),
            ))
            .execute(c))?;
        Ok(())
    }

    /// How many of the agent's notifications are unread.
    pub fn unread_count(
        conn: &mut DbConnection,
        tenant_id: i64,
        user_id: i64,
    ) -> Result<i64, ApiError> {
        Ok(on_backend!(conn, |c| notifications::table
            .filter(notifications::tenant_id.eq(tenant_id))
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::is_read.eq(false))
            .count()
            .get_result(c))?)
    }

    /// A page of the agent's notifications, newest first, and how many there are.
    pub fn page(
        conn: &mut DbConnection,
        tenant_id: i64,
        user_id: i64,
        unread_only: bool,
        start: i64,
        limit: i64,
    ) -> Result<(Vec<Notification>, i64), ApiError> {
        // Read ones pass unless only unread ones are asked for.
        let read_ok = !unread_only;
        let rows = on_backend!(conn, |c| notifications::table
            .filter(notifications::tenant_id.eq(tenant_id))
            .filter(notifications::user_id.eq(user_id))
            .filter(
                notifications::is_read
                    .eq(false)
                    .or(notifications::is_read.eq(read_ok)),
            )
            .order(notifications::id.desc())
            .offset(start)
            .limit(limit)
            .select(Notification::as_select())
            .load(c))?;
        let total = on_backend!(conn, |c| notifications::table
            .filter(notifications::tenant_id.eq(tenant_id))
            .filter(notifications::user_id.eq(user_id))
            .filter(
                notifications::is_read
                    .eq(false)
                    .or(notifications::is_read.eq(read_ok)),
            )
            .count()
            .get_result(c))?;
        Ok((rows, total))
    }

    /// Marks the agent's notifications with these ids read (or unread); returns how many.
    pub fn set_read(
        conn: &mut DbConnection,
        tenant_id: i64,
        user_id: i64,
        ids: &[i64],
        read: bool,
    ) -> Result<usize, ApiError> {
        Ok(on_backend!(conn, |c| diesel::update(
            notifications::table
                .filter(notifications::tenant_id.eq(tenant_id))
                .filter(notifications::user_id.eq(user_id))
                .filter(notifications::id.eq_any(ids))
        )
        .set(notifications::is_read.eq(read))
        .execute(c))?)
    }

    /// Erases the texts of the notifications about these tickets.
    pub fn purge_of_tickets(
        conn: &mut DbConnection,
        ticket_ids: &[i64],
        erased: &str,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(notifications::table.filter(
            notifications::ticket_id.eq_any(ticket_ids.iter().copied().map(Some))
        ))
        .set(notifications::text.eq(erased))
        .execute(c))?;
        Ok(())
    }
}
