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
    BadRequest, Forbidden, Item, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::openapi::requests::UserCreateForm;
use crate::routes::item;

/// A new agent
///
/// E-mail addresses are unique within the tenant (`400` with the code `taken`).
///
/// Permission: `USER_CUD`.
#[utoipa::path(
    post,
    path = "/api/v2/user",
    operation_id = "createUser",
    tag = "user",
    request_body(content(
        (UserCreateForm = "multipart/form-data"),
        (UserCreateForm = "application/x-www-form-urlencoded"),
        (UserCreateForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The new agent.", body = Item<User>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::UserCud)?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let changes = read_user(&mut f, true);
    f.finish()?;
    check_email(&changes)?;
    let tenant = auth.tenant_id;
    let user = db
        .write(move |conn| {
            let id = User::create(
                conn,
                tenant,
                changes.name.as_deref().unwrap_or_default(),
                changes.email.as_deref().unwrap_or_default(),
                changes.is_online.unwrap_or(false),
                changes.email_notifications.unwrap_or(true),
            )?;
            User::find(conn, tenant, id)
        })
        .await
        .map_err(taken)?;
    Ok(item(user))
}
