// Request fields keep their wire names (`customerID`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::form::{non_empty, page};
use crate::domain::permission::Permission;
use crate::domain::search;
use crate::domain::ticket::{status_rule, Status};
use crate::domain::view::{Filter, Who};
use crate::error::ApiError;
use crate::extract::{read_query, Auth};
use crate::openapi::answers::{BadRequest, KeyErrors, ListType, NotFound};
use crate::services::tickets::{self, TicketQuery, TicketView};

pub(crate) const MAX_LIMIT: i64 = 9999;

/// `GET /api/v2/ticket`: paging and filters; all filters must hold.
#[derive(Deserialize, Validate, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct TicketListQuery {
    /// Offset of the first item.
    #[validate(range(min = 0, max = 2_147_483_647))]
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub itemStart: Option<i64>,
    /// Largest page.
    #[validate(range(min = 1, max = MAX_LIMIT))]
    #[param(minimum = 1, maximum = 9999, default = 15)]
    pub itemLimit: Option<i64>,
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(custom(function = status_rule))]
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    /// Tickets of this channel (8 chat, 1 e-mail).
    #[validate(range(min = 1, max = 2_147_483_647))]
    #[param(minimum = 1, maximum = 2147483647)]
    pub channelID: Option<i64>,
    /// An agent's user id (at least 1), or `me`: the key's agent.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(custom(function = assignee_rule))]
    #[param(value_type = Option<String>, example = "me")]
    pub assignedUserID: Option<String>,
    /// A view's id: its conditions are added to the filters and its sort orders the page.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub applyView: Option<i64>,
    /// Full text: every word, as a prefix in any case, must match the ticket's title, one of
    /// its messages, or its customer's name, e-mail or phone. Empty: no filter.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 1, max = 500))]
    #[param(max_length = 500, example = "order arrived")]
    pub query: Option<String>,
}

/// `me`, or an agent's id.
fn assignee_rule(value: &str) -> Result<(), ValidationError> {
    match value == "me" || value.trim().parse::<i64>().is_ok_and(|id| id >= 1) {
        true => Ok(()),
        false => Err(ValidationError::new("integer").with_message("a user id, or me".into())),
    }
}

/// The list envelope, with whether `itemTotal` is exact.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketList {
    #[serde(rename = "type")]
    pub kind: ListType,
    pub item_start: i64,
    pub item_limit: i64,
    /// Tickets matching, counted exactly up to `itemStart` + `server.list_count_limit`
    /// (1000 by default); past that, a lower bound.
    pub item_total: i64,
    /// Whether `itemTotal` is the exact count.
    pub item_total_exact: bool,
    pub items: Vec<TicketView>,
}

/// Tickets
///
/// Live tickets, newest update first (or in the sort of the view applied). All filters must
/// hold; `applyView` adds the view's conditions. An unknown `applyView` is `404`.
///
/// Permission: `TICKET_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/ticket",
    operation_id = "listTickets",
    tag = "ticket",
    params(TicketListQuery),
    responses(
        (status = 200, description = "One page.", body = TicketList),
        (status = 400, response = BadRequest),
        KeyErrors,
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let query: TicketListQuery = read_query(&req)?;
    let (start, limit) = page(query.itemStart, query.itemLimit);
    let mut filters = Vec::new();
    if let Some(status) = query.status {
        filters.push(Filter::Status {
            negate: false,
            values: vec![status],
        });
    }
    if let Some(channel) = query.channelID {
        filters.push(Filter::Channel {
            negate: false,
            values: vec![channel as i32],
        });
    }
    let who = query.assignedUserID.map(|who| match who.trim().parse() {
        Ok(id) => Who::User(id),
        Err(_) => Who::Me,
    });
    if let Some(who) = who {
        filters.push(Filter::AssignedTo { negate: false, who });
    }
    if let Some(text) = query.query {
        // Each word must match somewhere in the ticket: its title, a message, its customer.
        for term in search::terms(&text)? {
            filters.push(Filter::Text { terms: vec![term] });
        }
    }
    let query = TicketQuery {
        filters,
        view_id: query.applyView,
        sort: None,
        start,
        limit,
    };
    let (items, total) = tickets::list(
        &db,
        auth.tenant_id,
        auth.user_id,
        query,
        settings.server.list_count_limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(TicketList {
        kind: ListType::List,
        item_start: start,
        item_limit: limit,
        item_total: total.count,
        item_total_exact: total.exact,
        items,
    }))
}
