use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::auth::authenticate;
use crate::extract::Auth;
use crate::openapi::answers::KeyErrors;
use crate::services::events::sse::sse;
use crate::services::events::Events;

/// One event of the stream, as a client's SSE parser gives it.
#[derive(ToSchema)]
pub struct StreamedEvent {
    /// `message`, `typing`, `visited`, `attachment`, `chat_ended`, `ticket_updated`,
    /// `delivery`; `lagged`, `resync`, `unauthorized`.
    pub event: String,
    /// What it says: JSON, as text.
    pub data: String,
    /// Its place in the stream, for `Last-Event-ID`; none on `lagged`, `resync` and
    /// `unauthorized`.
    pub id: Option<String>,
}

/// The tenant's chat events as they happen (Server-Sent Events)
///
/// A `text/event-stream` that stays open: each event is `event: TYPE` and one line of JSON
/// `data`, with `ticketID` and `chatSessionID`. Types: `message` (a customer's message, with
/// `messageID` and `message`), `typing` (`event`: `startedtyping` or `stoppedtyping`),
/// `visited` (`url`), `chat_ended`, `attachment` (`attachmentID`, `fileName`, ...),
/// `ticket_updated` (an agent's change: `change` is `created`, `updated`, `status`, `priority`,
/// `reply`, `note` or `deleted`; with the ticket's `status`, `priority`, `assignedUserID` and
/// `title` unless it was deleted), `delivery` (an attempt to send an agent's reply or file to
/// the chat server: `deliveryID`, `messageID` or `attachmentID`, `state` — `queued` when it
/// will be tried again, `delivered`, `failed` — `attempts` and `lastError`).
/// A comment (`: heartbeat`) comes every `server.stream_heartbeat_seconds` so proxies keep
/// the stream open. A client too slow to keep up loses the oldest events and gets
/// `event: lagged` with how many (`missed`); it never slows anything else down. The key is
/// checked again at every heartbeat: a revoked one gets `event: unauthorized` and the stream
/// ends. With several
/// instances on one Postgres, every stream sees the events of every instance.
///
/// Every event has an `id`. Reconnecting with `Last-Event-ID` first sends the events that
/// came after that one (kept `server.stream_replay_seconds`), or `event: resync` when they
/// are no longer kept (reload what you show); an instance whose `LISTEN` connection broke
/// sends `resync` to its streams.
///
/// Permission: `TICKET_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/notification/stream",
    operation_id = "streamEvents",
    tag = "notification",
    params(("Last-Event-ID" = Option<String>, Header,
        description = "The id of the last event a reconnecting client had.")),
    responses(
        (status = 200, description = "The event stream (stays open); each event as an SSE \
            parser gives it.",
            content_type = "text/event-stream", body = StreamedEvent,
            example = json!({"event": "message", "id": "1764530000000001",
                "data": "{\"ticketID\":1,\"chatSessionID\":\"session-0001\",\"messageID\":3,\"message\":\"Hello\",\"ticketCreated\":false}"})),
        KeyErrors,
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    events: web::Data<Events>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let heartbeat = Duration::from_secs(settings.server.stream_heartbeat_seconds.max(1));
    let tenant = auth.tenant_id;
    // A client that reconnects names the last event it had: what came after is sent first.
    let last_event_id = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // The key is checked again at every heartbeat: a revoked key's stream ends.
    let still_allowed = move || {
        let req = req.clone();
        async move {
            authenticate(&req).await.is_ok_and(|ctx| {
                ctx.tenant_id == tenant && ctx.require(Permission::TicketRead).is_ok()
            })
        }
    };
    Ok(event_stream(sse(
        events.resume(&db, tenant, last_event_id.as_deref()).await,
        tenant,
        heartbeat,
        still_allowed,
    )))
}

/// An answer that streams events: never cached, never held back by a proxy.
pub fn event_stream<S>(stream: S) -> HttpResponse
where
    S: futures_util::Stream<Item = Result<web::Bytes, std::convert::Infallible>> + 'static,
{
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx: pass each event on at once.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream)
}
