//! `/api/v2/group`: the tenant's agent groups.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;

use actix_web::http::Method;

use crate::routes::{on, Router};

pub(crate) const MAX_LIMIT: i64 = 999;

pub fn routes(r: &mut Router) {
    r.resource(
        "/api/v2/group",
        [
            on(Method::GET, list::handle),
            on(Method::POST, create::handle),
        ],
    );
    r.resource(
        "/api/v2/group/{id}",
        [
            on(Method::GET, get::handle),
            on(Method::PUT, update::handle),
            on(Method::DELETE, delete::handle),
        ],
    );
}
