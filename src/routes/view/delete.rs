use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db::models::view::ViewRow;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{Forbidden, NotFound, Outcome, Unauthorized, ViewDeleted};
use crate::routes::{path_id, result};

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
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
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
    let (id, tenant) = (path_id(&id, "view")?, auth.tenant_id);
    db.write(move |conn| {
        ViewRow::find(conn, tenant, id)?;
        ViewRow::delete(conn, id)
    })
    .await?;
    Ok(result("View deleted.", json!({"viewID": id})))
}
