//! Who is at the console: the agent whose session the cookie names, and the CSRF token that
//! every change they make carries.

pub use crate::extract::client_address;
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use subtle::ConstantTimeEq;

use crate::config::Settings;
use crate::db::models::user::User;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::auth::AuthContext;
use crate::services::sign_in;

use super::page::ConsoleError;

/// The session cookie's name.
pub const COOKIE: &str = "omnibridge_session";
/// Sent by the console's script when it reads a page again to refresh it.
pub const REFRESH_HEADER: &str = "X-Console-Refresh";
pub const EVENTS_PATH: &str = "/console/events";

/// A signed-in agent: what they may do (as an API key bound to them may), who they are, and
/// their session's CSRF token.
pub struct Agent {
    pub auth: AuthContext,
    pub user: User,
    pub csrf: String,
    pub token: String,
}

impl Agent {
    /// Refuses a change whose form or header does not carry this session's CSRF token.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), ConsoleError> {
        let presented = presented.unwrap_or_default();
        if bool::from(self.csrf.as_bytes().ct_eq(presented.as_bytes())) {
            Ok(())
        } else {
            Err(ApiError::CsrfRejected.into())
        }
    }

    /// A change: its CSRF token must be this session's, and the agent must hold the
    /// permission the API asks for the same change.
    pub fn authorize(
        &self,
        presented: Option<&str>,
        permission: Permission,
    ) -> Result<(), ConsoleError> {
        self.check_csrf(presented)?;
        Ok(self.auth.require(permission)?)
    }

    pub fn id(&self) -> i64 {
        self.user.id
    }
}

fn app<T: 'static>(req: &HttpRequest) -> Result<web::Data<T>, ApiError> {
    req.app_data::<web::Data<T>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("missing app data".into()))
}

/// The agent signed in with this request's cookie, if any.
pub async fn signed_in(req: &HttpRequest) -> Result<Option<Agent>, ApiError> {
    let Some(token) = req.cookie(COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let (db, settings) = (app::<Db>(req)?, app::<Settings>(req)?);
    // A page's script refreshing it, or its event stream, is not the agent at work.
    let used = !req.headers().contains_key(REFRESH_HEADER) && req.path() != EVENTS_PATH;
    let Some(agent) = sign_in::session(&db, &settings.console, &token, used).await? else {
        return Ok(None);
    };
    Ok(Some(Agent {
        auth: AuthContext {
            tenant_id: agent.user.tenant_id,
            api_key_id: 0,
            user_id: Some(agent.user.id),
            permissions: agent.permissions,
        },
        csrf: sign_in::csrf_token(&token),
        user: agent.user,
        token,
    }))
}

impl FromRequest for Agent {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in(&req).await?.ok_or(ConsoleError::SignIn) })
    }
}

/// Refuses a form that another site's page posted (signing a browser in to someone else's
/// account, or mailing links from it): a browser says so in `Sec-Fetch-Site`, or in an
/// `Origin` that is not this server's.
pub fn refuse_cross_site(req: &HttpRequest, settings: &Settings) -> Result<(), ConsoleError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if header("Sec-Fetch-Site") == Some("cross-site") {
        return Err(ApiError::CsrfRejected.into());
    }
    if let Some(origin) = header("Origin") {
        // Hosts only: behind a TLS proxy the scheme seen here may not be the browser's.
        let host = |url: &str| {
            url.split("://")
                .nth(1)
                .map(|h| h.trim_end_matches('/').to_owned())
        };
        let ours = req.connection_info().host().to_owned();
        let public = host(&settings.server.public_url);
        let theirs = host(origin);
        if theirs.as_deref() != Some(ours.as_str()) && (public.is_none() || theirs != public) {
            return Err(ApiError::CsrfRejected.into());
        }
    }
    Ok(())
}

/// The cookie that carries a new session: not for scripts, not sent along from other sites'
/// pages, and only over https when omnibridge is reached by https.
pub fn session_cookie(settings: &Settings, token: String) -> Cookie<'static> {
    Cookie::build(COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.server.public_url.starts_with("https://"))
        .max_age(time::Duration::hours(
            settings.console.session_max_hours as i64,
        ))
        .finish()
}

/// The cookie that ends the session in the browser.
pub fn cleared_cookie(settings: &Settings) -> Cookie<'static> {
    let mut cookie = session_cookie(settings, String::new());
    cookie.make_removal();
    cookie
}
