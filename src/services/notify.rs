//! What agents and customers are told, besides agents' replies: the chat transcript mailed
//! to the customer when a chat ends; a notification to every agent, and a mail to those who
//! want mail, about a new chat and a missed chat (one that ended before anyone picked it up);
//! a notification to its author when a reply cannot be delivered. Each is written in the
//! transaction of the event.

use std::collections::HashMap;

use crate::db::models::agent_group::AgentGroup;
use crate::db::models::chat_account::ChatAccount;
use crate::db::models::chat_session::ChatSession;
use crate::db::models::customer::Customer;
use crate::db::models::mail::{
    Mail, KIND_MISSED_CHAT, KIND_NEW_CHAT, KIND_NEW_EMAIL, KIND_OFFLINE_NOTICE, KIND_TRANSCRIPT,
};
use crate::db::models::message::Message;
use crate::db::models::notification::Notification;
use crate::db::models::notification::{
    KIND_CUSTOMER_REPLY, KIND_REPLY_FAILED, KIND_WAITING_TOO_LONG,
};
use crate::db::models::ticket::Ticket;
use crate::db::models::user::User;
use crate::db::DbConnection;
use crate::db::{now_millis, Db};
use crate::domain::time::iso;
use crate::error::ApiError;
use crate::services::mail::{html_of, queue, Outgoing};

/// The ticket, unless it was deleted meanwhile: then there is nobody to tell, and telling
/// must never stop what caused it (a chat must still end).
fn live_ticket(
    conn: &mut DbConnection,
    tenant_id: i64,
    ticket_id: i64,
) -> Result<Option<Ticket>, ApiError> {
    match Ticket::find(conn, tenant_id, ticket_id) {
        Ok(ticket) => Ok(Some(ticket)),
        Err(ApiError::Missing(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `Subject` with the ticket id, as `[#42]`, so replies can be matched to their ticket.
pub fn subject(text: &str, ticket_id: i64) -> String {
    format!("{text} [#{ticket_id}]")
}

/// What an agent is told of a ticket.
pub struct About<'a> {
    pub id: i64,
    pub title: &'a str,
    pub created_at: i64,
    /// Its group: then only the group's agents are told.
    pub group_id: Option<i64>,
}

impl<'a> From<&'a Ticket> for About<'a> {
    fn from(ticket: &'a Ticket) -> About<'a> {
        About {
            id: ticket.id,
            title: &ticket.title,
            created_at: ticket.created_at,
            group_id: ticket.assigned_group_id,
        }
    }
}

/// Tells every agent of the tenant (a notification each) and mails those who want mail.
fn to_agents(
    conn: &mut DbConnection,
    tenant_id: i64,
    kind: &str,
    tickets: &[About<'_>],
    headline: &str,
    now: i64,
) -> Result<(), ApiError> {
    let agents = User::of_tenant(conn, tenant_id)?;
    if agents.is_empty() {
        return Ok(());
    }
    let everyone: Vec<i64> = agents.iter().map(|a| a.id).collect();
    let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
    for ticket in tickets {
        // A group's ticket is told to its agents only.
        let ids = match ticket.group_id {
            None => everyone.clone(),
            Some(group) => {
                if let std::collections::hash_map::Entry::Vacant(e) = members.entry(group) {
                    let of_group = AgentGroup::members_of(conn, &[group])?;
                    e.insert(of_group.into_iter().map(|(_, u)| u).collect());
                }
                members[&group].clone()
            }
        };
        let notice = format!("{headline}: {}", ticket.title);
        Notification::to_users(conn, tenant_id, &ids, kind, Some(ticket.id), &notice, now)?;
        let subject = subject(&format!("{headline}: {}", ticket.title), ticket.id);
        let text = format!(
            "{headline}.\n\nTicket #{}: {}\nStarted: {}\nOpen it with GET /api/v2/ticket/{}?getTicketHistory=true\n",
            ticket.id,
            ticket.title,
            iso(ticket.created_at),
            ticket.id
        );
        let html = html_of(&text);
        for agent in agents
            .iter()
            .filter(|a| ids.contains(&a.id) && a.email_notifications && !a.email.is_empty())
        {
            queue(
                conn,
                tenant_id,
                &Outgoing {
                    kind,
                    ticket_id: Some(ticket.id),
                    message_id: None,
                    to: &agent.email,
                    subject: &subject,
                    text: &text,
                    html: &html,
                    in_reply_to: None,
                },
                now,
            )?;
        }
    }
    Ok(())
}

/// A chat session's first contact made a new ticket.
pub fn new_chat(
    conn: &mut DbConnection,
    tenant_id: i64,
    ticket_id: i64,
    now: i64,
) -> Result<(), ApiError> {
    new_ticket(conn, tenant_id, ticket_id, KIND_NEW_CHAT, "New chat", now)
}

/// Chat sessions' first contacts made these tickets, in the caller's transaction (which
/// made them: none was deleted since).
pub fn new_chats(
    conn: &mut DbConnection,
    tenant_id: i64,
    tickets: &[About<'_>],
    now: i64,
) -> Result<(), ApiError> {
    to_agents(conn, tenant_id, KIND_NEW_CHAT, tickets, "New chat", now)
}

/// A customer's mail opened a new ticket.
pub fn new_email(
    conn: &mut DbConnection,
    tenant_id: i64,
    ticket_id: i64,
    now: i64,
) -> Result<(), ApiError> {
    new_ticket(
        conn,
        tenant_id,
        ticket_id,
        KIND_NEW_EMAIL,
        "New e-mail",
        now,
    )
}

fn new_ticket(
    conn: &mut DbConnection,
    tenant_id: i64,
    ticket_id: i64,
    kind: &str,
    headline: &str,
    now: i64,
) -> Result<(), ApiError> {
    let Some(ticket) = live_ticket(conn, tenant_id, ticket_id)? else {
        return Ok(());
    };
    to_agents(
        conn,
        tenant_id,
        kind,
        &[About::from(&ticket)],
        headline,
        now,
    )
}

/// The customer wrote again on an assigned ticket: its assignee hears of it.
pub fn customer_replied(
    conn: &mut DbConnection,
    ticket: &Ticket,
    reopened: bool,
    now: i64,
) -> Result<(), ApiError> {
    let Some(assignee) = ticket.assigned_user_id else {
        return Ok(());
    };
    let text = match reopened {
        true => format!(
            "The customer wrote again, the ticket is open again: {}",
            ticket.title
        ),
        false => format!("The customer wrote again: {}", ticket.title),
    };
    Notification::to_agent(
        conn,
        ticket.tenant_id,
        assignee,
        KIND_CUSTOMER_REPLY,
        Some(ticket.id),
        &text,
        now,
    )
}

/// A chat ended while still waiting: nobody picked it up.
pub fn missed_chat(
    conn: &mut DbConnection,
    tenant_id: i64,
    ticket_id: i64,
    now: i64,
) -> Result<(), ApiError> {
    let Some(ticket) = live_ticket(conn, tenant_id, ticket_id)? else {
        return Ok(());
    };
    to_agents(
        conn,
        tenant_id,
        KIND_MISSED_CHAT,
        &[About::from(&ticket)],
        "Missed chat",
        now,
    )
}

/// How long an address gets no second "we will answer by e-mail" notice.
const OFFLINE_NOTICE_EVERY_MS: i64 = 24 * 60 * 60 * 1000;

/// The transcript of an ended chat to its customer, when the chat account sends transcripts
/// and the customer gave an e-mail address. Notes are never in it. The customer's answer to
/// it comes back to the ticket (its `Message-ID` threads it).
///
/// When no agent answered, the mail is the account's offline message and a fixed line saying
/// the team answers by e-mail — nothing the visitor typed, not even their name, and to one
/// address at most once a day: anyone can type anyone's address into a chat widget, and
/// omnibridge must not become a way to send a stranger text under the company's name.
pub fn transcript(
    conn: &mut DbConnection,
    account: &ChatAccount,
    ticket_id: i64,
    now: i64,
) -> Result<bool, ApiError> {
    if !account.transcripts {
        return Ok(false);
    }
    let Some(ticket) = live_ticket(conn, account.tenant_id, ticket_id)? else {
        return Ok(false);
    };
    let messages = Message::of_ticket(conn, ticket_id)?;
    if !messages.iter().any(|m| m.author != "note") {
        return Ok(false);
    }
    let answered = messages.iter().any(|m| m.author == "agent");
    let customer = Customer::find_including_deleted(conn, ticket.tenant_id, ticket.customer_id)?;
    let Some(email) = customer.email.filter(|e| !e.is_empty()) else {
        return Ok(false);
    };
    let subject = subject(&format!("Your chat with {}", account.name), ticket_id);
    if !answered {
        let since = now - OFFLINE_NOTICE_EVERY_MS;
        if Mail::sent_to_since(conn, account.tenant_id, KIND_OFFLINE_NOTICE, &email, since)? {
            return Ok(false);
        }
        let text = format!(
            "Hello,\n\n{}\n\nNobody could answer your chat with {} in time: we will answer you \
             by e-mail, at this address. You can also answer this mail.\n",
            account.offline_message.trim(),
            account.name
        );
        let outgoing = Outgoing {
            kind: KIND_OFFLINE_NOTICE,
            ticket_id: Some(ticket_id),
            message_id: None,
            to: &email,
            subject: &subject,
            text: &text,
            html: &html_of(&text),
            in_reply_to: None,
        };
        queue(conn, account.tenant_id, &outgoing, now)?;
        return Ok(true);
    }
    let hello = format!(
        "Hello{},\n\n",
        customer
            .name
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default()
    );
    let mut text = format!(
        "{hello}here is the transcript of your chat with {}.\n\n",
        account.name
    );
    for m in messages.into_iter().filter(|m| m.author != "note") {
        let who = if m.author == "customer" {
            "You"
        } else {
            account.name.as_str()
        };
        text.push_str(&format!("[{}] {who}: {}\n", iso(m.created_at), m.body));
    }
    let html = html_of(&text);
    queue(
        conn,
        account.tenant_id,
        &Outgoing {
            kind: KIND_TRANSCRIPT,
            ticket_id: Some(ticket_id),
            message_id: None,
            to: &email,
            subject: &subject,
            text: &text,
            html: &html,
            in_reply_to: None,
        },
        now,
    )?;
    Ok(true)
}

/// A reply's delivery to the chat server failed for good: its author hears of it.
pub fn reply_failed(
    conn: &mut DbConnection,
    tenant_id: i64,
    ticket_id: i64,
    message_id: i64,
    now: i64,
) -> Result<(), ApiError> {
    let Some(author) = Message::author_agent(conn, message_id)? else {
        return Ok(());
    };
    let text = format!("A reply on ticket #{ticket_id} could not be delivered to the chat");
    Notification::to_agent(
        conn,
        tenant_id,
        author,
        KIND_REPLY_FAILED,
        Some(ticket_id),
        &text,
        now,
    )
}

/// Chats alerted in one transaction: a backlog of thousands (after an outage, or on a first
/// start over old data) goes a batch at a time, so that it never holds the database's writer
/// for long.
const ALERT_BATCH: i64 = 100;

/// Every second, tells the agents of each chat that has waited `after` without being picked
/// up (once per chat; several instances share the work through the claim), a batch at a
/// time; stops with the server.
pub fn spawn_wait_alerts(db: Db, after: std::time::Duration) {
    if after.is_zero() {
        return;
    }
    let after_ms = after.as_millis() as i64;
    actix_web::rt::spawn(async move {
        loop {
            let alerted = db
                .write(move |conn| {
                    let now = now_millis();
                    let overdue =
                        ChatSession::claim_overdue(conn, now - after_ms, now, ALERT_BATCH)?;
                    let mut agents_of = std::collections::HashMap::new();
                    for (tenant_id, ticket_id) in &overdue {
                        let Some(ticket) = live_ticket(conn, *tenant_id, *ticket_id)? else {
                            continue;
                        };
                        let text = format!(
                            "Waiting for {} min: {}",
                            (now - ticket.created_at) / 60_000,
                            ticket.title
                        );
                        if !agents_of.contains_key(tenant_id) {
                            let agents: Vec<i64> = User::of_tenant(conn, *tenant_id)?
                                .iter()
                                .map(|a| a.id)
                                .collect();
                            agents_of.insert(*tenant_id, agents);
                        }
                        // A group's chat is its agents' to answer.
                        let told = match ticket.assigned_group_id {
                            Some(group) => AgentGroup::members_of(conn, &[group])?
                                .into_iter()
                                .map(|(_, user)| user)
                                .collect(),
                            None => agents_of[tenant_id].clone(),
                        };
                        Notification::to_users(
                            conn,
                            *tenant_id,
                            &told,
                            KIND_WAITING_TOO_LONG,
                            Some(ticket.id),
                            &text,
                            now,
                        )?;
                    }
                    Ok(overdue.len())
                })
                .await;
            match alerted {
                // A full batch: more are waiting; the writer is free for others in between.
                Ok(n) if n as i64 == ALERT_BATCH => {
                    actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                }
                Ok(_) => {}
                Err(e) => log::warn!("waiting-chat alerts: {e}"),
            }
            actix_web::rt::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}
