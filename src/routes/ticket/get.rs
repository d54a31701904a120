// Request fields keep their wire names (`customerID`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_query, Auth};
use crate::openapi::answers::{BadRequest, Item, KeyErrors, NotFound};
use crate::routes::{item, path_id};
use crate::services::tickets::{self, TicketView};

#[derive(Deserialize, Validate, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct TicketGetQuery {
    /// Adds `timeline`: messages, notes, attachments, chat events and the ticket's own
    /// changes, in time order.
    #[param(default = false)]
    pub getTicketHistory: Option<bool>,
}

/// One ticket
///
/// With its chat session if it has one; with `getTicketHistory=true`, its `timeline` too.
///
/// Permission: `TICKET_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/ticket/{id}",
    operation_id = "getTicket",
    tag = "ticket",
    params(
        ("id" = i64, Path, minimum = 1, description = "The ticket's id."),
        TicketGetQuery,
    ),
    responses(
        (status = 200, description = "The ticket.", body = Item<TicketView>),
        (status = 400, response = BadRequest),
        KeyErrors,
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let id = path_id(&id, "ticket")?;
    let query: TicketGetQuery = read_query(&req)?;
    let history = query.getTicketHistory.unwrap_or(false);
    Ok(item(tickets::get(&db, auth.tenant_id, id, history).await?))
}
