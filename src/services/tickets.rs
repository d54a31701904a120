//! Tickets as agents work them: their JSON shape, their timeline, and the changes agents make
//! (each change is a timeline event; assigning a waiting chat picks it up).

use std::collections::HashMap;

use serde::Serialize;

use crate::db::models::agent_group::AgentGroup;
use crate::db::models::chat_session::{ChatSession, STATE_ENDED};
use crate::db::models::customer::Customer;
use crate::db::models::ticket::{NewTicket, Ticket, Total};
use crate::db::models::ticket_event::TicketEvent;
use crate::db::models::ticket_tag::TicketTag;
use crate::db::models::user::User;
use crate::db::models::view::ViewRow;
use crate::db::{now_millis, Db, DbConnection};
use crate::domain::ticket::channel_name;
use crate::domain::time::iso;
use crate::domain::view::{Filter, Sort};
use crate::error::ApiError;
use crate::services::events::{Events, TicketNow, TicketUpdated};
use crate::services::timeline::{self, TimelineEntry};
use crate::services::views;

/// A ticket in Omnidesk's agent shape, with its chat session if it has one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub id: i64,
    pub title: String,
    #[schema(value_type = crate::domain::ticket::Status)]
    pub status: String,
    #[schema(value_type = crate::domain::ticket::Priority)]
    pub priority: String,
    pub channel_id: i32,
    /// `email` (1), `chat` (8) or `other`.
    pub channel_name: &'static str,
    /// `inbound` or `outbound`.
    pub direction: String,
    pub customer_id: i64,
    pub assigned_user_id: Option<i64>,
    /// Always `null`: groups do not exist yet.
    pub assigned_group_id: Option<i64>,
    pub tags: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_update: String,
    #[schema(format = DateTime)]
    pub last_update_agent: Option<String>,
    #[schema(format = DateTime)]
    pub last_update_customer: Option<String>,
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
    /// The page of the chat's first message.
    pub source_url: String,
    /// A chat ticket's session; `null` on other tickets.
    pub chat_server: Option<String>,
    pub chat_session_id: Option<String>,
    /// `waiting`, `active` or `ended`.
    pub chat_state: Option<String>,
    /// When an agent first assigned or answered the chat.
    #[schema(format = DateTime)]
    pub picked_up_at: Option<String>,
    /// Only with `getTicketHistory=true`: everything that happened, in time order.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub timeline: Option<Vec<TimelineEntry>>,
}

fn view(conn: &mut DbConnection, row: Ticket) -> Result<TicketView, ApiError> {
    Ok(views(conn, vec![row])?.remove(0))
}

/// The tickets as agents see them, with their sessions and tags: three queries for a whole
/// page, whatever its size.
fn views(conn: &mut DbConnection, rows: Vec<Ticket>) -> Result<Vec<TicketView>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut sessions: HashMap<i64, ChatSession> = ChatSession::of_tickets(conn, &ids)?
        .into_iter()
        .map(|s| (s.ticket_id, s))
        .collect();
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (ticket, tag) in TicketTag::of_tickets(conn, &ids)? {
        tags.entry(ticket).or_default().push(tag);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let session = sessions.remove(&row.id);
            TicketView {
                tags: tags.remove(&row.id).unwrap_or_default(),
                id: row.id,
                title: row.title,
                status: row.status,
                priority: row.priority,
                channel_id: row.channel_id,
                channel_name: channel_name(row.channel_id),
                direction: row.direction,
                customer_id: row.customer_id,
                assigned_user_id: row.assigned_user_id,
                assigned_group_id: row.assigned_group_id,
                created_at: iso(row.created_at),
                last_update: iso(row.updated_at),
                last_update_agent: row.last_update_agent.map(iso),
                last_update_customer: row.last_update_customer.map(iso),
                closed_at: row.closed_at.map(iso),
                source_url: row.source_url,
                chat_server: session.as_ref().map(|s| s.chat_server.clone()),
                chat_session_id: session.as_ref().map(|s| s.chat_session_id.clone()),
                chat_state: session.as_ref().map(|s| s.state.clone()),
                picked_up_at: session.and_then(|s| s.picked_up_at).map(iso),
                timeline: None,
            }
        })
        .collect())
}

pub async fn get(db: &Db, tenant_id: i64, id: i64, history: bool) -> Result<TicketView, ApiError> {
    db.read(move |conn| {
        let row = Ticket::find(conn, tenant_id, id)?;
        let mut ticket = view(conn, row)?;
        if history {
            ticket.timeline = Some(timeline::of_ticket(conn, id)?);
        }
        Ok(ticket)
    })
    .await
}

/// Which tickets a list shows: the explicit filters, and those of a view if one is applied;
/// ordered by `sort`, else by the view's sort, else by the last update, newest first.
#[derive(Debug, Clone, Default)]
pub struct TicketQuery {
    pub filters: Vec<Filter>,
    pub view_id: Option<i64>,
    pub sort: Option<Sort>,
    pub start: i64,
    pub limit: i64,
}

/// One page of tickets, and how many match (see [`Ticket::list`] for `count_limit`).
pub async fn list(
    db: &Db,
    tenant_id: i64,
    me: Option<i64>,
    query: TicketQuery,
    count_limit: u32,
) -> Result<(Vec<TicketView>, Total), ApiError> {
    // A search finds everything committed before it (a view's stored search may be the
    // writer's indexing period behind, a tenth of a second).
    if query
        .filters
        .iter()
        .any(|f| matches!(f, Filter::Text { .. }))
    {
        db.search_ready().await;
    }
    db.read(move |conn| {
        let TicketQuery {
            mut filters,
            view_id,
            sort,
            start,
            limit,
        } = query;
        let mut order = Sort::default();
        if let Some(view_id) = view_id {
            let view = ViewRow::find(conn, tenant_id, view_id)?;
            filters.extend(views::stored_conditions(&view)?);
            order = views::stored_sort(&view);
        }
        let filters = views::resolve_me(filters, me)?;
        let (rows, total) = Ticket::list(
            conn,
            tenant_id,
            &filters,
            sort.unwrap_or(order),
            now_millis(),
            start,
            limit,
            i64::from(count_limit),
        )?;
        Ok((views(conn, rows)?, total))
    })
    .await
}

/// How many tickets each of the tenant's views holds now (exactly up to `count_limit`):
/// one count per view.
pub async fn view_counts(
    db: &Db,
    tenant_id: i64,
    me: Option<i64>,
    count_limit: u32,
) -> Result<Vec<(i64, String, Total)>, ApiError> {
    db.read(move |conn| {
        let (rows, _) = ViewRow::list(conn, tenant_id, 0, 100)?;
        let now = now_millis();
        let mut counts = Vec::with_capacity(rows.len());
        for view in rows {
            let filters = views::resolve_me(views::stored_conditions(&view)?, me)?;
            let (_, total) = Ticket::list(
                conn,
                tenant_id,
                &filters,
                Sort::default(),
                now,
                0,
                0,
                i64::from(count_limit),
            )?;
            counts.push((view.id, view.name, total));
        }
        Ok(counts)
    })
    .await
}

/// What an agent may change on a ticket with `PUT`; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct TicketChanges {
    pub title: Option<String>,
    pub priority: Option<String>,
    /// `Some(None)` unassigns.
    pub assigned_user_id: Option<Option<i64>>,
    /// `Some(None)`: no group.
    pub assigned_group_id: Option<Option<i64>>,
    pub tags: Option<Vec<String>>,
}

fn record(
    conn: &mut DbConnection,
    row: &Ticket,
    kind: &str,
    old: Option<&str>,
    new: Option<&str>,
    actor: Option<i64>,
    at: i64,
) -> Result<(), ApiError> {
    TicketEvent::record(conn, row.tenant_id, row.id, kind, old, new, actor, at)
}

fn apply_changes(
    conn: &mut DbConnection,
    row: &Ticket,
    changes: &TicketChanges,
    actor: Option<i64>,
) -> Result<(), ApiError> {
    let at = now_millis();
    if let Some(title) = changes.title.as_deref().filter(|t| *t != row.title) {
        Ticket::set_title(conn, row.id, title, at)?;
        record(conn, row, "title", Some(&row.title), Some(title), actor, at)?;
    }
    if let Some(priority) = changes.priority.as_deref().filter(|p| *p != row.priority) {
        Ticket::set_priority(conn, row.id, priority, at)?;
        record(
            conn,
            row,
            "priority",
            Some(&row.priority),
            Some(priority),
            actor,
            at,
        )?;
    }
    if let Some(assignee) = changes
        .assigned_user_id
        .filter(|a| *a != row.assigned_user_id)
    {
        if let Some(user_id) = assignee {
            User::find(conn, row.tenant_id, user_id)
                .map_err(|e| e.unknown_as("assignedUserID", "no such user"))?;
        }
        Ticket::set_assignee(conn, row.id, assignee, at)?;
        let (old, new) = (
            row.assigned_user_id.map(|u| u.to_string()),
            assignee.map(|u| u.to_string()),
        );
        record(
            conn,
            row,
            "assignment",
            old.as_deref(),
            new.as_deref(),
            actor,
            at,
        )?;
        if assignee.is_some() && ChatSession::pick_up(conn, row.id, at)? {
            record(conn, row, "picked_up", None, new.as_deref(), actor, at)?;
        }
    }
    if let Some(group) = changes
        .assigned_group_id
        .filter(|g| *g != row.assigned_group_id)
    {
        if let Some(group_id) = group {
            if AgentGroup::find(conn, row.tenant_id, group_id).is_err() {
                return Err(ApiError::invalid(
                    "assignedGroupID",
                    "unknown",
                    format!("no group of this tenant has the id {group_id}"),
                ));
            }
        }
        Ticket::set_group(conn, row.id, group, at)?;
        let (old, new) = (
            row.assigned_group_id.map(|g| g.to_string()),
            group.map(|g| g.to_string()),
        );
        record(
            conn,
            row,
            "group",
            old.as_deref(),
            new.as_deref(),
            actor,
            at,
        )?;
    }
    if let Some(tags) = &changes.tags {
        let old = TicketTag::of_ticket(conn, row.id)?;
        // Tags are kept in lower case.
        let mut new: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
        new.sort();
        new.dedup();
        if old != new {
            TicketTag::replace(conn, row.tenant_id, row.id, &new)?;
            record(
                conn,
                row,
                "tags",
                Some(&old.join(",")),
                Some(&new.join(",")),
                actor,
                at,
            )?;
        }
    }
    Ok(())
}

/// `ticket_updated` for every stream of the tenant: what the ticket is now.
fn announce(events: &Events, tenant_id: i64, ticket: &TicketView, change: &'static str) {
    events.send(
        tenant_id,
        &TicketUpdated {
            ticket_id: ticket.id,
            change,
            now: Some(TicketNow {
                chat_session_id: ticket.chat_session_id.clone(),
                status: ticket.status.clone(),
                priority: ticket.priority.clone(),
                assigned_user_id: ticket.assigned_user_id,
                title: ticket.title.clone(),
            }),
        },
    );
}

/// `PUT /api/v2/ticket/{id}`: what was sent changes; each change is a timeline event.
pub async fn update(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    id: i64,
    changes: TicketChanges,
    actor: Option<i64>,
) -> Result<TicketView, ApiError> {
    change(db, events, tenant_id, id, changes, actor, "updated").await
}

async fn change(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    id: i64,
    changes: TicketChanges,
    actor: Option<i64>,
    change: &'static str,
) -> Result<TicketView, ApiError> {
    let ticket = db
        .write(move |conn| {
            let row = Ticket::find(conn, tenant_id, id)?;
            apply_changes(conn, &row, &changes, actor)?;
            let updated = Ticket::find(conn, tenant_id, id)?;
            view(conn, updated)
        })
        .await?;
    announce(events, tenant_id, &ticket, change);
    Ok(ticket)
}

/// `setPriority`: a change of the priority alone.
pub async fn set_priority(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    id: i64,
    priority: String,
    actor: Option<i64>,
) -> Result<TicketView, ApiError> {
    let changes = TicketChanges {
        priority: Some(priority),
        ..TicketChanges::default()
    };
    change(db, events, tenant_id, id, changes, actor, "priority").await
}

pub async fn set_status(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    id: i64,
    status: String,
    actor: Option<i64>,
) -> Result<TicketView, ApiError> {
    let ticket = db
        .write(move |conn| {
            let row = Ticket::find(conn, tenant_id, id)?;
            if row.status != status {
                let at = now_millis();
                let closed_at = match status.as_str() {
                    "solved" | "closed" => row.closed_at.or(Some(at)),
                    _ => None,
                };
                Ticket::set_field_status(conn, id, &status, closed_at, at)?;
                record(
                    conn,
                    &row,
                    "status",
                    Some(&row.status),
                    Some(&status),
                    actor,
                    at,
                )?;
            }
            let updated = Ticket::find(conn, tenant_id, id)?;
            view(conn, updated)
        })
        .await?;
    announce(events, tenant_id, &ticket, "status");
    Ok(ticket)
}

/// Closes the ticket if it is still solved and untouched since before `before` (the retention
/// job's candidates are read first: an agent may have reopened one since); says whether it did.
pub async fn close_if_solved_before(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    id: i64,
    before: i64,
) -> Result<bool, ApiError> {
    let closed = db
        .write(move |conn| {
            let row = Ticket::find(conn, tenant_id, id)?;
            if row.status != "solved" || row.updated_at >= before {
                return Ok(None);
            }
            let at = now_millis();
            Ticket::set_field_status(conn, id, "closed", row.closed_at.or(Some(at)), at)?;
            record(
                conn,
                &row,
                "status",
                Some(&row.status),
                Some("closed"),
                None,
                at,
            )?;
            let updated = Ticket::find(conn, tenant_id, id)?;
            view(conn, updated).map(Some)
        })
        .await?;
    if let Some(ticket) = &closed {
        announce(events, tenant_id, ticket, "status");
    }
    Ok(closed.is_some())
}

pub async fn delete(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    id: i64,
    actor: Option<i64>,
) -> Result<(), ApiError> {
    db.write(move |conn| {
        let row = Ticket::find(conn, tenant_id, id)?;
        let at = now_millis();
        Ticket::soft_delete(conn, id, at)?;
        // A deleted chat (spam, most often) leaves the queue: it ends.
        if let Some(session) = ChatSession::of_ticket(conn, id)? {
            Ticket::set_chat_state(conn, id, STATE_ENDED)?;
            ChatSession::end(conn, session.id, at)?;
        }
        record(conn, &row, "deleted", None, None, actor, at)
    })
    .await?;
    events.send(
        tenant_id,
        &TicketUpdated {
            ticket_id: id,
            change: "deleted",
            now: None,
        },
    );
    Ok(())
}

/// A ticket an agent opens.
#[derive(Debug, Clone)]
pub struct NewAgentTicket {
    pub title: String,
    pub customer_id: i64,
    pub channel_id: i32,
    pub priority: String,
}

/// A new empty ticket for a customer of the tenant (an agent starting a conversation).
pub async fn create(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    new: NewAgentTicket,
    actor: Option<i64>,
) -> Result<TicketView, ApiError> {
    let ticket = db
        .write(move |conn| {
            // A customer of another tenant, or deleted, is no customer; an outage stays one.
            let customer = Customer::find(conn, tenant_id, new.customer_id)
                .map_err(|e| e.unknown_as("customerID", "no such customer"))?;
            let at = now_millis();
            let id = Ticket::create(
                conn,
                &NewTicket {
                    tenant_id,
                    customer_id: customer.id,
                    title: &new.title,
                    status: "open",
                    priority: &new.priority,
                    channel_id: new.channel_id,
                    direction: "outbound",
                    source_url: "",
                    created_at: at,
                    updated_at: at,
                    last_update_customer: None,
                    chat_state: None,
                },
            )?;
            TicketEvent::record(conn, tenant_id, id, "created", None, None, actor, at)?;
            let row = Ticket::find(conn, tenant_id, id)?;
            view(conn, row)
        })
        .await?;
    announce(events, tenant_id, &ticket, "created");
    Ok(ticket)
}
