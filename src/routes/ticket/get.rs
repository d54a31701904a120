use actix_web::{web, HttpRequest, HttpResponse};

use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::routes::{item, path_id};
use crate::services::tickets;

pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let id = path_id(&id, "ticket")?;
    let mut q = FieldReader::from_query(req.query_string())?;
    let history = q.boolean("getTicketHistory").unwrap_or(false);
    q.finish()?;
    Ok(item(tickets::get(&db, auth.tenant_id, id, history).await?))
}
