use actix_web::{web, HttpResponse};

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{Item, KeyErrors, NotFound};
use crate::routes::{item, path_id};
use crate::services::groups::{self, GroupView};

/// One agent group
///
/// Permission: `USER_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/group/{id}",
    operation_id = "getGroup",
    tag = "group",
    params(("id" = i64, Path, minimum = 1, description = "The group's id.")),
    responses(
        (status = 200, description = "The group.", body = Item<GroupView>),
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
    let id = path_id(&id, "group")?;
    Ok(item(groups::get(&db, auth.tenant_id, id).await?))
}
