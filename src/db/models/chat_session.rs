use diesel::prelude::*;

use crate::db::models::ticket::Ticket;
use crate::db::schema::{chat_accounts, chat_sessions, tickets};
use crate::db::statement::{column, last_inserted, Bind};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;
use crate::statement;

/// The `chat_server` of JivoChat's chats (their ids are `{widget_id}:{chat_id}`). The
/// Omnidesk API's `chatServer` pattern has no `_`, so no chat server can take it.
pub const JIVOCHAT_SERVER: &str = "jivochat_webhook";
pub const STATE_WAITING: &str = "waiting";
pub const STATE_ACTIVE: &str = "active";
pub const STATE_ENDED: &str = "ended";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = chat_sessions)]
pub struct ChatSession {
    pub id: i64,
    pub tenant_id: i64,
    pub chat_account_id: i64,
    pub ticket_id: i64,
    pub chat_server: String,
    pub chat_session_id: String,
    pub state: String,
    pub queue_entered_at: i64,
    pub initial_estimated_wait: i32,
    pub picked_up_at: Option<i64>,
    pub ended_at: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = chat_sessions)]
pub struct NewChatSession<'a> {
    pub tenant_id: i64,
    pub chat_account_id: i64,
    pub ticket_id: i64,
    pub chat_server: &'a str,
    pub chat_session_id: &'a str,
    pub state: &'a str,
    pub queue_entered_at: i64,
    pub initial_estimated_wait: i32,
    pub typing: bool,
    pub created_at: i64,
}

/// A chat's session as its later messages see it (`ChatSession::open_chat_of`).
#[derive(Debug, QueryableByName)]
pub struct OpenChat {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub session_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub ticket_id: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub ticket_deleted: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub account_known: bool,
}

/// Moves the chat account's count of waiting chats, in the caller's transaction: every change
/// of a session into or out of `waiting` goes through here.
fn count_waiting_by(
    conn: &mut DbConnection,
    chat_account_id: i64,
    delta: i64,
) -> Result<(), ApiError> {
    on_backend!(conn, |c| diesel::update(
        chat_accounts::table.find(chat_account_id)
    )
    .set(chat_accounts::waiting_chats.eq(chat_accounts::waiting_chats + delta))
    .execute(c))?;
    Ok(())
}

impl ChatSession {
    /// The session keyed by (tenant, chatServer, chatSessionID).
    pub fn find(
        conn: &mut DbConnection,
        tenant_id: i64,
        chat_server: &str,
        chat_session_id: &str,
    ) -> Result<Option<ChatSession>, ApiError> {
        Ok(on_backend!(conn, |c| chat_sessions::table
            .filter(chat_sessions::tenant_id.eq(tenant_id))
            .filter(chat_sessions::chat_server.eq(chat_server))
            .filter(chat_sessions::chat_session_id.eq(chat_session_id))
            .select(ChatSession::as_select())
            .first(c)
            .optional())?)
    }

    /// The session of (tenant, chat server, chat server's id), and whether its ticket was
    /// deleted: one lookup where a message needs both.
    pub fn find_with_ticket_deleted(
        conn: &mut DbConnection,
        tenant_id: i64,
        chat_server: &str,
        chat_session_id: &str,
    ) -> Result<Option<(ChatSession, bool)>, ApiError> {
        let found: Option<(ChatSession, Option<i64>)> =
            on_backend!(conn, |c| chat_sessions::table
                .inner_join(tickets::table)
                .filter(chat_sessions::tenant_id.eq(tenant_id))
                .filter(chat_sessions::chat_server.eq(chat_server))
                .filter(chat_sessions::chat_session_id.eq(chat_session_id))
                .select((ChatSession::as_select(), tickets::deleted_at))
                .first(c)
                .optional())?;
        Ok(found.map(|(session, deleted_at)| (session, deleted_at.is_some())))
    }

    /// What a chat's later message needs, in one lookup: its session and ticket, whether the
    /// ticket was deleted, and whether the message's chat account token is the tenant's.
    /// `None`: no such session (the message opens the chat).
    pub fn open_chat_of(
        conn: &mut DbConnection,
        tenant_id: i64,
        chat_server: &str,
        chat_session_id: &str,
        account_token: &str,
    ) -> Result<Option<OpenChat>, ApiError> {
        let lookup = statement!(
            "SELECT s.id AS session_id, s.ticket_id, t.deleted_at IS NOT NULL AS ticket_deleted, \
             EXISTS (SELECT 1 FROM chat_accounts a WHERE a.tenant_id = s.tenant_id \
             AND a.token = ?) AS account_known \
             FROM chat_sessions s JOIN tickets t ON t.id = s.ticket_id \
             WHERE s.tenant_id = ? AND s.chat_server = ? AND s.chat_session_id = ?",
        )
        .bind(Bind::Text(account_token))
        .bind(Bind::BigInt(tenant_id))
        .bind(Bind::Text(chat_server))
        .bind(Bind::Text(chat_session_id));
        Ok(on_backend!(conn, |c| lookup.get_result(c).optional())?)
    }

    /// Of these sessions (by the chat server's ids), those that exist: (chat server's id,
    /// session id, ticket id, whether the ticket was deleted). Postgres: one lookup of the
    /// unique key per id, whatever the planner believes of the table (with `= ANY` it may
    /// scan all of a chat server's sessions and filter them).
    pub fn existing_of(
        conn: &mut DbConnection,
        tenant_id: i64,
        chat_server: &str,
        chat_session_ids: &[&str],
    ) -> Result<Vec<(String, i64, i64, bool)>, ApiError> {
        use diesel::sql_types::{BigInt, Bool, Text};
        #[derive(QueryableByName)]
        struct Existing {
            #[diesel(sql_type = Text)]
            chat_session_id: String,
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = BigInt)]
            ticket_id: i64,
            #[diesel(sql_type = Bool)]
            deleted: bool,
        }
        let DbConnection::Pg(c) = conn else {
            return Err(ApiError::Internal("existing_of is for Postgres".into()));
        };
        // LIMIT 1 keeps the subquery a lookup of its own for each id.
        let found: Vec<Existing> = statement!(
            "SELECT s.chat_session_id, s.id, s.ticket_id, t.deleted_at IS NOT NULL AS deleted \
             FROM unnest(?) AS wanted(id) \
             CROSS JOIN LATERAL (SELECT id, ticket_id, chat_session_id FROM chat_sessions \
               WHERE tenant_id = ? AND chat_server = ? AND chat_session_id = wanted.id \
               LIMIT 1) s \
             JOIN tickets t ON t.id = s.ticket_id",
        )
        .bind(Bind::Texts(chat_session_ids.to_vec()))
        .bind(Bind::BigInt(tenant_id))
        .bind(Bind::Text(chat_server))
        .load(c)?;
        Ok(found
            .into_iter()
            .map(|e| (e.chat_session_id, e.id, e.ticket_id, e.deleted))
            .collect())
    }

    /// Adds `chats` to the chat account's count of waiting chats, ahead of inserting them
    /// (`insert_many`); the count after. The account's row stays locked until the caller's
    /// transaction ends, so the positions below the count are the new chats'.
    pub fn join_queue(
        conn: &mut DbConnection,
        chat_account_id: i64,
        chats: i64,
    ) -> Result<i64, ApiError> {
        #[derive(QueryableByName)]
        struct Waiting {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            waiting_chats: i64,
        }
        // Not the DSL's update, which diesel prepares anew on every run; on SQLite not
        // RETURNING either, answered from a temporary table made for each run.
        let waiting = match conn {
            DbConnection::Pg(c) => statement!(
                "UPDATE chat_accounts SET waiting_chats = waiting_chats + ? WHERE id = ? \
                 RETURNING waiting_chats"
            )
            .bind(Bind::BigInt(chats))
            .bind(Bind::BigInt(chat_account_id))
            .get_result::<Waiting>(c)?,
            DbConnection::Sqlite(c) => {
                statement!(
                    "UPDATE chat_accounts SET waiting_chats = waiting_chats + ? WHERE id = ?"
                )
                .bind(Bind::BigInt(chats))
                .bind(Bind::BigInt(chat_account_id))
                .execute(c)?;
                statement!("SELECT waiting_chats FROM chat_accounts WHERE id = ?")
                    .bind(Bind::BigInt(chat_account_id))
                    .get_result::<Waiting>(c)?
            }
        };
        Ok(waiting.waiting_chats)
    }

    /// Inserts waiting sessions counted already (`join_queue`), in one statement; `Conflict`
    /// if a concurrent request inserted one of them first (the caller's transaction is
    /// retried, and finds it). Their ids: (chat server, chat server's id, id).
    pub fn insert_many(
        conn: &mut DbConnection,
        new: &[NewChatSession<'_>],
    ) -> Result<Vec<(String, String, i64)>, ApiError> {
        let stored: Vec<(String, String, i64)> = match conn {
            // One array a column: the same statement whatever the number of rows.
            DbConnection::Pg(c) => {
                use diesel::sql_types::{BigInt, Text};
                #[derive(QueryableByName)]
                struct Stored {
                    #[diesel(sql_type = Text)]
                    chat_server: String,
                    #[diesel(sql_type = Text)]
                    chat_session_id: String,
                    #[diesel(sql_type = BigInt)]
                    id: i64,
                }
                let stored: Vec<Stored> = statement!(
                    "INSERT INTO chat_sessions (tenant_id, chat_account_id, ticket_id, \
                     chat_server, chat_session_id, state, queue_entered_at, \
                     initial_estimated_wait, typing, created_at) \
                     SELECT * FROM unnest(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (tenant_id, chat_server, chat_session_id) DO NOTHING \
                     RETURNING chat_server, chat_session_id, id",
                )
                .bind(Bind::BigInts(column(new, |s| s.tenant_id)))
                .bind(Bind::BigInts(column(new, |s| s.chat_account_id)))
                .bind(Bind::BigInts(column(new, |s| s.ticket_id)))
                .bind(Bind::Texts(column(new, |s| s.chat_server)))
                .bind(Bind::Texts(column(new, |s| s.chat_session_id)))
                .bind(Bind::Texts(column(new, |s| s.state)))
                .bind(Bind::BigInts(column(new, |s| s.queue_entered_at)))
                .bind(Bind::Integers(column(new, |s| s.initial_estimated_wait)))
                .bind(Bind::Bools(column(new, |s| s.typing)))
                .bind(Bind::BigInts(column(new, |s| s.created_at)))
                .load(c)?;
                stored
                    .into_iter()
                    .map(|s| (s.chat_server, s.chat_session_id, s.id))
                    .collect()
            }
            // SQLite: one at a time, and not RETURNING (answered from a temporary table made
            // for each run): the id is the connection's last inserted one.
            DbConnection::Sqlite(c) => {
                let mut stored = Vec::with_capacity(new.len());
                for row in new {
                    let inserted = statement!(
                        "INSERT INTO chat_sessions (tenant_id, chat_account_id, ticket_id, \
                         chat_server, chat_session_id, state, queue_entered_at, \
                         initial_estimated_wait, typing, created_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT (tenant_id, chat_server, chat_session_id) DO NOTHING"
                    )
                    .bind(Bind::BigInt(row.tenant_id))
                    .bind(Bind::BigInt(row.chat_account_id))
                    .bind(Bind::BigInt(row.ticket_id))
                    .bind(Bind::Text(row.chat_server))
                    .bind(Bind::Text(row.chat_session_id))
                    .bind(Bind::Text(row.state))
                    .bind(Bind::BigInt(row.queue_entered_at))
                    .bind(Bind::Integer(row.initial_estimated_wait))
                    .bind(Bind::Bool(row.typing))
                    .bind(Bind::BigInt(row.created_at))
                    .execute(c)?;
                    if inserted == 1 {
                        stored.push((
                            row.chat_server.to_owned(),
                            row.chat_session_id.to_owned(),
                            last_inserted(c)?,
                        ));
                    }
                }
                stored
            }
        };
        if stored.len() < new.len() {
            return Err(ApiError::Conflict);
        }
        Ok(stored)
    }

    pub fn record_event(
        conn: &mut DbConnection,
        id: i64,
        event: &str,
        typing: Option<bool>,
        at: i64,
    ) -> Result<(), ApiError> {
        let target = chat_sessions::table.find(id);
        match typing {
            Some(typing) => diesel::update(target)
                .set((
                    chat_sessions::last_event.eq(event),
                    chat_sessions::last_event_at.eq(at),
                    chat_sessions::typing.eq(typing),
                ))
                .execute(conn)?,
            None => diesel::update(target)
                .set((
                    chat_sessions::last_event.eq(event),
                    chat_sessions::last_event_at.eq(at),
                ))
                .execute(conn)?,
        };
        Ok(())
    }

    /// Ends the session and takes it out of the queue. `false` when it had already ended.
    pub fn end(conn: &mut DbConnection, id: i64, at: i64) -> Result<bool, ApiError> {
        let ended = (
            chat_sessions::state.eq(STATE_ENDED),
            chat_sessions::ended_at.eq(at),
            chat_sessions::typing.eq(false),
        );
        // A waiting one leaves the queue's count; an active one was counted out already.
        let left_queue: Option<i64> = on_backend!(conn, |c| diesel::update(
            chat_sessions::table
                .find(id)
                .filter(chat_sessions::state.eq(STATE_WAITING)),
        )
        .set(ended)
        .returning(chat_sessions::chat_account_id)
        .get_result(c)
        .optional())?;
        if let Some(account) = left_queue {
            count_waiting_by(conn, account, -1)?;
            return Ok(true);
        }
        let changed = diesel::update(
            chat_sessions::table
                .find(id)
                .filter(chat_sessions::state.ne(STATE_ENDED)),
        )
        .set(ended)
        .execute(conn)?;
        Ok(changed == 1)
    }

    /// The chat account's waiting sessions, oldest first: the queue.
    pub fn waiting(
        conn: &mut DbConnection,
        chat_account_id: i64,
    ) -> Result<Vec<ChatSession>, ApiError> {
        Ok(chat_sessions::table
            .filter(chat_sessions::chat_account_id.eq(chat_account_id))
            .filter(chat_sessions::state.eq(STATE_WAITING))
            .order((chat_sessions::queue_entered_at, chat_sessions::id))
            .select(ChatSession::as_select())
            .load(conn)?)
    }

    /// How many chats wait, per chat account of every tenant (accounts with none left out).
    pub fn waiting_by_account(conn: &mut DbConnection) -> Result<Vec<(i64, i64)>, ApiError> {
        use diesel::dsl::count_star;
        Ok(on_backend!(conn, |c| chat_sessions::table
            .filter(chat_sessions::state.eq(STATE_WAITING))
            .group_by(chat_sessions::chat_account_id)
            .select((chat_sessions::chat_account_id, count_star()))
            .load(c))?)
    }

    /// How many of the chat account's chats wait: kept in step with the sessions (see
    /// `count_waiting_by`), so reading it costs the same however long the queue is.
    pub fn count_waiting(conn: &mut DbConnection, chat_account_id: i64) -> Result<i64, ApiError> {
        Ok(on_backend!(conn, |c| chat_accounts::table
            .find(chat_account_id)
            .select(chat_accounts::waiting_chats)
            .first(c))?)
    }

    /// How long the chat account's most recent picked-up chats waited, in milliseconds.
    pub fn recent_pickup_waits(
        conn: &mut DbConnection,
        chat_account_id: i64,
        limit: i64,
    ) -> Result<Vec<i64>, ApiError> {
        let rows: Vec<(i64, Option<i64>)> = chat_sessions::table
            .filter(chat_sessions::chat_account_id.eq(chat_account_id))
            .filter(chat_sessions::picked_up_at.is_not_null())
            .order(chat_sessions::picked_up_at.desc())
            .limit(limit)
            .select((chat_sessions::queue_entered_at, chat_sessions::picked_up_at))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .filter_map(|(entered, picked)| picked.map(|p| (p - entered).max(0)))
            .collect())
    }

    /// Marks the chats still waiting since before `edge` that nobody was told of yet, and
    /// returns their tenants and tickets: each is claimed once, whichever instance asks.
    /// Marks at most `batch` chats waiting since before `edge` and not yet alerted as alerted;
    /// their tenants and tickets.
    pub fn claim_overdue(
        conn: &mut DbConnection,
        edge: i64,
        now: i64,
        batch: i64,
    ) -> Result<Vec<(i64, i64)>, ApiError> {
        let overdue: Vec<i64> = on_backend!(conn, |c| chat_sessions::table
            .filter(chat_sessions::state.eq(STATE_WAITING))
            .filter(chat_sessions::queue_entered_at.le(edge))
            .filter(chat_sessions::wait_alerted_at.is_null())
            .select(chat_sessions::id)
            .limit(batch)
            .load(c))?;
        // Not yet alerted still: another instance claiming at once gets none of them twice.
        Ok(on_backend!(conn, |c| diesel::update(
            chat_sessions::table
                .filter(chat_sessions::id.eq_any(&overdue))
                .filter(chat_sessions::wait_alerted_at.is_null())
        )
        .set(chat_sessions::wait_alerted_at.eq(now))
        .returning((chat_sessions::tenant_id, chat_sessions::ticket_id))
        .get_results(c))?)
    }

    pub fn of_ticket(
        conn: &mut DbConnection,
        ticket_id: i64,
    ) -> Result<Option<ChatSession>, ApiError> {
        Ok(on_backend!(conn, |c| chat_sessions::table
            .filter(chat_sessions::ticket_id.eq(ticket_id))
            .select(ChatSession::as_select())
            .first(c)
            .optional())?)
    }

    /// An agent picks a waiting chat up: it leaves the queue, and its wait feeds the
    /// estimates. `false` when it was not waiting.
    pub fn pick_up(conn: &mut DbConnection, ticket_id: i64, at: i64) -> Result<bool, ApiError> {
        let left_queue: Option<i64> = on_backend!(conn, |c| diesel::update(
            chat_sessions::table
                .filter(chat_sessions::ticket_id.eq(ticket_id))
                .filter(chat_sessions::state.eq(STATE_WAITING)),
        )
        .set((
            chat_sessions::state.eq(STATE_ACTIVE),
            chat_sessions::picked_up_at.eq(at),
        ))
        .returning(chat_sessions::chat_account_id)
        .get_result(c)
        .optional())?;
        let Some(account) = left_queue else {
            return Ok(false);
        };
        count_waiting_by(conn, account, -1)?;
        Ticket::set_chat_state(conn, ticket_id, STATE_ACTIVE)?;
        Ok(true)
    }

    /// Renames these tickets' sessions `purged-{id}`: a chat server's session id may be the
    /// customer's phone number (WhatsApp, SMS).
    pub fn purge_of_tickets(conn: &mut DbConnection, ticket_ids: &[i64]) -> Result<(), ApiError> {
        let ids: Vec<i64> = on_backend!(conn, |c| chat_sessions::table
            .filter(chat_sessions::ticket_id.eq_any(ticket_ids))
            .select(chat_sessions::id)
            .load(c))?;
        for id in ids {
            ChatSession::rename(conn, id, &format!("purged-{id}"))?;
        }
        Ok(())
    }

    /// The sessions of these tickets, in one query.
    pub fn of_tickets(
        conn: &mut DbConnection,
        ticket_ids: &[i64],
    ) -> Result<Vec<ChatSession>, ApiError> {
        Ok(on_backend!(conn, |c| chat_sessions::table
            .filter(chat_sessions::ticket_id.eq_any(ticket_ids))
            .select(ChatSession::as_select())
            .load(c))?)
    }

    /// Gives the session another id, so that its chat server's id is free for a new one.
    pub fn rename(conn: &mut DbConnection, id: i64, chat_session_id: &str) -> Result<(), ApiError> {
        on_backend!(conn, |c| diesel::update(chat_sessions::table.find(id))
            .set(chat_sessions::chat_session_id.eq(chat_session_id))
            .execute(c))?;
        Ok(())
    }
}
