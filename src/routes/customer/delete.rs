use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{KeyErrors, NotFound, Outcome};
use crate::routes::{path_id, result};
use crate::services::customers;

#[derive(Serialize, ToSchema)]
pub struct CustomerDeleted {
    #[serde(rename = "customerID")]
    pub customer_id: i64,
}

/// Delete a customer
///
/// Gone from lists and reads; their tickets stay.
///
/// Permission: `CUSTOMER_CUD`.
#[utoipa::path(
    delete,
    path = "/api/v2/customer/{id}",
    operation_id = "deleteCustomer",
    tag = "customer",
    params(
        ("id" = i64, Path, minimum = 1, description = "The customer's id."),
    ),
    responses(
        (status = 200, description = "Deleted; the message is `Customer deleted.`",
            body = Outcome<CustomerDeleted>),
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
    auth.require(Permission::CustomerCud)?;
    let id = path_id(&id, "customer")?;
    customers::delete(&db, auth.tenant_id, id).await?;
    Ok(result(
        "Customer deleted.",
        CustomerDeleted { customer_id: id },
    ))
}
