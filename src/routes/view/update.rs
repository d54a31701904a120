use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::SortInput;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::form::non_empty;
use crate::domain::permission::Permission;
use crate::domain::view::{conditions_from_text, Condition, Sort};
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{FormErrors, Item, NotFound};
use crate::routes::{item, path_id};
use crate::services::views::{self, View, ViewChanges};

/// `PUT /api/v2/view/{id}`: only the fields sent change.
#[derive(Deserialize, Validate, ToSchema)]
pub struct ViewUpdateForm {
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(max = 65_536))]
    #[schema(value_type = Option<Vec<Condition>>)]
    pub conditions: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(max = 200))]
    #[schema(value_type = Option<SortInput>)]
    pub sort: Option<String>,
}

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
        (Option<ViewUpdateForm> = "multipart/form-data"),
        (Option<ViewUpdateForm> = "application/x-www-form-urlencoded"),
        (Option<ViewUpdateForm> = "application/json"),
    )),
    responses(
        (status = 200, description = "The view.", body = Item<View>),
        FormErrors,
        (status = 404, response = NotFound),
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
    let form: ViewUpdateForm = read_form(&req, payload, &settings).await?;
    let changes = ViewChanges {
        name: form.name,
        conditions: form
            .conditions
            .map(|t| conditions_from_text(&t))
            .transpose()?,
        sort: form.sort.map(|s| Sort::parse(&s)).transpose()?,
    };
    Ok(item(views::update(&db, auth.tenant_id, id, changes).await?))
}
