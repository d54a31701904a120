//! `/api/v2/ticket`: tickets as agents work them. One file per action.

pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod set_priority;
pub(crate) mod set_status;
pub(crate) mod update;

use actix_web::http::Method;

use super::{on, Router};

pub fn routes(r: &mut Router) {
    r.resource(
        "/api/v2/ticket",
        [
            on(Method::GET, list::handle),
            on(Method::POST, create::handle),
        ],
    );
    r.resource(
        "/api/v2/ticket/setStatus",
        [on(Method::POST, set_status::handle)],
    );
    r.resource(
        "/api/v2/ticket/setPriority",
        [on(Method::POST, set_priority::handle)],
    );
    r.resource(
        "/api/v2/ticket/{id}",
        [
            on(Method::GET, get::handle),
            on(Method::PUT, update::handle),
            on(Method::DELETE, delete::handle),
        ],
    );
}
