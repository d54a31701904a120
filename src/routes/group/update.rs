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
use crate::openapi::answers::{Conflict, FormErrors, Item, NotFound};
use crate::routes::{item, path_id};
use crate::services::groups::{self, GroupChanges, GroupView};

/// `PUT /api/v2/group/{id}`: only the fields sent change.
#[derive(Deserialize, Validate, ToSchema)]
pub struct GroupUpdateForm {
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// All its agents from now on (an empty list empties it).
    #[validate(length(max = 1000))]
    #[schema(value_type = Option<IdList>, max_items = 1000)]
    pub userIDs: Option<Vec<i64>>,
}

/// Rename a group, or change who is in it
///
/// Permission: `USER_CUD`.
#[utoipa::path(
    put,
    path = "/api/v2/group/{id}",
    operation_id = "updateGroup",
    tag = "group",
    params(("id" = i64, Path, minimum = 1, description = "The group's id.")),
    request_body(content(
        (Option<GroupUpdateForm> = "application/json"),
        (Option<GroupUpdateForm> = "application/x-www-form-urlencoded"),
        (Option<GroupUpdateForm> = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "The group now.", body = Item<GroupView>),
        FormErrors,
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
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
    auth.require(Permission::UserCud)?;
    let id = path_id(&id, "group")?;
    let form: GroupUpdateForm = read_form(&req, payload, &settings).await?;
    let changes = GroupChanges {
        name: form.name,
        user_ids: form.userIDs,
    };
    Ok(item(
        groups::update(&db, auth.tenant_id, id, changes).await?,
    ))
}
