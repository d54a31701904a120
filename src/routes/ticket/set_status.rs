// Request fields keep their wire names (`customerID`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::form::non_empty;
use crate::domain::permission::Permission;
use crate::domain::ticket::{status_rule, Status};
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{FormErrors, Item, NotFound};
use crate::routes::item;
use crate::services::events::Events;
use crate::services::tickets::{self, TicketView};

/// `POST /api/v2/ticket/setStatus`.
#[derive(Deserialize, Validate, ToSchema)]
pub struct SetStatusForm {
    #[validate(required, range(min = 1))]
    #[schema(value_type = i64, minimum = 1)]
    pub ticketID: Option<i64>,
    /// `solved` sets the ticket's `closed_at`.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(required, custom(function = status_rule))]
    #[schema(value_type = Status)]
    pub status: Option<String>,
}

/// Set a ticket's status
///
/// `solved` sets `closed_at`. The change is a timeline event.
///
/// Permission: `SET_STATUS`.
#[utoipa::path(
    post,
    path = "/api/v2/ticket/setStatus",
    operation_id = "setTicketStatus",
    tag = "ticket",
    request_body(content(
        (SetStatusForm = "multipart/form-data"),
        (SetStatusForm = "application/x-www-form-urlencoded"),
        (SetStatusForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The ticket.", body = Item<TicketView>),
        FormErrors,
        (status = 404, response = NotFound),
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
    auth.require(Permission::SetStatus)?;
    let form: SetStatusForm = read_form(&req, payload, &settings).await?;
    let (id, status) = (
        form.ticketID.unwrap_or_default(),
        form.status.unwrap_or_default(),
    );
    let ticket =
        tickets::set_status(&db, &events, auth.tenant_id, id, status, auth.user_id).await?;
    Ok(item(ticket))
}
