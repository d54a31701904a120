use diesel::prelude::*;

use crate::db::schema::customers;
use crate::db::{now_millis, DbConnection};
use crate::error::ApiError;
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customers)]
pub struct Customer {
    pub id: i64,
    pub tenant_id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// What a chat tells about its customer; every part optional.
#[derive(Debug, Clone, Default)]
pub struct ContactDetails {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl ContactDetails {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.email.is_none() && self.phone.is_none()
    }
}

impl Customer {
    pub fn find_by_email(
        conn: &mut DbConnection,
        tenant_id: i64,
        email: &str,
    ) -> Result<Option<Customer>, ApiError> {
        Ok(customers::table
            .filter(customers::tenant_id.eq(tenant_id))
            .filter(customers::email.eq(email))
            .select(Customer::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn find_by_phone(
        conn: &mut DbConnection,
        tenant_id: i64,
        phone: &str,
    ) -> Result<Option<Customer>, ApiError> {
        Ok(customers::table
            .filter(customers::tenant_id.eq(tenant_id))
            .filter(customers::phone.eq(phone))
            .select(Customer::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> Result<Customer, ApiError> {
        Ok(customers::table
            .find(id)
            .select(Customer::as_select())
            .first(conn)?)
    }

    /// Inserts a customer. A concurrent insert of the same e-mail or phone surfaces as
    /// `ApiError::Conflict`, and the whole transaction is retried and finds that customer.
    pub fn create(
        conn: &mut DbConnection,
        tenant_id: i64,
        contact: &ContactDetails,
    ) -> Result<i64, ApiError> {
        let now = now_millis();
        let row = (
            customers::tenant_id.eq(tenant_id),
            customers::name.eq(&contact.name),
            customers::email.eq(&contact.email),
            customers::phone.eq(&contact.phone),
            customers::created_at.eq(now),
            customers::updated_at.eq(now),
        );
        let id = on_backend!(conn, |c| diesel::insert_into(customers::table)
            .values(row)
            .returning(customers::id)
            .get_result(c))?;
        Ok(id)
    }

    /// Fills in or updates what the chat said: a name replaces the old one; an e-mail or phone
    /// is taken unless another customer of the tenant already has it (no silent merges).
    pub fn apply_contact(
        &self,
        conn: &mut DbConnection,
        contact: &ContactDetails,
    ) -> Result<(), ApiError> {
        let name = contact.name.clone().or_else(|| self.name.clone());
        let mut email = self.email.clone();
        if let Some(new) = &contact.email {
            if self.email.as_ref() != Some(new)
                && Customer::find_by_email(conn, self.tenant_id, new)?.is_none()
            {
                email = Some(new.clone());
            }
        }
        let mut phone = self.phone.clone();
        if let Some(new) = &contact.phone {
            if self.phone.as_ref() != Some(new)
                && Customer::find_by_phone(conn, self.tenant_id, new)?.is_none()
            {
                phone = Some(new.clone());
            }
        }
        if name == self.name && email == self.email && phone == self.phone {
            return Ok(());
        }
        diesel::update(customers::table.find(self.id))
            .set((
                customers::name.eq(name),
                customers::email.eq(email),
                customers::phone.eq(phone),
                customers::updated_at.eq(now_millis()),
            ))
            .execute(conn)?;
        Ok(())
    }
}
