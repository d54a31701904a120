//! `/api/v2/customer`: the tenant's customers.

use std::sync::LazyLock;

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use regex::Regex;
use serde_json::json;

use crate::config::Settings;
use crate::db::models::customer::CustomerRow;
use crate::db::Db;
use crate::domain::chat_requests::PHONE_WITH_PLUS;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, CustomerDeleted, Forbidden, Item, List, NotFound, Outcome, PayloadTooLarge,
    Unauthorized, UnsupportedMediaType,
};
use crate::openapi::requests::{CustomerListQuery, CustomerUpdateForm};
use crate::routes::{item, list, on, path_id, result, Router};
use crate::services::customers::{self, PurgeOutcome};

pub(crate) const MAX_LIMIT: i64 = 99;
pub(crate) static QUERY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9a-zA-Z ]+$").expect("valid pattern"));

pub fn routes(r: &mut Router) {
    r.resource("/api/v2/customer", [on(Method::GET, list_customers)]);
    r.resource(
        "/api/v2/customer/{id}/purgeData",
        [on(Method::DELETE, purge_customer)],
    );
    r.resource(
        "/api/v2/customer/{id}",
        [
            on(Method::GET, get_customer),
            on(Method::PUT, update_customer),
            on(Method::DELETE, delete_customer),
        ],
    );
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
        (status = 200, description = "One page.", body = List<CustomerRow>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("apiKey" = [])),
)]
async fn list_customers(
    Auth(auth): Auth,
    req: HttpRequest,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::CustomerRead)?;
    let mut q = FieldReader::from_query(req.query_string())?;
    let (start, limit) = paging(&mut q, MAX_LIMIT);
    let query = q.text("query", false, 1, 100);
    q.finish()?;
    if query.as_deref().is_some_and(|t| !QUERY.is_match(t)) {
        return Err(ApiError::validation(
            "query",
            "pattern",
            Some("letters, digits and spaces"),
        ));
    }
    let tenant = auth.tenant_id;
    let (rows, total) = db
        .read(move |conn| CustomerRow::list(conn, tenant, query.as_deref(), start, limit))
        .await?;
    Ok(list(rows, start, limit, total))
}

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
        (status = 200, description = "The customer.", body = Item<CustomerRow>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
async fn get_customer(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::CustomerRead)?;
    let (id, tenant) = (path_id(&id, "customer")?, auth.tenant_id);
    Ok(item(
        db.read(move |conn| CustomerRow::find(conn, tenant, id))
            .await?,
    ))
}

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
async fn update_customer(
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
async fn delete_customer(
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

/// Erase a customer's personal data
///
/// Name, e-mail, phone, the texts of every message on their tickets, those tickets' titles
/// and source urls, visited urls, attachments' names, hashes and bytes (removed from disk);
/// pending deliveries are cancelled. The anonymous ticket shells stay for statistics.
///
/// Permission: `CUSTOMER_CUD`.
#[utoipa::path(
    delete,
    path = "/api/v2/customer/{id}/purgeData",
    operation_id = "purgeCustomerData",
    tag = "customer",
    params(
        ("id" = i64, Path, minimum = 1, description = "The customer's id."),
    ),
    responses(
        (status = 200, description = "Erased; the message is `Customer data purged.`",
            body = Outcome<PurgeOutcome>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
async fn purge_customer(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::CustomerCud)?;
    let id = path_id(&id, "customer")?;
    let outcome = customers::purge(&db, &settings.attachments.dir, auth.tenant_id, id).await?;
    Ok(result("Customer data purged.", outcome))
}
