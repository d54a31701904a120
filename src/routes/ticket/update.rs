use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::routes::{item, path_id};
use crate::services::tickets::{self, TicketChanges, PRIORITIES};

pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketUpdate)?;
    let id = path_id(&id, "ticket")?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let changes = TicketChanges {
        title: f.text("title", false, 1, 255),
        priority: f.one_of("priority", false, &PRIORITIES),
        assigned_user_id: f.nullable_int("assignedUserID", 1, i64::MAX),
        tags: f.list("tags", 50, 64),
    };
    f.finish()?;
    Ok(item(
        tickets::update(&db, auth.tenant_id, id, changes, auth.user_id).await?,
    ))
}
