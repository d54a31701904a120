use actix_web::{web, HttpRequest, HttpResponse};

use super::{check_email, read_user, taken};
use crate::config::Settings;
use crate::db::models::user::User;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Item, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::openapi::requests::UserUpdateForm;
use crate::routes::{item, path_id};

/// Change an agent
///
/// Only the fields sent change. E-mail addresses are unique within the tenant (`400` with
/// the code `taken`).
///
/// Permission: `USER_CUD`.
#[utoipa::path(
    put,
    path = "/api/v2/user/{id}",
    operation_id = "updateUser",
    tag = "user",
    params(
        ("id" = i64, Path, minimum = 1, description = "The agent's id."),
    ),
    request_body(content(
        (UserUpdateForm = "multipart/form-data"),
        (UserUpdateForm = "application/x-www-form-urlencoded"),
        (UserUpdateForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The agent.", body = Item<User>),
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
    auth.require(Permission::UserCud)?;
    let id = path_id(&id, "user")?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let changes = read_user(&mut f, false);
    f.finish()?;
    check_email(&changes)?;
    let tenant = auth.tenant_id;
    let user = db
        .write(move |conn| {
            User::find(conn, tenant, id)?.update(conn, &changes)?;
            User::find(conn, tenant, id)
        })
        .await
        .map_err(taken)?;
    Ok(item(user))
}
