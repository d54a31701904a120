use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::Settings;

use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::domain::search;
use crate::domain::ticket::STATUSES;
use crate::domain::view::{Filter, Who};
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{BadRequest, Forbidden, ListType, NotFound, Unauthorized};
use crate::openapi::requests::TicketListQuery;
use crate::services::tickets::{self, TicketView};

pub(crate) const MAX_LIMIT: i64 = 9999;

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
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
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
    let mut q = FieldReader::from_query(req.query_string())?;
    let (start, limit) = paging(&mut q, MAX_LIMIT);
    let mut filters = Vec::new();
    if let Some(status) = q.one_of("status", false, &STATUSES) {
        filters.push(Filter::Status {
            negate: false,
            values: vec![status],
        });
    }
    if let Some(channel) = q.int("channelID", false, 1, i64::from(i32::MAX)) {
        filters.push(Filter::Channel {
            negate: false,
            values: vec![channel as i32],
        });
    }
    let who = match q.peek("assignedUserID") {
        Some("me") => Some(Who::Me),
        _ => q.int("assignedUserID", false, 1, i64::MAX).map(Who::User),
    };
    if let Some(who) = who {
        filters.push(Filter::AssignedTo { negate: false, who });
    }
    let view = q.int("applyView", false, 1, i64::MAX);
    let text = q.text("query", false, 1, 500);
    q.finish()?;
    if let Some(text) = text {
        // Each word must match somewhere in the ticket: its title, a message, its customer.
        for term in search::terms(&text)? {
            filters.push(Filter::Text { terms: vec![term] });
        }
    }
    let (items, total) = tickets::list(
        &db,
        auth.tenant_id,
        auth.user_id,
        filters,
        view,
        start,
        limit,
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
