// Request fields keep their wire names (`unreadOnly`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{agent_of, MAX_LIMIT};
use crate::db::models::notification::Notification;
use crate::db::Db;
use crate::domain::form::page;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_query, Auth};
use crate::openapi::answers::{BadRequest, KeyErrors, List};
use crate::routes::list;
use crate::services::notifications;

#[derive(Deserialize, Validate, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct NotificationListQuery {
    #[validate(range(min = 0, max = 2_147_483_647))]
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub itemStart: Option<i64>,
    #[validate(range(min = 1, max = MAX_LIMIT))]
    #[param(minimum = 1, maximum = 99, default = 15)]
    pub itemLimit: Option<i64>,
    /// Only notifications not read yet.
    #[param(default = false)]
    pub unreadOnly: Option<bool>,
}

/// The agent's notifications
///
/// A new chat, a chat waiting too long, a missed chat (ended before anyone picked it up), a
/// reply the chat server never took: newest first. Reading marks the notifications read; each item shows whether it
/// was read before. `unreadOnly=true` lists only unread ones.
///
/// Permission: `TICKET_READ`, and a key bound to an agent.
#[utoipa::path(
    get,
    path = "/api/v2/notification",
    operation_id = "listNotifications",
    tag = "notification",
    params(NotificationListQuery),
    responses(
        (status = 200, description = "One page, newest first.", body = List<Notification>),
        (status = 400, response = BadRequest),
        KeyErrors,
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let agent = agent_of(&auth)?;
    let query: NotificationListQuery = read_query(&req)?;
    let (start, limit) = page(query.itemStart, query.itemLimit);
    let unread_only = query.unreadOnly.unwrap_or(false);
    let (items, total) =
        notifications::read_page(&db, auth.tenant_id, agent, unread_only, start, limit).await?;
    Ok(list(items, start, limit, total))
}
