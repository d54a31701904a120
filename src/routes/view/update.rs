use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::domain::view::{conditions_from_text, Sort};
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Item, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::openapi::requests::ViewUpdateForm;
use crate::routes::{item, path_id};
use crate::services::views::{self, View};

/// Change a view
///
/// Only the fields sent change; an invalid condition is a `400` naming it.
///
/// Permission: `VIEW_CUD`.
#[utoipa::path(
    put,
    path = "/api/v2/view/{id}",
    operation_id = "updateView",
    tag = "view",
    params(
        ("id" = i64, Path, minimum = 1, description = "The view's id."),
    ),
    request_body(content(
        (ViewUpdateForm = "multipart/form-data"),
        (ViewUpdateForm = "application/x-www-form-urlencoded"),
        (ViewUpdateForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The view.", body = Item<View>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::ViewCud)?;
    let id = path_id(&id, "view")?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let name = f.text("name", false, 1, 255);
    let conditions = f.text("conditions", false, 1, 65_536);
    let sort = f.text("sort", false, 1, 200);
    f.finish()?;
    let conditions = conditions.map(|t| conditions_from_text(&t)).transpose()?;
    let sort = sort.map(|s| Sort::parse(&s)).transpose()?;
    Ok(item(
        views::update(&db, auth.tenant_id, id, name, conditions, sort).await?,
    ))
}
