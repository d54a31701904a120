//! `/api/v2/customer`: the tenant's customers.

pub mod delete;
pub mod get;
pub mod list;
pub mod purge;
pub mod update;

use std::sync::LazyLock;

use actix_web::http::Method;
use regex::Regex;

use crate::routes::{on, Router};

pub(crate) const MAX_LIMIT: i64 = 99;
pub(crate) static QUERY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9a-zA-Z ]*$").expect("valid pattern"));

pub fn routes(r: &mut Router) {
    r.resource("/api/v2/customer", [on(Method::GET, list::handle)]);
    r.resource(
        "/api/v2/customer/{id}/purgeData",
        [on(Method::DELETE, purge::handle)],
    );
    r.resource(
        "/api/v2/customer/{id}",
        [
            on(Method::GET, get::handle),
            on(Method::PUT, update::handle),
            on(Method::DELETE, delete::handle),
        ],
    );
}
