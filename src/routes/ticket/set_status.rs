use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::routes::item;
use crate::services::tickets::{self, STATUSES};

pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::SetStatus)?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let ticket_id = f.int("ticketID", true, 1, i64::MAX);
    let status = f.one_of("status", true, &STATUSES);
    f.finish()?;
    let (Some(ticket_id), Some(status)) = (ticket_id, status) else {
        return Err(ApiError::Internal("validated fields missing".into()));
    };
    Ok(item(
        tickets::set_status(&db, auth.tenant_id, ticket_id, status, auth.user_id).await?,
    ))
}
