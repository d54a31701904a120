use actix_web::{web, HttpRequest, HttpResponse};

use super::{MAX_LIMIT, QUERY};
use crate::db::models::customer::CustomerRow;
use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{BadRequest, Forbidden, List, Unauthorized};
use crate::openapi::requests::CustomerListQuery;
use crate::routes::list;

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
pub async fn handle(
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
