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
use crate::domain::ticket::{priority_rule, Priority, CHANNEL_EMAIL};
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{FormErrors, Item};
use crate::routes::item;
use crate::services::events::Events;
use crate::services::tickets::{self, NewAgentTicket, TicketView};

/// `POST /api/v2/ticket`.
#[derive(Deserialize, Validate, ToSchema)]
pub struct TicketCreateForm {
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(required, length(min = 1, max = 255))]
    #[schema(value_type = String, min_length = 1, max_length = 255,
        example = "Order 1234 has not arrived")]
    pub title: Option<String>,
    /// A customer of the key's tenant.
    #[validate(required, range(min = 1))]
    #[schema(value_type = i64, minimum = 1)]
    pub customerID: Option<i64>,
    #[validate(range(min = 1, max = 2_147_483_647))]
    #[schema(minimum = 1, maximum = 2147483647, default = 1)]
    pub channelID: Option<i64>,
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(custom(function = priority_rule))]
    #[schema(value_type = Option<Priority>, default = "medium")]
    pub priority: Option<String>,
}

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
        FormErrors,
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
    auth.require(Permission::TicketCreate)?;
    let form: TicketCreateForm = read_form(&req, payload, &settings).await?;
    let ticket = NewAgentTicket {
        title: form.title.unwrap_or_default(),
        customer_id: form.customerID.unwrap_or_default(),
        channel_id: form.channelID.map_or(CHANNEL_EMAIL, |c| c as i32),
        priority: form.priority.unwrap_or_else(|| "medium".into()),
    };
    let ticket = tickets::create(&db, &events, auth.tenant_id, ticket, auth.user_id).await?;
    Ok(item(ticket))
}
