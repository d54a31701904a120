use actix_web::{web, HttpResponse};

use crate::db::models::user::User;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{Item, KeyErrors, NotFound};
use crate::routes::{item, path_id};
use crate::services::users;

/// One agent
///
/// Permission: `USER_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/user/{id}",
    operation_id = "getUser",
    tag = "user",
    params(
        ("id" = i64, Path, minimum = 1, description = "The agent's id."),
    ),
    responses(
        (status = 200, description = "The agent.", body = Item<User>),
        KeyErrors,
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::UserRead)?;
    let id = path_id(&id, "user")?;
    Ok(item(users::get(&db, auth.tenant_id, id).await?))
}
