use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{KeyErrors, NotFound, Outcome};
use crate::routes::{path_id, result};
use crate::services::views;

#[derive(Serialize, ToSchema)]
pub struct ViewDeleted {
    #[serde(rename = "viewID")]
    pub view_id: i64,
}

/// Remove a view
///
/// Permission: `VIEW_CUD`.
#[utoipa::path(
    delete,
    path = "/api/v2/view/{id}",
    operation_id = "deleteView",
    tag = "view",
    params(
        ("id" = i64, Path, minimum = 1, description = "The view's id."),
    ),
    responses(
        (status = 200, description = "Removed; the message is `View deleted.`",
            body = Outcome<ViewDeleted>),
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
    auth.require(Permission::ViewCud)?;
    let id = path_id(&id, "view")?;
    views::delete(&db, auth.tenant_id, id).await?;
    Ok(result("View deleted.", ViewDeleted { view_id: id }))
}
