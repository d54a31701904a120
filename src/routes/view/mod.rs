//! `/api/v2/view`: saved ticket filters.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;

use actix_web::http::Method;

use crate::routes::{on, Router};

/// A sort: `{"field", "direction"}`, or the same as text, e.g. `created_at asc`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum SortInput {
    Object(crate::domain::view::Sort),
    /// `FIELD [DIRECTION]`: `last_update`, `created_at` or `id`, then `asc` or `desc`
    /// (default `desc`).
    /// At most 200 characters.
    Text(String),
}

pub(crate) const MAX_LIMIT: i64 = 9999;

pub fn routes(r: &mut Router) {
    r.resource(
        "/api/v2/view",
        [
            on(Method::GET, list::handle),
            on(Method::POST, create::handle),
        ],
    );
    r.resource(
        "/api/v2/view/{id}",
        [
            on(Method::GET, get::handle),
            on(Method::PUT, update::handle),
            on(Method::DELETE, delete::handle),
        ],
    );
}
