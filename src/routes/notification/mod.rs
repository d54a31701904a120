//! `/api/v2/notification`: the key's agent's notifications.

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::models::notification::Notification;
use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth, AuthContext};
use crate::openapi::answers::{
    BadRequest, Forbidden, List, NotificationsMarked, Outcome, PayloadTooLarge, Unauthorized,
    UnsupportedMediaType,
};
use crate::openapi::requests::{NotificationListQuery, SetIsReadForm};
use crate::routes::{list, on, result, Router};

pub(crate) const MAX_LIMIT: i64 = 99;

pub fn routes(r: &mut Router) {
    r.resource(
        "/api/v2/notification",
        [on(Method::GET, list_notifications)],
    );
    r.resource(
        "/api/v2/notification/setIsRead",
        [on(Method::PUT, set_is_read)],
    );
}

/// Notifications belong to an agent: a key that acts as nobody has none.
fn agent_of(auth: &AuthContext) -> Result<i64, ApiError> {
    auth.user_id.ok_or_else(|| {
        ApiError::validation(
            "apiKey",
            "agent",
            Some("notifications are an agent's: use a key made with --user"),
        )
    })
}

/// The agent's notifications
///
/// A new chat, a missed chat (ended before anyone picked it up), a reply the chat server
/// never took: newest first. Reading marks the notifications read; each item shows whether it
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
async fn list_notifications(
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

/// Mark notifications read or unread
///
/// `notificationIDs`: the agent's notifications to change (a JSON array or comma-separated);
/// `isRead`: `true` (the default) or `false`. Ids that are not the agent's are left alone.
///
/// Permission: `TICKET_READ`, and a key bound to an agent.
#[utoipa::path(
    put,
    path = "/api/v2/notification/setIsRead",
    operation_id = "setNotificationsRead",
    tag = "notification",
    request_body(content(
        (SetIsReadForm = "application/json"),
        (SetIsReadForm = "application/x-www-form-urlencoded"),
        (SetIsReadForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "How many changed.", body = Outcome<NotificationsMarked>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
async fn set_is_read(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let agent = agent_of(&auth)?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let raw = f.text("notificationIDs", true, 1, 50_000);
    let read = f.boolean("isRead").unwrap_or(true);
    f.finish()?;
    let ids = parse_ids(raw.as_deref().unwrap_or_default()).ok_or_else(|| {
        ApiError::validation(
            "notificationIDs",
            "integer",
            Some("notification ids: a JSON array or comma-separated, at most 1000"),
        )
    })?;
    let tenant = auth.tenant_id;
    let changed = db
        .write(move |conn| Notification::set_read(conn, tenant, agent, &ids, read))
        .await?;
    Ok(result(
        "Notifications updated.",
        json!({"updated": changed, "isRead": read}),
    ))
}

/// `[1, 2]`, `["1", "2"]` or `1,2`.
fn parse_ids(raw: &str) -> Option<Vec<i64>> {
    let ids: Vec<i64> = if raw.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<serde_json::Value>>(raw)
            .ok()?
            .into_iter()
            .map(|v| match v {
                serde_json::Value::Number(n) => n.as_i64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .collect::<Option<_>>()?
    } else {
        raw.split(',')
            .map(|s| s.trim().parse().ok())
            .collect::<Option<_>>()?
    };
    (ids.len() <= 1000).then_some(ids)
}

#[cfg(test)]
mod tests {
    use super::parse_ids;

    #[test]
    fn ids_come_as_arrays_or_text() {
        assert_eq!(parse_ids("[1, 2]"), Some(vec![1, 2]));
        assert_eq!(parse_ids(r#"["3","4"]"#), Some(vec![3, 4]));
        assert_eq!(parse_ids("5, 6"), Some(vec![5, 6]));
        assert_eq!(parse_ids("x1"), None);
        assert_eq!(parse_ids("[true]"), None);
    }
}
