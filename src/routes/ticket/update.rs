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
use crate::openapi::requests::TicketUpdateForm;
use crate::routes::{item, path_id};
use crate::services::events::Events;
use crate::services::tickets::{self, TicketChanges, TicketView};

/// Change a ticket
///
/// Title, priority, assigned agent and tags; only the fields sent change, each change is a
/// timeline event. Assigning a waiting chat's ticket picks the chat up: it leaves the queue
/// and `picked_up_at` is set.
///
/// Permission: `TICKET_UPDATE`.
#[utoipa::path(
    put,
    path = "/api/v2/ticket/{id}",
    operation_id = "updateTicket",
    tag = "ticket",
    params(
        ("id" = i64, Path, minimum = 1, description = "The ticket's id."),
    ),
    request_body(content(
        (TicketUpdateForm = "multipart/form-data"),
        (TicketUpdateForm = "application/x-www-form-urlencoded"),
        (TicketUpdateForm = "application/json"),
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
    id: web::Path<String>,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketUpdate)?;
    let id = path_id(&id, "ticket")?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let changes = TicketChanges {
        title: f.text("title", false, 1, 255),
        priority: f.one_of("priority", false, &PRIORITIES),
        assigned_user_id: f.nullable_int("assignedUserID", 1, i64::MAX),
        tags: f.list("tags", 50, 64),
    };
    f.finish()?;
    let ticket = tickets::update(&db, auth.tenant_id, id, changes, auth.user_id).await?;
    super::publish_updated(&events, auth.tenant_id, &ticket, "updated");
    Ok(item(ticket))
}
