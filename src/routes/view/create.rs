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
use crate::openapi::answers::{FormErrors, Item};
use crate::routes::item;
use crate::services::views::{self, View, ViewInput};

/// `POST /api/v2/view`.
#[derive(Deserialize, Validate, ToSchema)]
pub struct ViewCreateForm {
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(required, length(min = 1, max = 255))]
    #[schema(value_type = String, min_length = 1, max_length = 255,
        example = "Unassigned waiting chats")]
    pub name: Option<String>,
    /// All must hold. In a form: the same JSON array as text.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(max = 65_536))]
    #[schema(value_type = Option<Vec<Condition>>)]
    pub conditions: Option<String>,
    /// Default: newest update first.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(max = 200))]
    #[schema(value_type = Option<SortInput>)]
    pub sort: Option<String>,
}

/// A new view
///
/// An invalid condition is a `400` naming it (`conditions[2]`: `unknown_field`,
/// `unknown_operator` or `invalid_value`, with what would be right).
///
/// Permission: `VIEW_CUD`.
#[utoipa::path(
    post,
    path = "/api/v2/view",
    operation_id = "createView",
    tag = "view",
    request_body(content(
        (ViewCreateForm = "multipart/form-data"),
        (ViewCreateForm = "application/x-www-form-urlencoded"),
        (ViewCreateForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The new view.", body = Item<View>),
        FormErrors,
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::ViewCud)?;
    let form: ViewCreateForm = read_form(&req, payload, &settings).await?;
    let input = ViewInput {
        name: form.name.unwrap_or_default(),
        conditions: match form.conditions {
            Some(text) => conditions_from_text(&text)?,
            None => Vec::new(),
        },
        sort: form
            .sort
            .map(|s| Sort::parse(&s))
            .transpose()?
            .unwrap_or_default(),
    };
    Ok(item(
        views::create(&db, auth.tenant_id, auth.user_id, input).await?,
    ))
}
