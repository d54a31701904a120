use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;

use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::domain::search;
use crate::domain::view::{Filter, Who};
use crate::error::ApiError;
use crate::extract::Auth;
use crate::services::tickets::{self, STATUSES};

const MAX_LIMIT: i64 = 9999;

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
    Ok(HttpResponse::Ok().json(json!({
        "type": "list",
        "itemStart": start,
        "itemLimit": limit,
        "itemTotal": total.count,
        "itemTotalExact": total.exact,
        "items": items,
    })))
}
