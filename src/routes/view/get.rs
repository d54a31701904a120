use actix_web::{web, HttpResponse};

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{Item, KeyErrors, NotFound};
use crate::routes::{item, path_id};
use crate::services::views::{self, View};

/// One view
///
/// Permission: `VIEW_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/view/{id}",
    operation_id = "getView",
    tag = "view",
    params(
        ("id" = i64, Path, minimum = 1, description = "The view's id."),
    ),
    responses(
        (status = 200, description = "The view.", body = Item<View>),
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
    auth.require(Permission::ViewRead)?;
    let id = path_id(&id, "view")?;
    Ok(item(views::get(&db, auth.tenant_id, id).await?))
}
