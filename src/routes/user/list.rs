use actix_web::{web, HttpRequest, HttpResponse};

use super::MAX_LIMIT;
use crate::db::models::user::User;
use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{BadRequest, Forbidden, List, Unauthorized};
use crate::openapi::requests::UserListQuery;
use crate::routes::list;

/// The tenant's agents
///
/// Permission: `USER_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/user",
    operation_id = "listUsers",
    tag = "user",
    params(UserListQuery),
    responses(
        (status = 200, description = "One page.", body = List<User>),
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
    auth.require(Permission::UserRead)?;
    let mut q = FieldReader::from_query(req.query_string())?;
    let (start, limit) = paging(&mut q, MAX_LIMIT);
    q.finish()?;
    let tenant = auth.tenant_id;
    let (users, total) = db
        .read(move |conn| User::list(conn, tenant, start, limit))
        .await?;
    Ok(list(users, start, limit, total))
}
