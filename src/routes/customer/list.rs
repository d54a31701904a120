// Request fields keep their wire names (`itemStart`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{MAX_LIMIT, QUERY};
use crate::db::models::customer::Customer;
use crate::db::Db;
use crate::domain::form::{non_empty, page};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_query, Auth};
use crate::openapi::answers::{BadRequest, KeyErrors, List};
use crate::routes::list;
use crate::services::customers;

#[derive(Deserialize, Validate, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    #[validate(range(min = 0, max = 2_147_483_647))]
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub itemStart: Option<i64>,
    #[validate(range(min = 1, max = MAX_LIMIT))]
    #[param(minimum = 1, maximum = 99, default = 15)]
    pub itemLimit: Option<i64>,
    /// Matches name, e-mail or phone; empty: no filter.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 1, max = 100), regex(path = *QUERY, code = "pattern"))]
    #[param(max_length = 100, pattern = r"^[0-9a-zA-Z ]*$")]
    pub query: Option<String>,
}

/// The tenant's customers
///
/// `query` matches name, e-mail or phone.
///
/// Permission: `CUSTOMER_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/customer",
    operation_id = "listCustomers",
    tag = "customer",
    params(CustomerListQuery),
    responses(
        (status = 200, description = "One page.", body = List<Customer>),
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
    auth.require(Permission::CustomerRead)?;
    let query: CustomerListQuery = read_query(&req)?;
    let (start, limit) = page(query.itemStart, query.itemLimit);
    let (items, total) = customers::list(&db, auth.tenant_id, query.query, start, limit).await?;
    Ok(list(items, start, limit, total))
}
