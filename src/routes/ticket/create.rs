use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::domain::ticket::PRIORITIES;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Item, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::openapi::requests::TicketCreateForm;
use crate::routes::item;
use crate::services::tickets::{self, TicketView};

/// A new ticket
///
/// An empty ticket (status `open`) for a customer of the key's tenant; a `customerID` that
/// names no such customer is `400` with the code `unknown`.
///
/// Permission: `TICKET_CREATE`.
#[utoipa::path(
    post,
    path = "/api/v2/ticket",
    operation_id = "createTicket",
    tag = "ticket",
    request_body(content(
        (TicketCreateForm = "multipart/form-data"),
        (TicketCreateForm = "application/x-www-form-urlencoded"),
        (TicketCreateForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The new ticket.", body = Item<TicketView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
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
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketCreate)?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let title = f.text("title", true, 1, 255);
    let customer_id = f.int("customerID", true, 1, i64::MAX);
    let channel_id = f
        .int("channelID", false, 1, i64::from(i32::MAX))
        .unwrap_or(1) as i32;
    let priority = f.one_of("priority", false, &PRIORITIES);
    f.finish()?;
    let (Some(title), Some(customer_id)) = (title, customer_id) else {
        return Err(ApiError::Internal("validated fields missing".into()));
    };
    let ticket = tickets::create(
        &db,
        auth.tenant_id,
        title,
        customer_id,
        channel_id,
        priority.unwrap_or_else(|| "medium".into()),
        auth.user_id,
    )
    .await?;
    Ok(item(ticket))
}
