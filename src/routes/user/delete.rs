use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{KeyErrors, NotFound, Outcome};
use crate::routes::{path_id, result};
use crate::services::events::Events;
use crate::services::users;

#[derive(Serialize, ToSchema)]
pub struct UserDeleted {
    #[serde(rename = "userID")]
    pub user_id: i64,
}

/// Remove an agent
///
/// Permission: `USER_CUD`.
#[utoipa::path(
    delete,
    path = "/api/v2/user/{id}",
    operation_id = "deleteUser",
    tag = "user",
    params(
        ("id" = i64, Path, minimum = 1, description = "The agent's id."),
    ),
    responses(
        (status = 200, description = "Removed; the message is `User deleted.`",
            body = Outcome<UserDeleted>),
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
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::UserCud)?;
    let id = path_id(&id, "user")?;
    users::delete(&db, &events, auth.tenant_id, id).await?;
    Ok(result("User deleted.", UserDeleted { user_id: id }))
}
