// Request fields keep their wire names (`isOnline`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::models::user::User;
use crate::db::Db;
use crate::domain::form::{email, non_empty};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{Conflict, FormErrors, Item};
use crate::routes::item;
use crate::services::users::{self, NewUser};

/// `POST /api/v2/user`.
#[derive(Deserialize, Validate, ToSchema)]
pub struct UserCreateForm {
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(required, length(min = 1, max = 255))]
    #[schema(value_type = String, min_length = 1, max_length = 255, example = "Alice")]
    pub name: Option<String>,
    /// Unique within the tenant.
    #[serde(default, deserialize_with = "email")]
    #[validate(required, length(min = 3, max = 254), email(code = "email"))]
    #[schema(value_type = String, min_length = 3, max_length = 254, format = Email,
        example = "alice@example.com")]
    pub email: Option<String>,
    #[schema(default = false)]
    pub isOnline: Option<bool>,
    #[schema(default = true)]
    pub emailNotifications: Option<bool>,
    /// The agent's password for the console (argon2id; never shown). Setting it ends every
    /// console session the agent has.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 8, max = 1024))]
    #[schema(min_length = 8, max_length = 1024, format = Password, write_only)]
    pub password: Option<String>,
}

/// A new agent
///
/// E-mail addresses are unique within the tenant (`409`, the field with the code `taken`).
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
        FormErrors,
        (status = 409, response = Conflict),
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
    let form: UserCreateForm = read_form(&req, payload, &settings).await?;
    let new = NewUser {
        name: form.name.unwrap_or_default(),
        email: form.email.unwrap_or_default(),
        is_online: form.isOnline.unwrap_or(false),
        email_notifications: form.emailNotifications.unwrap_or(true),
        password: form.password,
        permissions: None,
    };
    Ok(item(
        users::create(&db, auth.tenant_id, new, &auth.permissions).await?,
    ))
}
