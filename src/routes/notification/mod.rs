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

/// `[1, 2]`, `["1", "2"]` or `1,2`.
pub(super) fn parse_ids(raw: &str) -> Option<Vec<i64>> {
    let ids: Vec<i64> = if raw.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<serde_json::Value>>(raw)
            .ok()?
            .into_iter()
            .map(|v| match v {
                serde_json::Value::Number(n) => n.as_i64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .collect::<Option<_>>()?
    } else {
        raw.split(',')
            .map(|s| s.trim().parse().ok())
            .collect::<Option<_>>()?
    };
    (ids.len() <= 1000).then_some(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_as_arrays_or_text() {
        assert_eq!(parse_ids("[1, 2]"), Some(vec![1, 2]));
        assert_eq!(parse_ids(r#"["3","4"]"#), Some(vec![3, 4]));
        assert_eq!(parse_ids("5, 6"), Some(vec![5, 6]));
        assert_eq!(parse_ids("x1"), None);
        assert_eq!(parse_ids("[true]"), None);
    }
}
