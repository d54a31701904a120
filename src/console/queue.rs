//! `GET /`: the queue — the chats waiting for an agent, oldest first, each with its ticking
//! wait and the customer's first words (the ticket's title) — and the agent's open tickets.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::domain::view::{Direction, Filter, Sort, SortField, Who};
use crate::services::tickets::{self, TicketQuery};

use super::page::{agent_names, nav, render, rows, waiting_filter, ConsoleError, Nav, Row};
use super::session::Agent;

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    nav: Nav,
    waiting: Vec<Row>,
    mine: Vec<Row>,
}

const SHOWN: i64 = 100;

pub async fn page(
    agent: Agent,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.auth.require(Permission::TicketRead)?;
    let tenant = agent.auth.tenant_id;
    let limit = settings.server.list_count_limit;
    let oldest_first = Sort {
        field: SortField::CreatedAt,
        direction: Direction::Asc,
    };
    let waiting = TicketQuery {
        filters: vec![waiting_filter()],
        sort: Some(oldest_first),
        limit: SHOWN,
        ..TicketQuery::default()
    };
    let mine = TicketQuery {
        filters: vec![
            Filter::AssignedTo {
                negate: false,
                who: Who::Me,
            },
            Filter::Status {
                negate: true,
                values: vec!["closed".to_owned(), "solved".to_owned()],
            },
        ],
        limit: SHOWN,
        ..TicketQuery::default()
    };
    let me = Some(agent.id());
    let (waiting, _) = tickets::list(&db, tenant, me, waiting, limit).await?;
    let (mine, _) = tickets::list(&db, tenant, me, mine, limit).await?;
    let names = agent_names(&db, &agent).await?;
    render(&QueuePage {
        nav: nav(&db, &settings, &agent, "queue").await?,
        waiting: rows(waiting, &names),
        mine: rows(mine, &names),
    })
}
