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

    pub fn customer_id(conn: &mut DbConnection, id: i64) -> Result<i64, ApiError> {
        Ok(tickets::table
            .find(id)
            .select(tickets::customer_id)
            .first(conn)?)
    }
}
