//! Postgres: customers' messages stored in batches (see `db::batch`).
//!
//! Most messages go to chats that are open already: a batch stores those with one lookup of
//! their sessions, one multi-row insert and one update of their tickets. The others (a
//! first message, which opens its chat; contact details to apply; a deleted ticket; a
//! repeat) are stored one by one in the same transaction, as on SQLite.

use std::collections::{HashMap, VecDeque};

use crate::db::batch::{Batcher, Store, Together};
use crate::db::models::chat_account::ChatAccount;
use crate::db::models::chat_session::ChatSession;
use crate::db::models::message::Message;
use crate::db::models::ticket::Ticket;
use crate::db::{now_millis, Db, DbConnection};
use crate::error::ApiError;
use crate::services::chat::{self, MessageBatcher, MessageOutcome, PendingMessage};

/// On Postgres, the thread that stores customers' messages; on SQLite, nothing.
pub fn start(db: &Db) -> Result<MessageBatcher, ApiError> {
    Batcher::start(
        db,
        "message-batcher",
        Store {
            together,
            alone: chat::store_message,
        },
    )
}

/// Stores what it can of the batch together; of the others, a chat's first message waiting
/// (which opens it) is stored alone and the chat's later ones are tried again after it.
fn together(
    conn: &mut DbConnection,
    batch: &[&PendingMessage],
) -> Result<Vec<Together<MessageOutcome>>, ApiError> {
    let now = now_millis();
    let mut outcomes: Vec<Together<MessageOutcome>> =
        batch.iter().map(|_| Together::Alone).collect();
    // An unknown chat account is told (404) where the message is stored alone.
    let mut known_accounts: HashMap<(i64, &str), bool> = HashMap::new();
    let mut by_server: HashMap<(i64, &str), Vec<usize>> = HashMap::new();
    for (i, pending) in batch.iter().enumerate() {
        let token = pending.message.chat_account_token.as_str();
        let known = match known_accounts.get(&(pending.tenant_id, token)) {
            Some(known) => *known,
            None => {
                let known = match ChatAccount::find_by_token(conn, pending.tenant_id, token) {
                    Ok(_) => true,
                    Err(ApiError::UnknownChatAccount) => false,
                    Err(e) => return Err(e),
                };
                known_accounts.insert((pending.tenant_id, token), known);
                known
            }
        };
        let msg = &pending.message;
        let has_contact = msg.customer_name.is_some()
            || msg.email_address.is_some()
            || msg.phone_number.is_some();
        if known && !has_contact {
            let server = pending.message.chat_server.as_str();
            by_server
                .entry((pending.tenant_id, server))
                .or_default()
                .push(i);
        }
    }
    // How a stored row maps back to its message: by its key within its session, else (no
    // key, so never a repeat) by its place among its session's keyless messages, as ids are
    // drawn in the order of the rows.
    let mut by_key: HashMap<(i64, &str), usize> = HashMap::new();
    let mut keyless: HashMap<i64, VecDeque<usize>> = HashMap::new();
    let mut ticket_of: HashMap<i64, i64> = HashMap::new();
    let mut rows = Vec::new();
    let mut opening: HashMap<(i64, &str, &str), usize> = HashMap::new();
    for ((tenant_id, server), items) in by_server {
        let ids: Vec<&str> = items
            .iter()
            .map(|&i| batch[i].message.chat_session_id.as_str())
            .collect();
        let live: HashMap<String, (i64, i64)> =
            ChatSession::live_of(conn, tenant_id, server, &ids)?
                .into_iter()
                .map(|(chat_session_id, session, ticket)| (chat_session_id, (session, ticket)))
                .collect();
        for i in items {
            let pending = &batch[i];
            let msg = &pending.message;
            let Some(&(session, ticket)) = live.get(&msg.chat_session_id) else {
                // Not open (or its ticket deleted): the first waiting is stored alone, and
                // says which; the others follow it.
                let chat = (tenant_id, server, msg.chat_session_id.as_str());
                if opening.insert(chat, i).is_some() {
                    outcomes[i] = Together::Again;
                }
                continue;
            };
            match pending
                .idempotency_key
                .as_deref()
                .or(pending.retry_key.as_deref())
            {
                Some(key) => {
                    if by_key.insert((session, key), i).is_some() {
                        continue; // the same key twice: the second is a repeat
                    }
                }
                None => keyless.entry(session).or_default().push_back(i),
            }
            ticket_of.insert(session, ticket);
            rows.push(pending.row(ticket, session, now));
        }
    }
    if rows.is_empty() {
        return Ok(outcomes);
    }
    // A repeat of a stored message is skipped here, and recognised on the single path.
    let mut stored = Message::insert_many(conn, &rows)?;
    stored.sort_unstable_by_key(|row| row.id);
    let mut touched = Vec::with_capacity(stored.len());
    for row in stored {
        let session = row.session_id.unwrap_or_default();
        let item = match row.idempotency_key.as_deref().or(row.retry_key.as_deref()) {
            Some(key) => by_key.get(&(session, key)).copied(),
            None => keyless.get_mut(&session).and_then(VecDeque::pop_front),
        };
        let (Some(i), Some(&ticket_id)) = (item, ticket_of.get(&session)) else {
            return Err(ApiError::Internal(
                "a stored message maps to no message of the batch".into(),
            ));
        };
        outcomes[i] = Together::Stored(MessageOutcome {
            ticket_id,
            message_id: row.id,
            ticket_created: false,
            duplicate: false,
        });
        touched.push(ticket_id);
    }
    touched.sort_unstable();
    touched.dedup();
    Ticket::touch_many_by_customer(conn, &touched, now)?;
    Ok(outcomes)
}
