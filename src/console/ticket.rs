//! `GET /tickets/{id}`: one ticket — its customer (contact, other tickets, pages visited),
//! its timeline, the reply box, and what the agent may change.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::config::Settings;
use crate::db::models::chat_session::JIVOCHAT_SERVER;
use crate::db::models::customer::Customer;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::domain::ticket::{PRIORITIES, STATUSES};
use crate::domain::view::{Direction, Filter, Sort, SortField};
use crate::routes::path_id;
use crate::services::customers;
use crate::services::tickets::{self, TicketQuery, TicketView};
use crate::services::timeline::{TimelineEntry, TimelineMessage, TimelineTicketEvent};

use super::page::{agent_names, group_choices, nav, render, rows, ConsoleError, Nav, Row};
use super::session::Agent;

/// What the agent may do here.
struct Can {
    reply: bool,
    update: bool,
    status: bool,
    delete: bool,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    nav: Nav,
    t: TicketView,
    timeline: Vec<TimelineEntry>,
    customer: Option<Customer>,
    others: Vec<Row>,
    visited: Vec<(String, String)>,
    agents: Vec<(i64, String)>,
    /// The tenant's agent groups, by name.
    groups: Vec<(i64, String)>,
    names: HashMap<i64, String>,
    me: i64,
    statuses: [&'static str; 5],
    priorities: [&'static str; 4],
    /// The channels a reply can take: value, label.
    channels: Vec<(&'static str, &'static str)>,
    can: Can,
    max_files: usize,
}

impl TicketPage {
    fn agent(&self, id: &Option<i64>) -> String {
        match id {
            Some(id) => self
                .names
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("agent {id}")),
            None => "omnibridge".to_owned(),
        }
    }

    /// A message's own words: all of it, or what comes before its quoted history.
    fn fresh(&self, m: &TimelineMessage) -> String {
        match m.quote_start {
            Some(at) => m
                .message
                .chars()
                .take(at)
                .collect::<String>()
                .trim_end()
                .to_owned(),
            None => m.message.clone(),
        }
    }

    /// The sender of a customer's message that came by e-mail.
    fn mailed_from(&self, m: &TimelineMessage) -> Option<String> {
        let data: serde_json::Value = serde_json::from_str(&m.additional_data).ok()?;
        data["email"]["from"].as_str().map(str::to_owned)
    }

    /// A customer's mail's quoted history (folded on the page), if it has one.
    fn quoted(&self, m: &TimelineMessage) -> Option<String> {
        m.quote_start.map(|at| m.message.chars().skip(at).collect())
    }

    /// A change on the timeline, in words: who did it and what ("Grace assigned it to Ann",
    /// "omnibridge set the status → pending"); what a chat platform reported, as it said it.
    fn line(&self, e: &TimelineTicketEvent) -> String {
        let to = e.to.as_deref().unwrap_or_default();
        match e.event.as_str() {
            "agent" => format!("JivoChat agent: {to}"),
            "department" => format!("JivoChat department: {to}"),
            "visitor" => format!("Visitor: {to}"),
            "rating" => format!("The customer rated the chat {to}"),
            "blacklisted" => "JivoChat blacklisted the visitor".to_owned(),
            "call" => format!("Call: {to}"),
            "crm_link" => "The chat was linked to omnibridge in JivoChat".to_owned(),
            _ => format!("{} {}", self.agent(&e.user_id), self.change(e)),
        }
    }

    /// A change on the timeline, in words ("assigned to Grace", "status → pending").
    fn change(&self, e: &TimelineTicketEvent) -> String {
        let to = e.to.as_deref().unwrap_or_default();
        match e.event.as_str() {
            "assignment" => match to.parse::<i64>() {
                Ok(id) => format!("assigned it to {}", self.agent(&Some(id))),
                Err(_) => "unassigned it".to_owned(),
            },
            "group" => match to.parse::<i64>() {
                Ok(id) => format!("sent it to the group {}", self.group_name(id)),
                Err(_) => "took it out of its group".to_owned(),
            },
            "picked_up" => "picked the chat up".to_owned(),
            "created" => "created the ticket".to_owned(),
            "deleted" => "deleted the ticket".to_owned(),
            "tags" if to.is_empty() => "cleared the tags".to_owned(),
            other if to.is_empty() => other.to_owned(),
            other => format!("set the {other} → {to}"),
        }
    }

    fn tags(&self) -> String {
        self.t.tags.join(", ")
    }

    fn assignee(&self) -> String {
        match self.t.assigned_user_id {
            Some(_) => self.agent(&self.t.assigned_user_id),
            None => "nobody".to_owned(),
        }
    }

    fn group_name(&self, id: i64) -> String {
        self.groups
            .iter()
            .find(|(g, _)| *g == id)
            .map_or_else(|| format!("#{id}"), |(_, name)| name.clone())
    }

    /// The ticket's group's name, if it has one.
    fn group(&self) -> Option<String> {
        self.t.assigned_group_id.map(|id| self.group_name(id))
    }

    fn is_group(&self, id: &i64) -> bool {
        self.t.assigned_group_id == Some(*id)
    }

    fn is_assignee(&self, id: &i64) -> bool {
        self.t.assigned_user_id == Some(*id)
    }

    fn is_me(&self, id: &i64) -> bool {
        self.me == *id
    }

    fn is_image(&self, content_type: &str) -> bool {
        content_type.starts_with("image/") && content_type != "image/svg+xml"
    }

    fn size(&self, bytes: &i64) -> String {
        match *bytes {
            b if b < 1024 => format!("{b} B"),
            b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
            b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        }
    }
}

pub async fn page(
    agent: Agent,
    id: web::Path<String>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.auth.require(Permission::TicketRead)?;
    let id = path_id(&id, "ticket")?;
    let tenant = agent.auth.tenant_id;
    let mut t = tickets::get(&db, tenant, id, true).await?;
    let timeline = t.timeline.take().unwrap_or_default();
    let customer = match agent.auth.require(Permission::CustomerRead) {
        Ok(()) => customers::get(&db, tenant, t.customer_id).await.ok(),
        Err(_) => None,
    };
    let (others, _) = tickets::list(
        &db,
        tenant,
        Some(agent.id()),
        // Newest first by id: the customer's index gives them in that order.
        TicketQuery {
            filters: vec![Filter::Customer(t.customer_id)],
            sort: Some(Sort {
                field: SortField::Id,
                direction: Direction::Desc,
            }),
            limit: 11,
            ..TicketQuery::default()
        },
        10,
    )
    .await?;
    let others: Vec<_> = others.into_iter().filter(|o| o.id != id).take(10).collect();
    let visited = timeline
        .iter()
        .filter_map(|e| match e {
            TimelineEntry::ChatEvent(c) if c.event == "visited" => {
                Some((c.url.clone().unwrap_or_default(), c.created_at.clone()))
            }
            _ => None,
        })
        .collect();
    let names = agent_names(&db, &agent).await?;
    let mut agents: Vec<(i64, String)> = names.iter().map(|(k, v)| (*k, v.clone())).collect();
    agents.sort_by(|a, b| a.1.cmp(&b.1));
    let groups = group_choices(&db, tenant).await?;
    let mut channels = Vec::new();
    // A JivoChat chat is answered in JivoChat: omnibridge has no way into it.
    let jivochat = t.chat_server.as_deref() == Some(JIVOCHAT_SERVER);
    if t.chat_session_id.is_some() && t.chat_state.as_deref() != Some("ended") && !jivochat {
        channels.push(("chat", "Chat"));
    }
    // E-mail for a ticket that is no chat, and to follow up a chat whose customer left an
    // address (or whose address this agent may not see: the answer says if there is none).
    let has_address = customer.as_ref().is_none_or(|c| c.email.is_some());
    if t.chat_session_id.is_none() || has_address {
        channels.push(("email", "E-mail"));
    }
    channels.push(("note", "Internal note"));
    let can = Can {
        reply: agent.auth.require(Permission::MessageCreate).is_ok(),
        update: agent.auth.require(Permission::TicketUpdate).is_ok(),
        status: agent.auth.require(Permission::SetStatus).is_ok(),
        delete: agent.auth.require(Permission::TicketDelete).is_ok(),
    };
    render(&TicketPage {
        nav: nav(&db, &settings, &agent, "ticket").await?,
        others: rows(others, &names),
        timeline,
        customer,
        visited,
        agents,
        groups,
        names,
        me: agent.id(),
        statuses: STATUSES,
        priorities: PRIORITIES,
        channels,
        can,
        max_files: crate::routes::message::create::MAX_FILES,
        t,
    })
}
