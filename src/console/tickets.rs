//! `GET /tickets`: a page of tickets — all of them, or a view's (`?view=ID`) — with the
//! full-text search (`q`), a status, a customer's (`?customer=ID`: the link chat platforms
//! show their agents), a sort and paging.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::domain::search;
use crate::domain::ticket::STATUSES;
use crate::domain::view::{Direction, Filter, Sort, SortField};
use crate::extract::read_query;
use crate::services::{customers, tickets, views};

use super::page::{agent_names, nav, render, rows, ConsoleError, Nav, Row};
use super::session::Agent;

const PAGE_SIZE: i64 = 25;

/// The sorts offered: value, label.
const SORTS: [(&str, &str); 4] = [
    ("", "view's order"),
    ("updated", "last update, newest first"),
    ("oldest", "created, oldest first"),
    ("newest", "created, newest first"),
];

#[derive(Deserialize, Validate, ToSchema)]
pub struct ListQuery {
    #[validate(range(min = 1))]
    view: Option<i64>,
    #[validate(range(min = 1))]
    customer: Option<i64>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sort: String,
    #[validate(range(min = 1, max = 100_000))]
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsPage {
    nav: Nav,
    heading: String,
    view: Option<i64>,
    customer: Option<i64>,
    query: String,
    status: String,
    statuses: [&'static str; 5],
    sort: String,
    sorts: [(&'static str, &'static str); 4],
    rows: Vec<Row>,
    total: String,
    page: i64,
    prev: Option<String>,
    next: Option<String>,
}

impl TicketsPage {
    fn is_status(&self, value: &str) -> bool {
        self.status == value
    }

    fn is_sort(&self, value: &str) -> bool {
        self.sort == value
    }
}

fn sort_of(value: &str) -> Option<Sort> {
    let (field, direction) = match value {
        "updated" => (SortField::LastUpdate, Direction::Desc),
        "oldest" => (SortField::CreatedAt, Direction::Asc),
        "newest" => (SortField::CreatedAt, Direction::Desc),
        _ => return None,
    };
    Some(Sort { field, direction })
}

pub async fn page(
    agent: Agent,
    req: HttpRequest,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.auth.require(Permission::TicketRead)?;
    let query: ListQuery = read_query(&req)?;
    let tenant = agent.auth.tenant_id;
    let mut filters = Vec::new();
    let status = STATUSES
        .iter()
        .find(|s| **s == query.status)
        .map(|s| s.to_string())
        .unwrap_or_default();
    if !status.is_empty() {
        filters.push(Filter::Status {
            negate: false,
            values: vec![status.clone()],
        });
    }
    if !query.q.trim().is_empty() {
        for term in search::terms(&query.q)? {
            filters.push(Filter::Text { terms: vec![term] });
        }
    }
    if let Some(customer) = query.customer {
        filters.push(Filter::Customer(customer));
    }
    let heading = match query.view {
        Some(id) => {
            agent.auth.require(Permission::ViewRead)?;
            views::get(&db, tenant, id).await?.name
        }
        None if query.customer.is_some() => {
            agent.auth.require(Permission::CustomerRead)?;
            let id = query.customer.unwrap_or_default();
            let customer = customers::get(&db, tenant, id).await?;
            let name = customer.name.or(customer.email).unwrap_or(format!("#{id}"));
            format!("Tickets of {name}")
        }
        None if query.q.trim().is_empty() => "All tickets".to_owned(),
        None => format!("Search: {}", query.q.trim()),
    };
    let page = query.page.unwrap_or(1).clamp(1, 100_000);
    let list = tickets::TicketQuery {
        filters,
        view_id: query.view,
        sort: sort_of(&query.sort),
        start: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let (found, total) = tickets::list(
        &db,
        tenant,
        Some(agent.id()),
        list,
        settings.server.list_count_limit,
    )
    .await?;
    let names = agent_names(&db, &agent).await?;
    let link = |page: i64| {
        let mut params: Vec<(&str, String)> = vec![("page", page.to_string())];
        if let Some(view) = query.view {
            params.push(("view", view.to_string()));
        }
        if let Some(customer) = query.customer {
            params.push(("customer", customer.to_string()));
        }
        for (key, value) in [("q", &query.q), ("status", &status), ("sort", &query.sort)] {
            if !value.is_empty() {
                params.push((key, value.clone()));
            }
        }
        format!(
            "/tickets?{}",
            serde_urlencoded::to_string(params).unwrap_or_default()
        )
    };
    let shown = (page - 1) * PAGE_SIZE + found.len() as i64;
    let prev = (page > 1).then(|| link(page - 1));
    let next = (shown < total.count).then(|| link(page + 1));
    render(&TicketsPage {
        nav: nav(
            &db,
            &settings,
            &agent,
            &query
                .view
                .map(|v| format!("view-{v}"))
                .unwrap_or_else(|| "tickets".to_owned()),
        )
        .await?,
        heading,
        view: query.view,
        customer: query.customer,
        status,
        statuses: STATUSES,
        sort: query.sort.clone(),
        sorts: SORTS,
        rows: rows(found, &names),
        total: format!("{}{}", total.count, if total.exact { "" } else { "+" }),
        prev,
        next,
        page,
        query: query.q.clone(),
    })
}
