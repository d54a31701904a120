//! `GET /notifications`: the agent's notifications, newest first; seeing them marks them read.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::config::Settings;
use crate::db::models::notification::Notification;
use crate::db::Db;
use crate::domain::time::iso;
use crate::services::notifications;

use super::page::{nav, render, ConsoleError, Nav};
use super::session::Agent;

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    nav: Nav,
    items: Vec<(Notification, String)>,
}

pub async fn page(
    agent: Agent,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    let (items, _) =
        notifications::read_page(&db, agent.auth.tenant_id, agent.id(), false, 0, 100).await?;
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
    })
}
