//! `/api/v2/user`: the tenant's agents.

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::models::user::{User, UserChanges};
use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Item, List, NotFound, Outcome, PayloadTooLarge, Unauthorized,
    UnsupportedMediaType, UserDeleted,
};
use crate::openapi::requests::{UserCreateForm, UserListQuery, UserUpdateForm};
use crate::routes::{item, list, on, path_id, result, Router};

pub(crate) const MAX_LIMIT: i64 = 999;

pub fn routes(r: &mut Router) {
    r.resource(
        "/api/v2/user",
        [on(Method::GET, list_users), on(Method::POST, create_user)],
    );
    r.resource(
        "/api/v2/user/{id}",
        [
            on(Method::GET, get_user),
            on(Method::PUT, update_user),
            on(Method::DELETE, delete_user),
        ],
    );
}

fn email_ok(email: &str) -> bool {
    validator::ValidateEmail::validate_email(&email)
}

/// The tenant's agents
///
/// Permission: `USER_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/user",
    operation_id = "listUsers",
    tag = "user",
    params(UserListQuery),
    responses(
        (status = 200, description = "One page.", body = List<User>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("apiKey" = [])),
)]
async fn list_users(
    Auth(auth): Auth,
    req: HttpRequest,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::UserRead)?;
    let mut q = FieldReader::from_query(req.query_string())?;
    let (start, limit) = paging(&mut q, MAX_LIMIT);
    q.finish()?;
    let tenant = auth.tenant_id;
    let (users, total) = db
        .read(move |conn| User::list(conn, tenant, start, limit))
        .await?;
    Ok(list(users, start, limit, total))
}

/// One agent
///
/// Permission: `USER_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/user/{id}",
    operation_id = "getUser",
    tag = "user",
    params(
        ("id" = i64, Path, minimum = 1, description = "The agent's id."),
    ),
    responses(
        (status = 200, description = "The agent.", body = Item<User>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
async fn get_user(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::UserRead)?;
    let (id, tenant) = (path_id(&id, "user")?, auth.tenant_id);
    Ok(item(
        db.read(move |conn| User::find(conn, tenant, id)).await?,
    ))
}

fn read_user(f: &mut FieldReader, creating: bool) -> UserChanges {
    let changes = UserChanges {
        name: f.text("name", creating, 1, 255),
        email: f
            .text("email", creating, 3, 254)
            .map(|e| e.trim().to_lowercase()),
        is_online: f.boolean("isOnline"),
        email_notifications: f.boolean("emailNotifications"),
    };
    changes
}

fn check_email(changes: &UserChanges) -> Result<(), ApiError> {
    match &changes.email {
        Some(e) if !email_ok(e) => Err(ApiError::validation("email", "email", None)),
        _ => Ok(()),
    }
}

fn taken(e: ApiError) -> ApiError {
    match e {
        ApiError::Conflict => {
            ApiError::validation("email", "taken", Some("another agent has this e-mail"))
        }
        other => other,
    }
}

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
async fn create_user(
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
async fn update_user(
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
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
async fn delete_user(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::UserCud)?;
    let (id, tenant) = (path_id(&id, "user")?, auth.tenant_id);
    db.write(move |conn| User::find(conn, tenant, id)?.delete(conn))
        .await?;
    Ok(result("User deleted.", json!({"userID": id})))
}
