// Request fields keep their wire names (`isOnline`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::models::user::{User, UserChanges};
use crate::db::Db;
use crate::domain::form::{email, non_empty};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{Conflict, FormErrors, Item, NotFound};
use crate::routes::{item, path_id};
use crate::services::users;

/// `PUT /api/v2/user/{id}`: only the fields sent change.
#[derive(Deserialize, Validate, ToSchema)]
pub struct UserUpdateForm {
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    /// Unique within the tenant.
    #[serde(default, deserialize_with = "email")]
    #[validate(length(min = 3, max = 254), email(code = "email"))]
    #[schema(min_length = 3, max_length = 254, format = Email)]
    pub email: Option<String>,
    pub isOnline: Option<bool>,
    pub emailNotifications: Option<bool>,
    /// The agent's password for the console (argon2id; never shown). Setting it ends every
    /// console session the agent has.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 8, max = 1024))]
    #[schema(min_length = 8, max_length = 1024, format = Password, write_only)]
    pub password: Option<String>,
}

/// Change an agent
///
/// Only the fields sent change. E-mail addresses are unique within the tenant (`409`, the
/// field with the code `taken`).
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
        (Option<UserUpdateForm> = "multipart/form-data"),
        (Option<UserUpdateForm> = "application/x-www-form-urlencoded"),
        (Option<UserUpdateForm> = "application/json"),
    )),
    responses(
        (status = 200, description = "The agent.", body = Item<User>),
        FormErrors,
        (status = 409, response = Conflict),
        (status = 404, response = NotFound),
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
    let form: UserUpdateForm = read_form(&req, payload, &settings).await?;
    let changes = UserChanges {
        name: form.name,
        email: form.email,
        is_online: form.isOnline,
        email_notifications: form.emailNotifications,
    };
    let actor = auth.permissions.clone();
    let user = users::update(&db, auth.tenant_id, id, changes, form.password, actor).await?;
    Ok(item(user))
}
