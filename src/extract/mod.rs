//! From HTTP to plain values: the API key, and a request's fields whatever its content type.

pub mod auth;
pub mod body;

pub use auth::{Auth, AuthContext, ChatAuth};
pub use body::{read_body, read_fields, BodyKind};
