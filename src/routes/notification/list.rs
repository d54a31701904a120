use actix_web::{web, HttpRequest, HttpResponse};

use super::{agent_of, MAX_LIMIT};
use crate::db::models::notification::Notification;
use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{BadRequest, Forbidden, List, Unauthorized};
use crate::openapi::requests::NotificationListQuery;
use crate::routes::list;

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
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
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
    let mut q = FieldReader::from_query(req.query_string())?;
    let (start, limit) = paging(&mut q, MAX_LIMIT);
    let unread_only = q.boolean("unreadOnly").unwrap_or(false);
    q.finish()?;
    let tenant = auth.tenant_id;
    let (items, total) = db
        .write(move |conn| {
            let (items, total) =
                Notification::page(conn, tenant, agent, unread_only, start, limit)?;
            let unread: Vec<i64> = items.iter().filter(|n| !n.is_read).map(|n| n.id).collect();
            if !unread.is_empty() {
                Notification::set_read(conn, tenant, agent, &unread, true)?;
            }
            Ok((items, total))
        })
        .await?;
    Ok(list(items, start, limit, total))
}
