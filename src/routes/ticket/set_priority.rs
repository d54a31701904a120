use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::domain::ticket::PRIORITIES;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Item, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::openapi::requests::SetPriorityForm;
use crate::routes::item;
use crate::services::events::Events;
use crate::services::tickets::{self, TicketChanges, TicketView};

/// Set a ticket's priority
///
/// The change is a timeline event.
///
/// Permission: `TICKET_UPDATE`.
#[utoipa::path(
    post,
    path = "/api/v2/ticket/setPriority",
    operation_id = "setTicketPriority",
    tag = "ticket",
    request_body(content(
        (SetPriorityForm = "multipart/form-data"),
        (SetPriorityForm = "application/x-www-form-urlencoded"),
        (SetPriorityForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The ticket.", body = Item<TicketView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketUpdate)?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let ticket_id = f.int("ticketID", true, 1, i64::MAX);
    let priority = f.one_of("priority", true, &PRIORITIES);
    f.finish()?;
    let Some(ticket_id) = ticket_id else {
        return Err(ApiError::Internal("validated fields missing".into()));
    };
    let changes = TicketChanges {
        priority,
        ..TicketChanges::default()
    };
    let ticket = tickets::update(&db, auth.tenant_id, ticket_id, changes, auth.user_id).await?;
    super::publish_updated(&events, auth.tenant_id, &ticket, "priority");
    Ok(item(ticket))
}
