//! Postgres: customers' messages stored in batches (see `db::batch`).
//!
//! Most messages go to chats that are open already: a batch stores those with one lookup of
//! their sessions, one multi-row insert and one update of their tickets. The others (a
//! first message, which opens its chat; contact details to apply; a deleted ticket; a
//! repeat) are stored one by one in the same transaction, as on SQLite.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crate::db::batch::{Batcher, Store, Together};
use crate::db::models::chat_account::ChatAccount;
use crate::db::models::chat_session::{ChatSession, NewChatSession, STATE_WAITING};
use crate::db::models::customer::Customer;
use crate::db::models::message::Message;
use crate::db::models::ticket::{NewTicket, Ticket};
use crate::db::{now_millis, Db, DbConnection};
use crate::error::ApiError;
use crate::services::chat::{self, MessageBatcher, MessageOutcome, PendingMessage};
use crate::services::notify::{self, About};
use crate::services::queue::WaitModel;

/// On Postgres, the thread that stores customers' messages; on SQLite, nothing.
pub fn start(db: &Db) -> Result<MessageBatcher, ApiError> {
    Batcher::start(
        db,
        "message-batcher",
        Store {
            together,
            alone: chat::store_message,
            lane: chat_of,
        },
    )
}

/// A chat's messages go one lane.
fn chat_of(pending: &PendingMessage) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let msg = &pending.message;
    (pending.tenant_id, &msg.chat_server, &msg.chat_session_id).hash(&mut hasher);
    hasher.finish()
}

/// Stores what it can of the batch together: messages to open chats, and chats' first
/// messages, which open them, with their later ones. The others (contact details to apply,
/// a deleted ticket, an unknown chat account) are stored alone.
fn together(
    conn: &mut DbConnection,
    batch: &[&PendingMessage],
) -> Result<Vec<Together<MessageOutcome>>, ApiError> {
    let now = now_millis();
    let mut outcomes: Vec<Together<MessageOutcome>> =
        batch.iter().map(|_| Together::Alone).collect();
    // An unknown chat account is told (404) where the message is stored alone.
    let mut accounts: HashMap<(i64, &str), Option<ChatAccount>> = HashMap::new();
    let mut by_server: HashMap<(i64, &str), Vec<usize>> = HashMap::new();
    // A chat whose first message of the batch is stored alone (it brings contact details,
    // say) is opened by that message, and its later ones follow it alone, in order.
    let mut first_alone: HashSet<(i64, &str, &str)> = HashSet::new();
    let mut seen: HashSet<(i64, &str, &str)> = HashSet::new();
    for (i, pending) in batch.iter().enumerate() {
        let token = pending.message.chat_account_token.as_str();
        let known = match accounts.get(&(pending.tenant_id, token)) {
            Some(account) => account.is_some(),
            None => {
                let account = match ChatAccount::find_by_token(conn, pending.tenant_id, token) {
                    Ok(account) => Some(account),
                    Err(ApiError::UnknownChatAccount) => None,
                    Err(e) => return Err(e),
                };
                let known = account.is_some();
                accounts.insert((pending.tenant_id, token), account);
                known
            }
        };
        let msg = &pending.message;
        let has_contact = msg.customer_name.is_some()
            || msg.email_address.is_some()
            || msg.phone_number.is_some();
        let chat = (
            pending.tenant_id,
            msg.chat_server.as_str(),
            msg.chat_session_id.as_str(),
        );
        let storable_together = known && !has_contact;
        let first_of_chat = seen.insert(chat);
        if first_of_chat && !storable_together {
            first_alone.insert(chat);
        }
        if storable_together {
            let server = pending.message.chat_server.as_str();
            by_server
                .entry((pending.tenant_id, server))
                .or_default()
                .push(i);
        }
    }
    // Each message's chat: open already, or opened here by its first message.
    let mut chat_of: Vec<Option<(i64, i64)>> = batch.iter().map(|_| None).collect();
    let mut opening: Vec<usize> = Vec::new();
    let mut after_first: Vec<usize> = Vec::new();
    for ((tenant_id, server), items) in &by_server {
        let ids: Vec<&str> = items
            .iter()
            .map(|&i| batch[i].message.chat_session_id.as_str())
            .collect();
        let existing: HashMap<String, Option<(i64, i64)>> =
            ChatSession::existing_of(conn, *tenant_id, server, &ids)?
                .into_iter()
                .map(|(id, session, ticket, deleted)| (id, (!deleted).then_some((session, ticket))))
                .collect();
        let mut first_seen: HashSet<&str> = HashSet::new();
        for &i in items {
            let id = batch[i].message.chat_session_id.as_str();
            match existing.get(id) {
                Some(open) => chat_of[i] = *open, // a deleted ticket's stays alone
                None if first_alone.contains(&(*tenant_id, *server, id)) => {}
                None if first_seen.insert(id) => opening.push(i),
                None => after_first.push(i),
            }
        }
    }
    // New chats take their places in the order their first messages came.
    opening.sort_unstable();
    let opened = open_chats(conn, batch, &accounts, &opening, now)?;
    let chat_key = |i: usize| {
        let p = batch[i];
        let m = &p.message;
        (
            p.tenant_id,
            m.chat_server.as_str(),
            m.chat_session_id.as_str(),
        )
    };
    let mut by_chat = HashMap::new();
    let mut new_tickets = HashSet::new();
    for (&i, chat) in opening.iter().zip(opened) {
        chat_of[i] = Some(chat);
        by_chat.insert(chat_key(i), chat);
        new_tickets.insert(chat.1);
    }
    for i in after_first {
        chat_of[i] = by_chat.get(&chat_key(i)).copied();
    }
    let firsts: HashSet<usize> = opening.into_iter().collect();
    // How a stored row maps back to its message: by its key within its session, else (no
    // key, so never a repeat) by its place among its session's keyless messages, as ids are
    // drawn in the order of the rows.
    let mut by_key: HashMap<(i64, &str), usize> = HashMap::new();
    let mut keyless: HashMap<i64, VecDeque<usize>> = HashMap::new();
    let mut ticket_of: HashMap<i64, i64> = HashMap::new();
    let mut rows = Vec::new();
    for (i, pending) in batch.iter().enumerate() {
        let Some((session, ticket)) = chat_of[i] else {
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
            ticket_created: firsts.contains(&i),
            duplicate: false,
        });
        // A ticket made in this batch has its times already.
        if !new_tickets.contains(&ticket_id) {
            touched.push(ticket_id);
        }
    }
    touched.sort_unstable();
    touched.dedup();
    Ticket::touch_many_by_customer(conn, &touched, now)?;
    Ok(outcomes)
}

/// Opens the chats of these first messages (no chat of theirs exists, none brings contact
/// details) in a few statements: their customers and tickets, each chat account's queue
/// once, their sessions, the agents told. Their (session, ticket), in the same order.
fn open_chats(
    conn: &mut DbConnection,
    batch: &[&PendingMessage],
    accounts: &HashMap<(i64, &str), Option<ChatAccount>>,
    firsts: &[usize],
    now: i64,
) -> Result<Vec<(i64, i64)>, ApiError> {
    let mut chats = vec![(0, 0); firsts.len()];
    // Tenants, and their accounts below, in order: two lanes lock accounts' rows in the
    // same order.
    let mut by_tenant: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (k, &i) in firsts.iter().enumerate() {
        by_tenant.entry(batch[i].tenant_id).or_default().push(k);
    }
    for (tenant_id, places) in by_tenant {
        let customers = Customer::create_unknown(conn, tenant_id, places.len())?;
        let titles: Vec<String> = places
            .iter()
            .map(|&k| chat::ticket_title(&batch[firsts[k]].message.message))
            .collect();
        let new: Vec<NewTicket<'_>> = places
            .iter()
            .zip(&customers)
            .zip(&titles)
            .map(|((&k, &customer_id), title)| {
                let msg = &batch[firsts[k]].message;
                NewTicket {
                    tenant_id,
                    customer_id,
                    title,
                    status: "new",
                    priority: "medium",
                    channel_id: msg.channel_id,
                    direction: "inbound",
                    source_url: &msg.url,
                    created_at: now,
                    updated_at: now,
                    last_update_customer: Some(now),
                    chat_state: Some(STATE_WAITING),
                }
            })
            .collect();
        let tickets = Ticket::create_many(conn, &new)?;
        // Each chat account's queue grows once, by its new chats, in the order they came.
        let mut by_account: HashMap<i64, (&ChatAccount, Vec<usize>)> = HashMap::new();
        for (n, &k) in places.iter().enumerate() {
            let p = batch[firsts[k]];
            let token = p.message.chat_account_token.as_str();
            let Some(Some(account)) = accounts.get(&(tenant_id, token)) else {
                return Err(ApiError::Internal(
                    "a new chat's account was not read".into(),
                ));
            };
            by_account
                .entry(account.id)
                .or_insert((account, Vec::new()))
                .1
                .push(n);
        }
        let mut sessions = Vec::with_capacity(places.len());
        let mut accounts_in_order: Vec<_> = by_account.into_values().collect();
        accounts_in_order.sort_unstable_by_key(|(account, _)| account.id);
        let mut groups: HashMap<i64, i64> = HashMap::new();
        for (account, chats_of_account) in accounts_in_order {
            if let Some(group) = account.group_id {
                // The account's new chats go to its group.
                let routed: Vec<i64> = chats_of_account.iter().map(|&n| tickets[n]).collect();
                Ticket::set_group_of(conn, &routed, Some(group))?;
                groups.extend(routed.iter().map(|&ticket| (ticket, group)));
            }
            let count = chats_of_account.len() as i64;
            // Read before the account's row is locked, which it stays until the commit.
            let wait = WaitModel::load(conn, account)?;
            let after = ChatSession::join_queue(conn, account.id, count)?;
            // Entered once the row is ours: after every chat with a place before these.
            let entered = now_millis().max(now);
            for (ahead, &n) in chats_of_account.iter().enumerate() {
                let msg = &batch[firsts[places[n]]].message;
                let position = after - count + 1 + ahead as i64;
                sessions.push(NewChatSession {
                    tenant_id,
                    chat_account_id: account.id,
                    ticket_id: tickets[n],
                    chat_server: &msg.chat_server,
                    chat_session_id: &msg.chat_session_id,
                    state: STATE_WAITING,
                    queue_entered_at: entered,
                    initial_estimated_wait: wait.initial_estimate(position),
                    typing: false,
                    created_at: now,
                });
            }
        }
        let ids: HashMap<(String, String), i64> = ChatSession::insert_many(conn, &sessions)?
            .into_iter()
            .map(|(server, id, session)| ((server, id), session))
            .collect();
        for (&k, &ticket) in places.iter().zip(&tickets) {
            let msg = &batch[firsts[k]].message;
            let key = (msg.chat_server.clone(), msg.chat_session_id.clone());
            chats[k] = (ids[&key], ticket);
        }
        let told: Vec<About<'_>> = tickets
            .iter()
            .zip(&titles)
            .map(|(&id, title)| About {
                id,
                title,
                created_at: now,
                group_id: groups.get(&id).copied(),
            })
            .collect();
        notify::new_chats(conn, tenant_id, &told, now)?;
    }
    Ok(chats)
}
