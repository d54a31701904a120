//! From HTTP to plain values: the API key, and a request's fields whatever its content type.

pub mod auth;
pub mod body;
pub mod limits;

use std::net::IpAddr;

use actix_web::{web, HttpRequest};
use serde::de::DeserializeOwned;
use utoipa::PartialSchema;
use validator::Validate;

pub use auth::{Auth, AuthContext, ChatAuth};
pub use body::{read_body, BodyKind};

use crate::config::Settings;
use crate::domain::form;
use crate::error::ApiError;

/// The address a request comes from, for its limits: the peer, or behind a trusted proxy
/// the last address of `X-Forwarded-For` (the one the proxy itself saw; those before it
/// are whatever the client wrote).
pub fn client_address(req: &HttpRequest, settings: &Settings) -> Option<IpAddr> {
    if settings.server.trust_forwarded_for {
        // The last line of the header (a proxy may add a line of its own), its last entry.
        let forwarded = req
            .headers()
            .get_all("X-Forwarded-For")
            .last()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.peer_addr().map(|a| a.ip())
}

/// The request's body as `T`, read, typed and checked (`400` naming every bad field).
pub async fn read_form<T>(
    req: &HttpRequest,
    payload: web::Payload,
    settings: &Settings,
) -> Result<T, ApiError>
where
    T: DeserializeOwned + Validate + PartialSchema + 'static,
{
    let limit = settings.server.max_body_bytes;
    let body = body::read_body_parts(req, payload, &settings.server, limit, None).await?;
    form::parse(body.fields)
}

/// The request's query string as `T`, typed and checked like a body.
pub fn read_query<T>(req: &HttpRequest) -> Result<T, ApiError>
where
    T: DeserializeOwned + Validate + PartialSchema + 'static,
{
    form::parse_query(req.query_string())
}
