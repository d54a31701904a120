use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{KeyErrors, NotFound, Outcome};
use crate::routes::{path_id, result};
use crate::services::groups;

#[derive(Serialize, ToSchema)]
pub struct GroupDeleted {
    #[serde(rename = "groupID")]
    pub group_id: i64,
}

/// Remove an agent group
///
/// Its agents stay; only the group goes.
///
/// Permission: `USER_CUD`.
#[utoipa::path(
    delete,
    path = "/api/v2/group/{id}",
    operation_id = "deleteGroup",
    tag = "group",
    params(("id" = i64, Path, minimum = 1, description = "The group's id.")),
    responses(
        (status = 200, description = "Removed; the message is `Group deleted.`",
            body = Outcome<GroupDeleted>),
        KeyErrors,
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::UserCud)?;
    let id = path_id(&id, "group")?;
    groups::delete(&db, auth.tenant_id, id).await?;
    Ok(result("Group deleted.", GroupDeleted { group_id: id }))
}
