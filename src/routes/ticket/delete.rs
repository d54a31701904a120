use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::routes::{path_id, result};
use crate::services::tickets;

pub async fn handle(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketDelete)?;
    let id = path_id(&id, "ticket")?;
    tickets::delete(&db, auth.tenant_id, id, auth.user_id).await?;
    Ok(result("Ticket deleted.", json!({"ticketID": id})))
}
