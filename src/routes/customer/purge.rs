use actix_web::{web, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{KeyErrors, NotFound, Outcome};
use crate::routes::{path_id, result};
use crate::services::customers::{self, PurgeOutcome};
use crate::services::events::Events;

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
        KeyErrors,
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
    events: web::Data<Events>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::CustomerCud)?;
    let id = path_id(&id, "customer")?;
    let outcome =
        customers::purge(&db, &events, &settings.attachments.dir, auth.tenant_id, id).await?;
    Ok(result("Customer data purged.", outcome))
}
