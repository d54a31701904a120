//! `/api/v2/notification`: the key's agent's notifications.

pub mod list;
pub mod set_is_read;
pub mod stream;

use actix_web::http::Method;

use crate::error::ApiError;
use crate::extract::AuthContext;
use crate::routes::{on, Router};

pub(crate) const MAX_LIMIT: i64 = 99;

pub fn routes(r: &mut Router) {
    r.resource("/api/v2/notification", [on(Method::GET, list::handle)]);
    r.resource(
        "/api/v2/notification/setIsRead",
        [on(Method::PUT, set_is_read::handle)],
    );
    r.resource(
        "/api/v2/notification/stream",
        [on(Method::GET, stream::handle)],
    );
}

/// Notifications belong to an agent: a key that acts as nobody has none.
pub(super) fn agent_of(auth: &AuthContext) -> Result<i64, ApiError> {
    auth.user_id.ok_or_else(|| {
        ApiError::validation(
            "apiKey",
            "agent",
            Some("notifications are an agent's: use a key made with --user"),
        )
    })
}
