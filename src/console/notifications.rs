//! `GET /notifications`: the agent's notifications, newest first; `POST /notifications/read`
//! marks those shown read.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::models::notification::Notification;
use crate::db::Db;
use crate::domain::form::IdList;
use crate::domain::permission::Permission;
use crate::domain::time::iso;
use crate::services::notifications;

use super::form::Form;
use super::page::{nav, render, see_other, ConsoleError, Nav};
use super::session::Agent;

const SHOWN: i64 = 100;

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    nav: Nav,
    items: Vec<(Notification, String)>,
    unread_ids: String,
}

pub async fn page(
    agent: Agent,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.auth.require(Permission::TicketRead)?;
    let items = notifications::page(&db, agent.auth.tenant_id, agent.id(), 0, SHOWN).await?;
    let unread_ids = items
        .iter()
        .filter(|n| !n.is_read)
        .map(|n| n.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let items = items
        .into_iter()
        .map(|n| {
            let at = iso(n.created_at);
            (n, at)
        })
        .collect();
    render(&NotificationsPage {
        nav: nav(&db, &settings, &agent, "notifications").await?,
        items,
        unread_ids,
    })
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ReadForm {
    #[serde(default)]
    csrf: Option<String>,
    /// The notifications the page showed unread (it shows a hundred).
    #[serde(default)]
    #[validate(length(max = 1000))]
    #[schema(value_type = IdList)]
    ids: Vec<i64>,
}

pub async fn mark_read(
    agent: Agent,
    Form(form): Form<ReadForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::TicketRead)?;
    notifications::set_read(&db, agent.auth.tenant_id, agent.id(), form.ids, true).await?;
    Ok(see_other("/notifications"))
}
