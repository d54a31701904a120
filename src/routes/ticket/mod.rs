//! `/api/v2/ticket`: tickets as agents work them. One file per action.

pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod set_priority;
pub(crate) mod set_status;
pub(crate) mod update;

use actix_web::http::Method;

use super::{on, Router};

pub fn routes(r: &mut Router) {
    r.resource(
        "/api/v2/ticket",
        [
            on(Method::GET, list::handle),
            on(Method::POST, create::handle),
        ],
    );
    r.resource(
        "/api/v2/ticket/setStatus",
        [on(Method::POST, set_status::handle)],
    );
    r.resource(
        "/api/v2/ticket/setPriority",
        [on(Method::POST, set_priority::handle)],
    );
    r.resource(
        "/api/v2/ticket/{id}",
        [
            on(Method::GET, get::handle),
            on(Method::PUT, update::handle),
            on(Method::DELETE, delete::handle),
        ],
    );
}

/// `ticket_updated` for every stream of the tenant: what the ticket is now.
fn publish_updated(
    events: &crate::services::events::Events,
    tenant_id: i64,
    ticket: &crate::services::tickets::TicketView,
    change: &str,
) {
    events.publish(crate::services::events::Event::new(
        tenant_id,
        "ticket_updated",
        serde_json::json!({
            "ticketID": ticket.id, "chatSessionID": ticket.chat_session_id, "change": change,
            "status": ticket.status, "priority": ticket.priority,
            "assignedUserID": ticket.assigned_user_id, "title": ticket.title,
        }),
    ));
}
