// Request fields keep their wire names (`userIDs`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::form::{non_empty, IdList};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{Conflict, FormErrors, Item};
use crate::routes::item;
use crate::services::groups::{self, GroupView};

/// `POST /api/v2/group`.
#[derive(Deserialize, Validate, ToSchema)]
pub struct GroupCreateForm {
    /// Unique within the tenant.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(required, length(min = 1, max = 100))]
    #[schema(value_type = String, min_length = 1, max_length = 100, example = "Sales")]
    pub name: Option<String>,
    /// Its agents' ids: a JSON array or comma-separated.
    #[validate(length(max = 1000))]
    #[schema(value_type = Option<IdList>, max_items = 1000)]
    pub userIDs: Option<Vec<i64>>,
}

/// A new agent group
///
/// Names are unique within the tenant (`409`, `name` with the code `taken`); every id in
/// `userIDs` must be an agent of the tenant (`400`, `userIDs` with the code `unknown`).
///
/// Permission: `USER_CUD`.
#[utoipa::path(
    post,
    path = "/api/v2/group",
    operation_id = "createGroup",
    tag = "group",
    request_body(content(
        (GroupCreateForm = "multipart/form-data"),
        (GroupCreateForm = "application/x-www-form-urlencoded"),
        (GroupCreateForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The new group.", body = Item<GroupView>),
        FormErrors,
        (status = 409, response = Conflict),
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
    auth.require(Permission::UserCud)?;
    let form: GroupCreateForm = read_form(&req, payload, &settings).await?;
    let group = groups::create(
        &db,
        auth.tenant_id,
        form.name.unwrap_or_default(),
        form.userIDs.unwrap_or_default(),
    )
    .await?;
    Ok(item(group))
}
