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
use crate::domain::ticket::{priority_rule, Priority};
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{FormErrors, Item, NotFound};
use crate::routes::item;
use crate::services::events::Events;
use crate::services::tickets::{self, TicketView};

/// `POST /api/v2/ticket/setPriority`.
#[derive(Deserialize, Validate, ToSchema)]
pub struct SetPriorityForm {
    #[validate(required, range(min = 1))]
    #[schema(value_type = i64, minimum = 1)]
    pub ticketID: Option<i64>,
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(required, custom(function = priority_rule))]
    #[schema(value_type = Priority)]
    pub priority: Option<String>,
}

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
    auth.require(Permission::TicketUpdate)?;
    let form: SetPriorityForm = read_form(&req, payload, &settings).await?;
    let (id, priority) = (
        form.ticketID.unwrap_or_default(),
        form.priority.unwrap_or_default(),
    );
    let ticket =
        tickets::set_priority(&db, &events, auth.tenant_id, id, priority, auth.user_id).await?;
    Ok(item(ticket))
}
