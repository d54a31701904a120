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
use crate::routes::{item, list, on, path_id, result, Router};

const MAX_LIMIT: i64 = 999;

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
