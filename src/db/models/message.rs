use diesel::prelude::*;

use crate::db::schema::messages;
use crate::db::statement::{column, last_inserted, Bind, Id, Statement};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;
use crate::statement;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = messages)]
pub struct NewMessage<'a> {
    pub tenant_id: i64,
    pub ticket_id: i64,
    pub session_id: Option<i64>,
    pub author: &'a str,
    pub body: &'a str,
    pub message_number: i32,
    pub url: &'a str,
    pub additional_data: &'a str,
    pub used_predefined_user_input: bool,
    pub external_address_overwrite: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub retry_key: Option<&'a str>,
    pub created_at: i64,
    /// The agent who wrote it; `None` for the customer's messages.
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = messages)]
pub struct Message {
    pub id: i64,
    pub ticket_id: i64,
    pub session_id: Option<i64>,
    pub author: String,
    pub body: String,
    pub message_number: i32,
    pub url: String,
    pub additional_data: String,
    pub used_predefined_user_input: bool,
    pub external_address_overwrite: String,
    pub created_at: i64,
    pub user_id: Option<i64>,
}

/// A stored message's id, and what tells it from the others of a multi-row insert.
#[derive(Debug, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = messages)]
pub struct StoredKeys {
    pub id: i64,
    pub session_id: Option<i64>,
    pub idempotency_key: Option<String>,
    pub retry_key: Option<String>,
}

pub struct Inserted {
    pub id: i64,
    pub duplicate: bool,
}

impl Message {
    /// Stores the message unless it repeats one of its session (same idempotency key, or same
    /// retry key): then that one's id comes back with `duplicate`, and nothing is stored twice.
    pub fn insert_once(
        conn: &mut DbConnection,
        new: &NewMessage<'_>,
    ) -> Result<Inserted, ApiError> {
        // Not the DSL's insert: diesel prepares that anew on every run (optional columns).
        let id = match conn {
            DbConnection::Pg(c) => message_values(
                statement!(
                    "INSERT INTO messages (tenant_id, ticket_id, session_id, author, body, \
                     message_number, url, additional_data, used_predefined_user_input, \
                     external_address_overwrite, idempotency_key, retry_key, created_at, \
                     user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT DO NOTHING RETURNING id"
                ),
                new,
            )
            .get_result::<Id>(c)
            .optional()?
            .map(|Id { id }| id),
            // SQLite answers RETURNING from a temporary table it makes for each run: the
            // row's id is the connection's last inserted one instead.
            DbConnection::Sqlite(c) => {
                let inserted = message_values(
                    statement!(
                        "INSERT INTO messages (tenant_id, ticket_id, session_id, author, body, \
                         message_number, url, additional_data, used_predefined_user_input, \
                         external_address_overwrite, idempotency_key, retry_key, created_at, \
                         user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT DO NOTHING"
                    ),
                    new,
                )
                .execute(c)?;
                match inserted {
                    0 => None,
                    _ => Some(last_inserted(c)?),
                }
            }
        };
        if let Some(id) = id {
            return Ok(Inserted {
                id,
                duplicate: false,
            });
        }
        let same_key = messages::idempotency_key
            .eq(new.idempotency_key)
            .and(messages::idempotency_key.is_not_null());
        let same_retry = messages::retry_key
            .eq(new.retry_key)
            .and(messages::retry_key.is_not_null());
        let id = on_backend!(conn, |c| messages::table
            .filter(messages::session_id.eq(new.session_id))
            .filter(same_key.or(same_retry))
            .select(messages::id)
            .order(messages::id)
            .first(c))?;
        Ok(Inserted {
            id,
            duplicate: true,
        })
    }

    /// Stores many messages in one statement (Postgres), skipping any that repeats one of its
    /// session (same idempotency or retry key); what identifies those stored. The rows go as
    /// one array a column, so the statement is the same whatever their number: prepared
    /// once, never planned again.
    pub fn insert_many(
        conn: &mut DbConnection,
        rows: &[NewMessage<'_>],
    ) -> Result<Vec<StoredKeys>, ApiError> {
        let DbConnection::Pg(c) = conn else {
            return Err(ApiError::Internal(
                "multi-row message inserts are for Postgres".into(),
            ));
        };
        Ok(statement!(
            "INSERT INTO messages (tenant_id, ticket_id, session_id, author, body, \
             message_number, url, additional_data, used_predefined_user_input, \
             external_address_overwrite, idempotency_key, retry_key, created_at, user_id) \
             SELECT * FROM unnest(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT DO NOTHING \
             RETURNING id, session_id, idempotency_key, retry_key",
        )
        .bind(Bind::BigInts(column(rows, |r| r.tenant_id)))
        .bind(Bind::BigInts(column(rows, |r| r.ticket_id)))
        .bind(Bind::NullableBigInts(column(rows, |r| r.session_id)))
        .bind(Bind::Texts(column(rows, |r| r.author)))
        .bind(Bind::Texts(column(rows, |r| r.body)))
        .bind(Bind::Integers(column(rows, |r| r.message_number)))
        .bind(Bind::Texts(column(rows, |r| r.url)))
        .bind(Bind::Texts(column(rows, |r| r.additional_data)))
        .bind(Bind::Bools(column(rows, |r| r.used_predefined_user_input)))
        .bind(Bind::Texts(column(rows, |r| r.external_address_overwrite)))
        .bind(Bind::NullableTexts(column(rows, |r| r.idempotency_key)))
        .bind(Bind::NullableTexts(column(rows, |r| r.retry_key)))
        .bind(Bind::BigInts(column(rows, |r| r.created_at)))
        .bind(Bind::NullableBigInts(column(rows, |r| r.user_id)))
        .load(c)?)
    }

    /// The agent who wrote this message, if an agent did.
    pub fn author_agent(conn: &mut DbConnection, id: i64) -> Result<Option<i64>, ApiError> {
        Ok(on_backend!(conn, |c| messages::table
            .find(id)
            .select(messages::user_id)
            .first::<Option<i64>>(c)
            .optional())?
        .flatten())
    }

    pub fn of_ticket(conn: &mut DbConnection, ticket_id: i64) -> Result<Vec<Message>, ApiError> {
        Ok(messages::table
            .filter(messages::ticket_id.eq(ticket_id))
            .order(messages::id)
            .select(Message::as_select())
            .load(conn)?)
    }

    /// Erases the texts of every message on these tickets, and what was derived from them;
    /// how many.
    pub fn purge_of_tickets(
        conn: &mut DbConnection,
        ticket_ids: &[i64],
        erased: &str,
    ) -> Result<usize, ApiError> {
        Ok(on_backend!(conn, |c| diesel::update(
            messages::table.filter(messages::ticket_id.eq_any(ticket_ids))
        )
        .set((
            messages::body.eq(erased),
            messages::url.eq(""),
            messages::additional_data.eq(""),
            messages::external_address_overwrite.eq(""),
            // A retry key is a hash of the text; an idempotency key is whatever was sent.
            messages::retry_key.eq(None::<String>),
            messages::idempotency_key.eq(None::<String>),
        ))
        .execute(c))?)
    }
}

/// A message's values, in the order of the single-row inserts' columns.
fn message_values<'a, Q>(statement: Statement<'a, Q>, new: &'a NewMessage<'_>) -> Statement<'a, Q> {
    statement
        .bind(Bind::BigInt(new.tenant_id))
        .bind(Bind::BigInt(new.ticket_id))
        .bind(Bind::NullableBigInt(new.session_id))
        .bind(Bind::Text(new.author))
        .bind(Bind::Text(new.body))
        .bind(Bind::Integer(new.message_number))
        .bind(Bind::Text(new.url))
        .bind(Bind::Text(new.additional_data))
        .bind(Bind::Bool(new.used_predefined_user_input))
        .bind(Bind::Text(new.external_address_overwrite))
        .bind(Bind::NullableText(new.idempotency_key))
        .bind(Bind::NullableText(new.retry_key))
        .bind(Bind::BigInt(new.created_at))
        .bind(Bind::NullableBigInt(new.user_id))
}
