use actix_web::{web, HttpRequest, HttpResponse};

use crate::db::models::ticket::TicketFilter;
use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::routes::list;
use crate::services::tickets::{self, STATUSES};

const MAX_LIMIT: i64 = 9999;

pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let mut q = FieldReader::from_query(req.query_string())?;
    let (start, limit) = paging(&mut q, MAX_LIMIT);
    let mut filter = TicketFilter {
        status: q.one_of("status", false, &STATUSES),
        channel_id: q
            .int("channelID", false, 1, i64::from(i32::MAX))
            .map(|c| c as i32),
        ..TicketFilter::default()
    };
    filter.assigned_user_id = match req_text(&req, "assignedUserID").as_deref() {
        Some("me") => Some(auth.user_id.ok_or_else(|| {
            ApiError::validation("assignedUserID", "me", Some("this key belongs to no agent"))
        })?),
        _ => q.int("assignedUserID", false, 1, i64::MAX),
    };
    for unsupported in ["applyView", "query"] {
        if q.has(unsupported) {
            return Err(ApiError::validation(
                unsupported,
                "unsupported",
                Some("views and full-text search are not available yet"),
            ));
        }
    }
    q.finish()?;
    let (items, total) = tickets::list(&db, auth.tenant_id, filter, start, limit).await?;
    Ok(list(items, start, limit, total))
}

fn req_text(req: &HttpRequest, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}
