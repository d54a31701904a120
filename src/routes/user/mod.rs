//! `/api/v2/user`: the tenant's agents.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;

use actix_web::http::Method;

use crate::db::models::user::UserChanges;
use crate::domain::fields::FieldReader;
use crate::error::ApiError;
use crate::routes::{on, Router};

pub(crate) const MAX_LIMIT: i64 = 999;

pub fn routes(r: &mut Router) {
    r.resource(
        "/api/v2/user",
        [
            on(Method::GET, list::handle),
            on(Method::POST, create::handle),
        ],
    );
    r.resource(
        "/api/v2/user/{id}",
        [
            on(Method::GET, get::handle),
            on(Method::PUT, update::handle),
            on(Method::DELETE, delete::handle),
        ],
    );
}

pub(super) fn email_ok(email: &str) -> bool {
    validator::ValidateEmail::validate_email(&email)
}

pub(super) fn read_user(f: &mut FieldReader, creating: bool) -> UserChanges {
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

pub(super) fn check_email(changes: &UserChanges) -> Result<(), ApiError> {
    match &changes.email {
        Some(e) if !email_ok(e) => Err(ApiError::validation("email", "email", None)),
        _ => Ok(()),
    }
}

pub(super) fn taken(e: ApiError) -> ApiError {
    match e {
        ApiError::Conflict => {
            ApiError::validation("email", "taken", Some("another agent has this e-mail"))
        }
        other => other,
    }
}
