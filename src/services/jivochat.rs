//! JivoChat's chats as tickets. A chat is a session of the chat account (`chat_server`
//! [`JIVOCHAT_SERVER`], id `{widget_id}:{chat_id}`), so it gets the customer, ticket, queue
//! and transcript every chat gets. What JivoChat says of it — the agent, the department, the
//! visitor's browser session, the page — is recorded on the ticket when it changes, so a
//! webhook JivoChat repeats changes nothing the second time.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::models::agent_group::AgentGroup;
use crate::db::models::chat_account::ChatAccount;
use crate::db::models::chat_event::ChatEvent;
use crate::db::models::chat_session::{ChatSession, JIVOCHAT_SERVER, STATE_WAITING};
use crate::db::models::customer::{ContactDetails, Customer};
use crate::db::models::customer_external_id::SOURCE_JIVOCHAT;
use crate::db::models::message::{Message, NewMessage};
use crate::db::models::ticket::Ticket;
use crate::db::models::ticket_event::TicketEvent;
use crate::db::models::user::User;
use crate::db::{now_millis, Db, DbConnection};
use crate::domain::jivochat::{Agent, Webhook};
use crate::domain::ticket::CHANNEL_CHAT;
use crate::error::ApiError;
use crate::services::chat::{open_session, ticket_title, FirstContact};
use crate::services::events::{Events, TicketUpdated};
use crate::services::notify;

/// The longest text kept of a name, an e-mail or a phone JivoChat sends.
const SHORT: usize = 255;
/// The longest url kept.
const URL: usize = 2000;
/// How many of the customer's open tickets `chat_accepted` answers.
const OPEN_TICKETS: i64 = 5;

/// The most messages one chat's log may bring (far more than any chat has).
const MAX_LOG: usize = 5000;

/// A value as kept: trimmed, without NUL (Postgres' text takes none), at most `max`
/// characters; `None` when empty.
fn cut(value: Option<&str>, max: usize) -> Option<String> {
    value
        .map(|v| v.replace('\0', ""))
        .map(|v| v.trim().chars().take(max).collect::<String>())
        .filter(|v| !v.is_empty())
}

/// The widget's id as a session key's part.
fn widget(hook: &Webhook) -> String {
    let widget = hook.widget_id.as_ref().map(|w| w.0.as_str());
    cut(widget, 100).unwrap_or_default()
}

/// What omnibridge knows of the chat's customer, for the agent in JivoChat.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerCard {
    pub ticket_id: i64,
    pub customer_id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// `#id title (status)`, newest first.
    pub open_tickets: Vec<String>,
}

/// The session of a chat (or offline message, or phone) found or opened, with what the
/// webhook says of the visitor; the ticket records its agent, department, browser session
/// and page when they change.
fn open(
    conn: &mut DbConnection,
    account: &ChatAccount,
    hook: &Webhook,
    key: &str,
    title: &str,
    now: i64,
) -> Result<(ChatSession, bool), ApiError> {
    // A phone's ticket, deleted, gives way to a new one: the phone has no other to go to.
    let renew_if_deleted = key.contains(":call:");
    let visitor = &hook.visitor;
    let contact = ContactDetails {
        name: cut(visitor.name.as_deref(), SHORT),
        email: cut(visitor.email.as_deref(), SHORT).map(|e| e.to_lowercase()),
        phone: cut(visitor.phone.as_deref(), SHORT),
    };
    let number = visitor.number.as_ref().and_then(|n| cut(Some(&n.0), SHORT));
    // JivoChat numbers each account's visitors 1, 2, 3, ...: a number names a visitor of
    // this chat account only.
    let source = format!("{SOURCE_JIVOCHAT}:{}", account.id);
    let page_url = hook.page.as_ref().and_then(|p| cut(p.url.as_deref(), URL));
    let department = hook
        .department
        .as_ref()
        .and_then(|d| cut(d.name.as_deref(), SHORT));
    // A department maps to the agent group of the same name, if the tenant has one.
    let group = match &department {
        Some(name) => AgentGroup::find_by_name(conn, account.tenant_id, name)?,
        None => None,
    };
    let first = FirstContact {
        title,
        channel_id: CHANNEL_CHAT,
        source_url: page_url.as_deref().unwrap_or(""),
        contact: &contact,
        external: number.as_deref().map(|n| (source.as_str(), n)),
        renew_if_deleted,
        group,
    };
    let opened = open_session(conn, account, JIVOCHAT_SERVER, key, &first, now)?;
    let session = opened.session;
    let (tenant_id, ticket_id) = (account.tenant_id, session.ticket_id);
    let agents: Vec<&Agent> = hook.agent.iter().chain(hook.agents.iter()).collect();
    let agent = agents.iter().filter_map(|a| a.label()).collect::<Vec<_>>();
    if !agent.is_empty() {
        note(conn, tenant_id, ticket_id, "agent", &agent.join(", "), now)?;
    }
    if let Some(name) = department {
        note(conn, tenant_id, ticket_id, "department", &name, now)?;
        // Named later in the chat: its ticket goes to the group if it has none yet.
        if let (Some(group), false) = (group, opened.created) {
            Ticket::set_group_if_none(conn, ticket_id, group)?;
        }
    }
    if let Some(summary) = hook.session.as_ref().and_then(|s| s.summary()) {
        let summary: String = summary.chars().take(URL).collect();
        note(conn, tenant_id, ticket_id, "visitor", &summary, now)?;
    }
    if let Some(url) = page_url {
        let trail = ChatEvent::page_trail(conn, session.id)?;
        if trail.last() != Some(&url) {
            ChatEvent::record(
                conn,
                tenant_id,
                ticket_id,
                session.id,
                "visited",
                Some(&url),
                now,
            )?;
        }
    }
    Ok((session, opened.created))
}

/// Records a change on the ticket unless its latest change of that kind set the same value.
fn note(
    conn: &mut DbConnection,
    tenant_id: i64,
    ticket_id: i64,
    kind: &str,
    value: &str,
    now: i64,
) -> Result<(), ApiError> {
    let last = TicketEvent::last_value(conn, ticket_id, kind)?;
    if last.as_ref().and_then(|v| v.as_deref()) == Some(value) {
        return Ok(());
    }
    let old = last.flatten();
    TicketEvent::record(
        conn,
        tenant_id,
        ticket_id,
        kind,
        old.as_deref(),
        Some(value),
        None,
        now,
    )
}

/// The chat's key: `{widget_id}:{chat_id}`; a chat event without `chat_id` is refused.
fn chat_key(hook: &Webhook) -> Result<String, ApiError> {
    let chat = hook
        .chat_id
        .as_ref()
        .filter(|c| !c.0.is_empty() && c.0.len() <= 100)
        .ok_or_else(|| ApiError::invalid("chat_id", "required", "the chat's chat_id is missing"))?;
    Ok(format!("{}:{}", widget(hook), chat.0))
}

/// The omnibridge agent with a JivoChat agent's e-mail, if there is one.
fn agent_user(
    conn: &mut DbConnection,
    tenant_id: i64,
    agent: Option<&Agent>,
) -> Result<Option<User>, ApiError> {
    match agent.and_then(|a| a.email.as_deref()) {
        Some(email) => User::find_by_email(conn, tenant_id, email),
        None => Ok(None),
    }
}

/// The chat is picked up (it leaves the queue) and, if it has no assignee, assigned to the
/// omnibridge agent with the JivoChat agent's e-mail.
fn pick_up(
    conn: &mut DbConnection,
    tenant_id: i64,
    ticket_id: i64,
    user: Option<&User>,
    now: i64,
) -> Result<(), ApiError> {
    let ticket = Ticket::find(conn, tenant_id, ticket_id)?;
    let user_id = user.map(|u| u.id);
    if let (None, Some(id)) = (ticket.assigned_user_id, user_id) {
        Ticket::set_assignee(conn, ticket_id, Some(id), now)?;
        let id = id.to_string();
        TicketEvent::record(
            conn,
            tenant_id,
            ticket_id,
            "assignment",
            None,
            Some(&id),
            None,
            now,
        )?;
    }
    if ChatSession::pick_up(conn, ticket_id, now)? {
        TicketEvent::record(
            conn,
            tenant_id,
            ticket_id,
            "picked_up",
            None,
            None,
            user_id,
            now,
        )?;
    }
    Ok(())
}

fn announce(events: &Events, tenant_id: i64, ticket_id: i64, created: bool) {
    events.send(
        tenant_id,
        &TicketUpdated {
            ticket_id,
            change: if created { "created" } else { "jivochat" },
            now: None,
        },
    );
}

fn default_title(hook: &Webhook) -> String {
    let page = hook.page.as_ref().and_then(|p| cut(p.title.as_deref(), 60));
    let who = cut(hook.visitor.name.as_deref(), 60);
    match (who, page) {
        (Some(who), _) => format!("JivoChat chat with {who}"),
        (None, Some(page)) => format!("JivoChat chat on {page}"),
        (None, None) => "JivoChat chat".to_owned(),
    }
}

/// `chat_accepted`: an agent took the chat in JivoChat. The ticket is found or opened and
/// picked up; the answer is what omnibridge knows of the customer.
pub async fn accept(
    db: &Db,
    events: &Events,
    account: ChatAccount,
    hook: Webhook,
) -> Result<CustomerCard, ApiError> {
    let key = chat_key(&hook)?;
    let tenant_id = account.tenant_id;
    let (card, created) = db
        .write(move |conn| {
            let now = now_millis();
            let (session, created) = open(conn, &account, &hook, &key, &default_title(&hook), now)?;
            let user = agent_user(conn, tenant_id, hook.agent.as_ref())?;
            pick_up(conn, tenant_id, session.ticket_id, user.as_ref(), now)?;
            let ticket = Ticket::find(conn, tenant_id, session.ticket_id)?;
            let customer = Customer::find_including_deleted(conn, tenant_id, ticket.customer_id)?;
            let open_tickets =
                Ticket::open_of_customer(conn, tenant_id, customer.id, OPEN_TICKETS)?
                    .into_iter()
                    .map(|t| format!("#{} {} ({})", t.id, t.title, t.status))
                    .collect();
            let card = CustomerCard {
                ticket_id: ticket.id,
                customer_id: customer.id,
                name: customer.name,
                email: customer.email,
                phone: customer.phone,
                open_tickets,
            };
            Ok((card, created))
        })
        .await?;
    announce(events, tenant_id, card.ticket_id, created);
    Ok(card)
}

/// `chat_assigned`, `chat_updated`: the visitor's details, the agent, the department and the
/// page, recorded on the chat's ticket.
pub async fn update(
    db: &Db,
    events: &Events,
    account: ChatAccount,
    hook: Webhook,
) -> Result<i64, ApiError> {
    let key = chat_key(&hook)?;
    let tenant_id = account.tenant_id;
    let (ticket_id, created) = db
        .write(move |conn| {
            let now = now_millis();
            let (session, created) = open(conn, &account, &hook, &key, &default_title(&hook), now)?;
            if let Some(link) = cut(hook.assign_to.as_deref(), URL) {
                note(conn, tenant_id, session.ticket_id, "crm_link", &link, now)?;
            }
            Ok((session.ticket_id, created))
        })
        .await?;
    announce(events, tenant_id, ticket_id, created);
    Ok(ticket_id)
}

/// `chat_finished`: the chat log becomes the ticket's messages (each once, however often
/// JivoChat sends it), the rating and a blacklisting are recorded, and the chat ends — with
/// the transcript, and a missed-chat notice if no agent ever picked it up.
pub async fn finish(
    db: &Db,
    events: &Events,
    account: ChatAccount,
    hook: Webhook,
) -> Result<i64, ApiError> {
    let key = chat_key(&hook)?;
    let tenant_id = account.tenant_id;
    let (ticket_id, created) = db
        .write(move |conn| {
            let now = now_millis();
            let chat = hook.chat.clone().unwrap_or_default();
            if chat.messages.len() > MAX_LOG {
                return Err(ApiError::invalid(
                    "chat.messages",
                    "too_many",
                    format!("a chat's log holds at most {MAX_LOG} messages"),
                ));
            }
            // Each JivoChat agent's omnibridge agent, looked up once.
            let mut users: std::collections::HashMap<String, Option<User>> = Default::default();
            let first_text = chat
                .messages
                .iter()
                .find(|m| m.kind == "visitor")
                .and_then(|m| m.message.as_deref())
                .map(ticket_title)
                .unwrap_or_else(|| default_title(&hook));
            let (session, created) = open(conn, &account, &hook, &key, &first_text, now)?;
            let ticket_id = session.ticket_id;
            let mut from_customer = false;
            for (i, m) in chat.messages.iter().enumerate() {
                let text = m.message.as_deref().unwrap_or("").replace('\0', "");
                let text = text.as_str();
                let at = m.timestamp.map(|s| s.saturating_mul(1000)).unwrap_or(now);
                let author = if m.kind == "agent" {
                    "agent"
                } else {
                    "customer"
                };
                let agent = hook
                    .agents
                    .iter()
                    .chain(hook.agent.iter())
                    .find(|a| a.id.is_some() && a.id == m.agent_id);
                let user = match (author, agent) {
                    ("agent", Some(agent)) => {
                        let id = agent.id.clone().unwrap_or_default().0;
                        if !users.contains_key(&id) {
                            let user = agent_user(conn, tenant_id, Some(agent))?;
                            users.insert(id.clone(), user);
                        }
                        users[&id].clone()
                    }
                    _ => None,
                };
                // The n-th message of the log, at its time, with its text: the same log sent
                // again finds every message stored.
                let retry = format!(
                    "jivochat:{i}:{at}:{}",
                    &hex::encode(Sha256::digest(text.as_bytes()))[..16]
                );
                let inserted = Message::insert_once(
                    conn,
                    &NewMessage {
                        tenant_id,
                        ticket_id,
                        session_id: Some(session.id),
                        author,
                        body: text,
                        message_number: i as i32 + 1,
                        url: "",
                        additional_data: "",
                        used_predefined_user_input: false,
                        external_address_overwrite: "",
                        idempotency_key: None,
                        retry_key: Some(&retry),
                        created_at: at,
                        user_id: user.as_ref().map(|u| u.id),
                    },
                )?;
                if inserted.duplicate {
                    continue;
                }
                match author {
                    "agent" => {
                        Ticket::touch_by_agent(conn, ticket_id, now)?;
                        pick_up(conn, tenant_id, ticket_id, user.as_ref(), now)?;
                    }
                    _ => from_customer = true,
                }
            }
            if from_customer {
                Ticket::touch_by_customer(conn, ticket_id, now)?;
            }
            if let Some(rate) = cut(chat.rate.as_deref(), 20) {
                note(conn, tenant_id, ticket_id, "rating", &rate, now)?;
            }
            if chat.blacklisted == Some(true) {
                note(conn, tenant_id, ticket_id, "blacklisted", "true", now)?;
            }
            end(conn, &account, &session, true, now)?;
            Ok((ticket_id, created))
        })
        .await?;
    announce(events, tenant_id, ticket_id, created);
    Ok(ticket_id)
}

/// Ends the session, unless it has ended already: the chat leaves the queue; the customer
/// gets the transcript; a chat nobody picked up is a missed chat (when `missed` counts).
fn end(
    conn: &mut DbConnection,
    account: &ChatAccount,
    session: &ChatSession,
    missed: bool,
    now: i64,
) -> Result<(), ApiError> {
    let tenant_id = account.tenant_id;
    Ticket::set_chat_state(
        conn,
        session.ticket_id,
        crate::db::models::chat_session::STATE_ENDED,
    )?;
    let waiting =
        ChatSession::of_ticket(conn, session.ticket_id)?.is_some_and(|s| s.state == STATE_WAITING);
    if ChatSession::end(conn, session.id, now)? {
        ChatEvent::record(
            conn,
            tenant_id,
            session.ticket_id,
            session.id,
            "ended",
            None,
            now,
        )?;
        notify::transcript(conn, account, session.ticket_id, now)?;
        if missed && waiting {
            notify::missed_chat(conn, tenant_id, session.ticket_id, now)?;
        }
    }
    Ok(())
}

/// `offline_message`: a ticket with the visitor's message, once per `offline_message_id`.
pub async fn offline_message(
    db: &Db,
    events: &Events,
    account: ChatAccount,
    hook: Webhook,
) -> Result<i64, ApiError> {
    let id = hook
        .offline_message_id
        .as_ref()
        .filter(|i| !i.0.is_empty() && i.0.len() <= 100)
        .ok_or_else(|| {
            ApiError::invalid(
                "offline_message_id",
                "required",
                "the offline_message_id is missing",
            )
        })?;
    let text = cut(hook.message.as_deref(), usize::MAX).ok_or_else(|| {
        ApiError::invalid("message", "required", "the offline message has no text")
    })?;
    let key = format!("{}:offline:{}", widget(&hook), id.0);
    let tenant_id = account.tenant_id;
    let (ticket_id, created) = db
        .write(move |conn| {
            let now = now_millis();
            let (session, created) = open(conn, &account, &hook, &key, &ticket_title(&text), now)?;
            Message::insert_once(
                conn,
                &NewMessage {
                    tenant_id,
                    ticket_id: session.ticket_id,
                    session_id: Some(session.id),
                    author: "customer",
                    body: &text,
                    message_number: 1,
                    url: "",
                    additional_data: "",
                    used_predefined_user_input: false,
                    external_address_overwrite: "",
                    idempotency_key: None,
                    retry_key: Some("jivochat:offline"),
                    created_at: now,
                    user_id: None,
                },
            )?;
            // Nobody was there to miss it: agents heard of the new ticket.
            end(conn, &account, &session, false, now)?;
            Ok((session.ticket_id, created))
        })
        .await?;
    announce(events, tenant_id, ticket_id, created);
    Ok(ticket_id)
}

/// `call_event`: the call (type, status, reason, recording) on the ticket of the visitor's
/// phone, each state once.
pub async fn call(
    db: &Db,
    events: &Events,
    account: ChatAccount,
    hook: Webhook,
) -> Result<i64, ApiError> {
    let call = hook.call.clone().unwrap_or_default();
    let phone = cut(call.phone.as_deref(), SHORT)
        .or_else(|| cut(hook.visitor.phone.as_deref(), SHORT))
        .ok_or_else(|| ApiError::invalid("call.phone", "required", "the call has no phone"))?;
    let summary: String = call.summary().chars().take(URL).collect();
    let key = format!("{}:call:{phone}", widget(&hook));
    let tenant_id = account.tenant_id;
    let (ticket_id, created) = db
        .write(move |conn| {
            let now = now_millis();
            let title = format!("Call from {phone}");
            let (session, created) = open(conn, &account, &hook, &key, &title, now)?;
            if !summary.is_empty()
                && !TicketEvent::exists(conn, session.ticket_id, "call", &summary)?
            {
                TicketEvent::record(
                    conn,
                    tenant_id,
                    session.ticket_id,
                    "call",
                    None,
                    Some(&summary),
                    None,
                    now,
                )?;
            }
            if created {
                // A call is no chat waiting in the queue.
                end(conn, &account, &session, false, now)?;
            }
            Ok((session.ticket_id, created))
        })
        .await?;
    announce(events, tenant_id, ticket_id, created);
    Ok(ticket_id)
}
