//! `/api/v2/ticket`: tickets as agents work them. One file per action.

mod create;
mod delete;
mod get;
mod list;
mod set_priority;
mod set_status;
mod update;

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
