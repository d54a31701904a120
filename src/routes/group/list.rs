// Request fields keep their wire names (`itemStart`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::MAX_LIMIT;
use crate::db::Db;
use crate::domain::form::page;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_query, Auth};
use crate::openapi::answers::{BadRequest, KeyErrors, List};
use crate::routes::list;
use crate::services::groups::{self, GroupView};

#[derive(Deserialize, Validate, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct GroupListQuery {
    #[validate(range(min = 0, max = 2_147_483_647))]
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub itemStart: Option<i64>,
    #[validate(range(min = 1, max = MAX_LIMIT))]
    #[param(minimum = 1, maximum = 999, default = 15)]
    pub itemLimit: Option<i64>,
}

/// The tenant's agent groups, by name
///
/// Permission: `USER_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/group",
    operation_id = "listGroups",
    tag = "group",
    params(GroupListQuery),
    responses(
        (status = 200, description = "One page.", body = List<GroupView>),
        (status = 400, response = BadRequest),
        KeyErrors,
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::UserRead)?;
    let query: GroupListQuery = read_query(&req)?;
    let (start, limit) = page(query.itemStart, query.itemLimit);
    let (items, total) = groups::list(&db, auth.tenant_id, start, limit).await?;
    Ok(list(items, start, limit, total))
}
