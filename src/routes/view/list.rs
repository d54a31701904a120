use actix_web::{web, HttpRequest, HttpResponse};

use super::MAX_LIMIT;
use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{BadRequest, Forbidden, List, Unauthorized};
use crate::openapi::requests::ViewListQuery;
use crate::routes::list;
use crate::services::views::{self, View};

/// Views
///
/// The tenant's saved ticket filters; `GET /api/v2/ticket?applyView={id}` lists a view's
/// tickets.
///
/// Permission: `VIEW_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/view",
    operation_id = "listViews",
    tag = "view",
    params(ViewListQuery),
    responses(
        (status = 200, description = "One page.", body = List<View>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::ViewRead)?;
    let mut q = FieldReader::from_query(req.query_string())?;
    let (start, limit) = paging(&mut q, MAX_LIMIT);
    q.finish()?;
    let (items, total) = views::list(&db, auth.tenant_id, start, limit).await?;
    Ok(list(items, start, limit, total))
}
