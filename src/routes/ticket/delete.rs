use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{KeyErrors, NotFound, Outcome};
use crate::routes::{path_id, result};
use crate::services::events::Events;
use crate::services::tickets;

#[derive(Serialize, ToSchema)]
pub struct TicketDeleted {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
}

/// Delete a ticket
///
/// A soft delete: gone from lists, views and reads, kept for audit.
///
/// Permission: `TICKET_DELETE`.
#[utoipa::path(
    delete,
    path = "/api/v2/ticket/{id}",
    operation_id = "deleteTicket",
    tag = "ticket",
    params(
        ("id" = i64, Path, minimum = 1, description = "The ticket's id."),
    ),
    responses(
        (status = 200, description = "Deleted; the message is `Ticket deleted.`",
            body = Outcome<TicketDeleted>),
        KeyErrors,
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketDelete)?;
    let id = path_id(&id, "ticket")?;
    tickets::delete(&db, &events, auth.tenant_id, id, auth.user_id).await?;
    Ok(result("Ticket deleted.", TicketDeleted { ticket_id: id }))
}
