//! `/api/v2/notification`: the key's agent's notifications.

use std::convert::Infallible;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::json;
use tokio::sync::broadcast;

use crate::config::Settings;
use crate::db::models::notification::Notification;
use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::auth::authenticate;
use crate::extract::{read_fields, Auth, AuthContext};
use crate::openapi::answers::{
    BadRequest, Forbidden, List, NotificationsMarked, Outcome, PayloadTooLarge, Unauthorized,
    UnsupportedMediaType,
};
use crate::openapi::requests::{NotificationListQuery, SetIsReadForm};
use crate::routes::{list, on, result, Router};
use crate::services::events::{Event, Events};

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
    r.resource("/api/v2/notification/stream", [on(Method::GET, stream)]);
}

/// The tenant's chat events as they happen (Server-Sent Events)
///
/// A `text/event-stream` that stays open: each event is `event: TYPE` and one line of JSON
/// `data`, with `ticketID` and `chatSessionID`. Types: `message` (a customer's message, with
/// `messageID` and `message`), `typing` (`event`: `startedtyping` or `stoppedtyping`),
/// `visited` (`url`), `chat_ended`, `attachment` (`attachmentID`, `fileName`, ...),
/// `ticket_updated` (an agent's change: `change`, `status`, `priority`, `assignedUserID`).
/// A comment (`: heartbeat`) comes every `server.stream_heartbeat_seconds` so proxies keep
/// the stream open. A client too slow to keep up loses the oldest events and gets
/// `event: lagged` with how many (`missed`); it never slows anything else down. The key is
/// checked again at every heartbeat: a revoked one gets `event: unauthorized` and the stream
/// ends. With several
/// instances on one Postgres, every stream sees the events of every instance.
///
/// Permission: `TICKET_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/notification/stream",
    operation_id = "streamEvents",
    tag = "notification",
    responses(
        (status = 200, description = "The event stream (stays open).",
            content_type = "text/event-stream", body = String,
            example = json!("event: message\ndata: {\"ticketID\":1,\"chatSessionID\":\"session-0001\",\"messageID\":3,\"message\":\"Hello\",\"ticketCreated\":false}\n\n")),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("apiKey" = [])),
)]
async fn stream(
    Auth(auth): Auth,
    req: HttpRequest,
    events: web::Data<Events>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let heartbeat = Duration::from_secs(settings.server.stream_heartbeat_seconds.max(1));
    let tenant = auth.tenant_id;
    // The key is checked again at every heartbeat: a revoked key's stream ends.
    let still_allowed = move || {
        let req = req.clone();
        async move {
            authenticate(&req).await.is_ok_and(|ctx| {
                ctx.tenant_id == tenant && ctx.require(Permission::TicketRead).is_ok()
            })
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx: pass each event on at once.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(sse(
            events.subscribe(tenant),
            tenant,
            heartbeat,
            still_allowed,
        )))
}

/// The tenant's events from `rx` as SSE frames, with heartbeats, and `lagged` when `rx`
/// lost events. At each heartbeat `allowed` is asked whether the stream may go on; when it
/// may not, the stream says `event: unauthorized` and ends.
pub fn sse<F, Fut>(
    rx: broadcast::Receiver<Arc<Event>>,
    tenant_id: i64,
    heartbeat: Duration,
    allowed: F,
) -> impl Stream<Item = Result<Bytes, Infallible>>
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = bool>,
{
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let opening = Bytes::from_static(b": connected\nretry: 3000\n\n");
    let allowed = Rc::new(allowed);
    stream::once(async move { Ok(opening) }).chain(stream::unfold(
        (rx, ticker, false),
        move |(mut rx, mut ticker, ended)| {
            let allowed = allowed.clone();
            async move {
                if ended {
                    return None;
                }
                loop {
                    let frame = tokio::select! {
                        received = rx.recv() => match received {
                            Ok(event) if event.tenant_id == tenant_id => {
                                frame(&event.kind, &event.data)
                            }
                            Ok(_) => continue,
                            Err(broadcast::error::RecvError::Lagged(missed)) => {
                                frame("lagged", &json!({"missed": missed}))
                            }
                            Err(broadcast::error::RecvError::Closed) => return None,
                        },
                        _ = ticker.tick() => {
                            if !allowed().await {
                                let bye = frame(
                                    "unauthorized",
                                    &json!({"message": "the API key is no longer valid"}),
                                );
                                return Some((Ok(bye), (rx, ticker, true)));
                            }
                            Bytes::from_static(b": heartbeat\n\n")
                        }
                    };
                    return Some((Ok(frame), (rx, ticker, false)));
                }
            }
        },
    ))
}

fn frame(kind: &str, data: &serde_json::Value) -> Bytes {
    // serde_json writes no raw newline, so the data is one line.
    Bytes::from(format!("event: {kind}\ndata: {data}\n\n"))
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
    use super::*;

    async fn next_text<S: Stream<Item = Result<Bytes, Infallible>> + Unpin>(s: &mut S) -> String {
        let bytes = s.next().await.expect("a frame").unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn streams_carry_their_tenants_events_heartbeats_and_lagged() {
        let events = Events::local(4);
        let allowed = Rc::new(std::cell::Cell::new(true));
        let check = allowed.clone();
        let mut s = Box::pin(sse(
            events.subscribe(1),
            1,
            Duration::from_millis(50),
            move || {
                let ok = check.get();
                async move { ok }
            },
        ));
        assert!(next_text(&mut s).await.starts_with(": connected"));
        events.publish(Event::new(2, "message", json!({"ticketID": 9})));
        events.publish(Event::new(1, "typing", json!({"ticketID": 1})));
        assert_eq!(
            next_text(&mut s).await,
            "event: typing\ndata: {\"ticketID\":1}\n\n"
        );
        // Nothing happens: a heartbeat.
        assert_eq!(next_text(&mut s).await, ": heartbeat\n\n");
        // A reader that fell behind loses the oldest and is told.
        for i in 0..10 {
            events.publish(Event::new(1, "visited", json!({"n": i})));
        }
        assert_eq!(
            next_text(&mut s).await,
            "event: lagged\ndata: {\"missed\":6}\n\n"
        );
        assert!(next_text(&mut s).await.contains("\"n\":6"));
        // A key that is no longer good ends the stream at the next heartbeat.
        allowed.set(false);
        while !next_text(&mut s).await.starts_with("event: unauthorized") {}
        assert!(s.next().await.is_none());
    }

    #[test]
    fn ids_come_as_arrays_or_text() {
        assert_eq!(parse_ids("[1, 2]"), Some(vec![1, 2]));
        assert_eq!(parse_ids(r#"["3","4"]"#), Some(vec![3, 4]));
        assert_eq!(parse_ids("5, 6"), Some(vec![5, 6]));
        assert_eq!(parse_ids("x1"), None);
        assert_eq!(parse_ids("[true]"), None);
    }
}
