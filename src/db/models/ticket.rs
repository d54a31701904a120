use diesel::prelude::*;

use crate::db::schema::tickets;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = tickets)]
pub struct NewTicket<'a> {
    pub tenant_id: i64,
    pub customer_id: i64,
    pub title: &'a str,
    pub status: &'a str,
    pub priority: &'a str,
    pub channel_id: i32,
    pub direction: &'a str,
    pub source_url: &'a str,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_update_customer: Option<i64>,
}

pub struct Ticket;

impl Ticket {
    pub fn create(conn: &mut DbConnection, new: &NewTicket<'_>) -> Result<i64, ApiError> {
        let id = on_backend!(conn, |c| diesel::insert_into(tickets::table)
            .values(new)
            .returning(tickets::id)
            .get_result(c))?;
        Ok(id)
    }

    /// Marks the ticket updated by its customer (sorts it to the top of agents' lists).
    pub fn touch_by_customer(conn: &mut DbConnection, id: i64, at: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::updated_at.eq(at),
                tickets::last_update_customer.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Marks the ticket updated by an agent.
    pub fn touch_by_agent(conn: &mut DbConnection, id: i64, at: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at)
            ))
            .execute(c))?;
        Ok(())
    }

    pub fn customer_id(conn: &mut DbConnection, id: i64) -> Result<i64, ApiError> {
        Ok(tickets::table
            .find(id)
            .select(tickets::customer_id)
            .first(conn)?)
    }
}

/// A ticket as agents see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct TicketRow {
    pub id: i64,
    pub tenant_id: i64,
    pub customer_id: i64,
    pub title: String,
    pub status: String,
    pub priority: String,
    pub channel_id: i32,
    pub direction: String,
    pub assigned_user_id: Option<i64>,
    pub source_url: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_update_customer: Option<i64>,
    pub last_update_agent: Option<i64>,
    pub closed_at: Option<i64>,
}

/// What a ticket list is narrowed to; every field optional.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<String>,
    pub assigned_user_id: Option<i64>,
    pub channel_id: Option<i32>,
}

impl TicketRow {
    /// A live (not deleted) ticket of the tenant.
    pub fn find(conn: &mut DbConnection, tenant_id: i64, id: i64) -> Result<TicketRow, ApiError> {
        on_backend!(conn, |c| tickets::table
            .filter(tickets::id.eq(id))
            .filter(tickets::tenant_id.eq(tenant_id))
            .filter(tickets::deleted_at.is_null())
            .select(TicketRow::as_select())
            .first(c)
            .optional())?
        .ok_or_else(|| ApiError::Missing(format!("no ticket {id}")))
    }

    /// One page of the tenant's live tickets, newest update first, and how many there are.
    pub fn list(
        conn: &mut DbConnection,
        tenant_id: i64,
        filter: &TicketFilter,
        start: i64,
        limit: i64,
    ) -> Result<(Vec<TicketRow>, i64), ApiError> {
        macro_rules! filtered {
            () => {{
                let mut q = tickets::table
                    .filter(tickets::tenant_id.eq(tenant_id))
                    .filter(tickets::deleted_at.is_null())
                    .into_boxed();
                if let Some(status) = &filter.status {
                    q = q.filter(tickets::status.eq(status.clone()));
                }
                if let Some(user) = filter.assigned_user_id {
                    q = q.filter(tickets::assigned_user_id.eq(user));
                }
                if let Some(channel) = filter.channel_id {
                    q = q.filter(tickets::channel_id.eq(channel));
                }
                q
            }};
        }
        let rows = on_backend!(conn, |c| filtered!()
            .order((tickets::updated_at.desc(), tickets::id.desc()))
            .offset(start)
            .limit(limit)
            .select(TicketRow::as_select())
            .load(c))?;
        let total: i64 = on_backend!(conn, |c| filtered!().count().get_result(c))?;
        Ok((rows, total))
    }

    pub fn set_field_status(
        conn: &mut DbConnection,
        id: i64,
        status: &str,
        closed_at: Option<i64>,
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::status.eq(status),
                tickets::closed_at.eq(closed_at),
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    pub fn set_priority(
        conn: &mut DbConnection,
        id: i64,
        priority: &str,
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::priority.eq(priority),
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    pub fn set_title(
        conn: &mut DbConnection,
        id: i64,
        title: &str,
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::title.eq(title),
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    pub fn set_assignee(
        conn: &mut DbConnection,
        id: i64,
        user_id: Option<i64>,
        at: i64,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set((
                tickets::assigned_user_id.eq(user_id),
                tickets::updated_at.eq(at),
                tickets::last_update_agent.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Soft delete: gone from lists, kept for audit.
    pub fn soft_delete(conn: &mut DbConnection, id: i64, at: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(tickets::table.find(id))
            .set(tickets::deleted_at.eq(at))
            .execute(c))?;
        Ok(())
    }
}
