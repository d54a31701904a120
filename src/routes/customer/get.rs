use actix_web::{web, HttpResponse};

use crate::db::models::customer::Customer;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{Item, KeyErrors, NotFound};
use crate::routes::{item, path_id};
use crate::services::customers;

/// One customer
///
/// Permission: `CUSTOMER_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/customer/{id}",
    operation_id = "getCustomer",
    tag = "customer",
    params(
        ("id" = i64, Path, minimum = 1, description = "The customer's id."),
    ),
    responses(
        (status = 200, description = "The customer.", body = Item<Customer>),
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
    auth.require(Permission::CustomerRead)?;
    let id = path_id(&id, "customer")?;
    Ok(item(customers::get(&db, auth.tenant_id, id).await?))
}
