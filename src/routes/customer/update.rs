use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::models::customer::CustomerRow;
use crate::db::Db;
use crate::domain::chat_requests::PHONE_WITH_PLUS;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Item, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::openapi::requests::CustomerUpdateForm;
use crate::routes::{item, path_id};

/// Change a customer
///
/// Only the fields sent change. E-mail and phone are unique within the tenant (`400` with the
/// code `taken`).
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
        (CustomerUpdateForm = "multipart/form-data"),
        (CustomerUpdateForm = "application/x-www-form-urlencoded"),
        (CustomerUpdateForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The customer.", body = Item<CustomerRow>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
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
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let name = f.text("name", false, 1, 255);
    let email = f
        .text("email", false, 3, 254)
        .map(|e| e.trim().to_lowercase());
    let phone = f.text("phone", false, 2, 32);
    f.finish()?;
    if email
        .as_deref()
        .is_some_and(|e| !validator::ValidateEmail::validate_email(&e))
    {
        return Err(ApiError::validation("email", "email", None));
    }
    if phone
        .as_deref()
        .is_some_and(|p| !PHONE_WITH_PLUS.is_match(p))
    {
        return Err(ApiError::validation(
            "phone",
            "pattern",
            Some("+ and digits"),
        ));
    }
    let tenant = auth.tenant_id;
    let customer = db
        .write(move |conn| {
            let current = CustomerRow::find(conn, tenant, id)?;
            CustomerRow::update(
                conn,
                id,
                name.as_deref().or(current.name.as_deref()),
                email.as_deref().or(current.email.as_deref()),
                phone.as_deref().or(current.phone.as_deref()),
            )?;
            CustomerRow::find(conn, tenant, id)
        })
        .await
        .map_err(|e| match e {
            ApiError::Conflict => ApiError::validation(
                "email",
                "taken",
                Some("another customer has this e-mail or phone"),
            ),
            other => other,
        })?;
    Ok(item(customer))
}
