use diesel::prelude::*;

use crate::db::schema::customers;
use crate::db::statement::{last_inserted, Bind};
use crate::db::{now_millis, DbConnection};
use crate::error::ApiError;
use crate::on_backend;
use crate::statement;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);

/// A customer: whoever wrote in, found again by e-mail or phone. As the agent API shows it:
/// `id`, `name`, `email`, `phone`.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = customers)]
pub struct Customer {
    pub id: i64,
    #[serde(skip)]
    pub tenant_id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[serde(skip)]
    pub created_at: i64,
    #[serde(skip)]
    pub updated_at: i64,
    #[serde(skip)]
    pub deleted_at: Option<i64>,
    #[serde(skip)]
    pub purged_at: Option<i64>,
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

    /// Inserts a customer. A concurrent insert of the same e-mail or phone surfaces as
    /// `ApiError::UniqueViolation`.
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
        Ok(match conn {
            DbConnection::Pg(c) => diesel::insert_into(customers::table)
                .values(row)
                .returning(customers::id)
                .get_result(c)?,
            // Not RETURNING, which SQLite answers from a temporary table made for each run.
            DbConnection::Sqlite(c) => {
                diesel::insert_into(customers::table)
                    .values(row)
                    .execute(c)?;
                last_inserted(c)?
            }
        })
    }

    /// Inserts `count` customers who have said nothing of themselves yet (chats' visitors),
    /// in one statement (Postgres); their ids.
    pub fn create_unknown(
        conn: &mut DbConnection,
        tenant_id: i64,
        count: usize,
    ) -> Result<Vec<i64>, ApiError> {
        let DbConnection::Pg(c) = conn else {
            return Err(ApiError::Internal(
                "multi-row customer inserts are for Postgres".into(),
            ));
        };
        use diesel::sql_types::BigInt;
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let now = now_millis();
        let ids: Vec<Id> = statement!(
            "INSERT INTO customers (tenant_id, created_at, updated_at) \
             SELECT ?, ?, ? FROM generate_series(1, ?) RETURNING id",
        )
        .bind(Bind::BigInt(tenant_id))
        .bind(Bind::BigInt(now))
        .bind(Bind::BigInt(now))
        .bind(Bind::Integer(i32::try_from(count).unwrap_or(i32::MAX)))
        .load(c)?;
        Ok(ids.into_iter().map(|row| row.id).collect())
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
    /// A customer of the tenant that is not deleted.
    pub fn find(conn: &mut DbConnection, tenant_id: i64, id: i64) -> Result<Customer, ApiError> {
        on_backend!(conn, |c| customers::table
            .filter(customers::id.eq(id))
            .filter(customers::tenant_id.eq(tenant_id))
            .filter(customers::deleted_at.is_null())
            .select(Customer::as_select())
            .first(c)
            .optional())?
        .ok_or_else(|| ApiError::Missing(format!("no customer {id}")))
    }

    /// A customer of the tenant, deleted or not: a ticket's customer (tickets outlive the
    /// deletion), or one to purge.
    pub fn find_including_deleted(
        conn: &mut DbConnection,
        tenant_id: i64,
        id: i64,
    ) -> Result<Customer, ApiError> {
        on_backend!(conn, |c| customers::table
            .filter(customers::id.eq(id))
            .filter(customers::tenant_id.eq(tenant_id))
            .select(Customer::as_select())
            .first(c)
            .optional())?
        .ok_or_else(|| ApiError::Missing(format!("no customer {id}")))
    }

    /// One page of the tenant's customers, oldest first; `query` matches name, e-mail or phone.
    pub fn list(
        conn: &mut DbConnection,
        tenant_id: i64,
        query: Option<&str>,
        start: i64,
        limit: i64,
    ) -> Result<(Vec<Customer>, i64), ApiError> {
        macro_rules! filtered {
            () => {{
                let mut q = customers::table
                    .filter(customers::tenant_id.eq(tenant_id))
                    .filter(customers::deleted_at.is_null())
                    .into_boxed();
                if let Some(text) = query {
                    let like = format!("%{}%", text.to_lowercase());
                    q = q.filter(
                        customers::email
                            .like(like.clone())
                            .or(customers::phone.like(like.clone()))
                            .or(lower(customers::name).like(like.clone())),
                    );
                }
                q
            }};
        }
        let rows = on_backend!(conn, |c| filtered!()
            .order(customers::id)
            .offset(start)
            .limit(limit)
            .select(Customer::as_select())
            .load(c))?;
        let total = on_backend!(conn, |c| filtered!().count().get_result(c))?;
        Ok((rows, total))
    }

    pub fn update(
        conn: &mut DbConnection,
        id: i64,
        name: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(customers::table.find(id))
            .set((
                customers::name.eq(name),
                customers::email.eq(email),
                customers::phone.eq(phone),
                customers::updated_at.eq(now_millis()),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Gone from lists; its tickets stay.
    pub fn soft_delete(conn: &mut DbConnection, id: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(customers::table.find(id))
            .set(customers::deleted_at.eq(now_millis()))
            .execute(c))?;
        Ok(())
    }

    /// Erases the personal data; the anonymous row stays for the tickets' statistics.
    pub fn erase(conn: &mut DbConnection, id: i64, at: i64) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(customers::table.find(id))
            .set((
                customers::name.eq(None::<String>),
                customers::email.eq(None::<String>),
                customers::phone.eq(None::<String>),
                customers::purged_at.eq(at),
                customers::updated_at.eq(at),
            ))
            .execute(c))?;
        Ok(())
    }
}
