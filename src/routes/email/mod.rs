//! `/api/v2/email`: mail in, from a mail relay.

pub mod inbound;

use actix_web::http::Method;

use crate::routes::{on, Router};

pub fn routes(r: &mut Router) {
    r.resource("/api/v2/email/inbound", [on(Method::POST, inbound::handle)]);
}
