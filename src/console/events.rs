//! `GET /console/events`: the tenant's event stream for the signed-in agent's pages (the same
//! stream as `GET /api/v2/notification/stream`). The session is checked again at every
//! heartbeat: a signed-out or removed agent's stream ends with `event: unauthorized`.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::routes::notification::stream::event_stream;
use crate::services::events::sse::sse;
use crate::services::events::Events;

use super::page::ConsoleError;
use super::session::{signed_in, Agent};

pub async fn stream(
    agent: Agent,
    req: HttpRequest,
    events: web::Data<Events>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.auth.require(Permission::TicketRead)?;
    let heartbeat = Duration::from_secs(settings.server.stream_heartbeat_seconds.max(1));
    let (tenant, session) = (agent.auth.tenant_id, agent.token.clone());
    // The browser's EventSource sends the last id it had when it reconnects.
    let last_event_id = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let still_signed_in = move || {
        let (req, session) = (req.clone(), session.clone());
        async move {
            signed_in(&req).await.ok().flatten().is_some_and(|a| {
                a.token == session
                    && a.auth.tenant_id == tenant
                    && a.auth.require(Permission::TicketRead).is_ok()
            })
        }
    };
    Ok(event_stream(sse(
        events.resume(&db, tenant, last_event_id.as_deref()).await,
        tenant,
        heartbeat,
        still_signed_in,
    )))
}
