use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::models::customer::Customer;
use crate::db::Db;
use crate::domain::chat_requests::PHONE_WITH_PLUS;
use crate::domain::form::{email, non_empty};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{Conflict, FormErrors, Item, NotFound};
use crate::routes::{item, path_id};
use crate::services::customers::{self, CustomerChanges};

/// `PUT /api/v2/customer/{id}`: only the fields sent change.
#[derive(Deserialize, Validate, ToSchema)]
pub struct CustomerUpdateForm {
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    /// Unique within the tenant.
    #[serde(default, deserialize_with = "email")]
    #[validate(length(min = 3, max = 254), email(code = "email"))]
    #[schema(min_length = 3, max_length = 254, format = Email)]
    pub email: Option<String>,
    /// Unique within the tenant.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 2, max = 32), regex(path = *PHONE_WITH_PLUS, code = "pattern"))]
    #[schema(min_length = 2, max_length = 32, pattern = r"^\+[0-9]+$")]
    pub phone: Option<String>,
}

/// Change a customer
///
/// Only the fields sent change. E-mail and phone are unique within the tenant (`409`, the
/// field with the code `taken`).
///
/// Permission: `CUSTOMER_CUD`.
#[utoipa::path(
    put,
    path = "/api/v2/customer/{id}",
    operation_id = "updateCustomer",
    tag = "customer",
    params(
        ("id" = i64, Path, minimum = 1, description = "The customer's id."),
    ),
    request_body(content(
        (Option<CustomerUpdateForm> = "multipart/form-data"),
        (Option<CustomerUpdateForm> = "application/x-www-form-urlencoded"),
        (Option<CustomerUpdateForm> = "application/json"),
    )),
    responses(
        (status = 200, description = "The customer.", body = Item<Customer>),
        FormErrors,
        (status = 409, response = Conflict),
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
    auth.require(Permission::CustomerCud)?;
    let id = path_id(&id, "customer")?;
    let form: CustomerUpdateForm = read_form(&req, payload, &settings).await?;
    let changes = CustomerChanges {
        name: form.name,
        email: form.email,
        phone: form.phone,
    };
    Ok(item(
        customers::update(&db, auth.tenant_id, id, changes).await?,
    ))
}
