use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db::models::customer::CustomerRow;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{CustomerDeleted, Forbidden, NotFound, Outcome, Unauthorized};
use crate::routes::{path_id, result};

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
    auth.require(Permission::CustomerCud)?;
    let (id, tenant) = (path_id(&id, "customer")?, auth.tenant_id);
    db.write(move |conn| {
        CustomerRow::find(conn, tenant, id)?;
        CustomerRow::soft_delete(conn, id)
    })
    .await?;
    Ok(result("Customer deleted.", json!({"customerID": id})))
}
