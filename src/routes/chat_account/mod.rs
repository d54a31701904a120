//! `/api/v2/chatAccount`: the tenant's chat accounts' settings (SETTINGS_CRUD).

pub mod get;
pub mod list;
pub mod update;

use actix_web::http::Method;

use crate::routes::{on, Router};

pub fn routes(r: &mut Router) {
    r.resource("/api/v2/chatAccount", [on(Method::GET, list::handle)]);
    r.resource(
        "/api/v2/chatAccount/{id}",
        [
            on(Method::GET, get::handle),
            on(Method::PUT, update::handle),
        ],
    );
}
