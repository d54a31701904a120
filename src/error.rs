//! The one error type of the HTTP API, its JSON shape and its status codes.

use std::collections::BTreeMap;

use actix_web::{
    http::{header::HeaderValue, StatusCode},
    HttpResponse, ResponseError,
};
use bytes::Bytes;
use serde::Serialize;
use utoipa::ToSchema;

/// Field name → the codes of every rule it failed (`length`, `pattern`, `required`, ...),
/// plus a human sentence per field where one helps (e.g. the accepted event names).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FieldErrors {
    pub codes: BTreeMap<String, Vec<String>>,
    pub hints: BTreeMap<String, String>,
}

impl FieldErrors {
    pub fn add(&mut self, field: &str, code: &str) {
        self.codes
            .entry(field.to_owned())
            .or_default()
            .push(code.to_owned());
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    fn summary(&self) -> String {
        let n = self.codes.len();
        let names: Vec<String> = self
            .codes
            .keys()
            .map(|field| match self.hints.get(field) {
                Some(hint) => format!("{field} ({hint})"),
                None => field.clone(),
            })
            .collect();
        let noun = if n == 1 { "field is" } else { "fields are" };
        format!("{n} {noun} invalid: {}", names.join(", "))
    }
}

impl From<validator::ValidationErrors> for FieldErrors {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = FieldErrors::default();
        for (field, errs) in errors.field_errors() {
            // A field named by a keyword (`type`) is `r#type` to Rust and to validator.
            let field = field.trim_start_matches("r#");
            for err in errs {
                out.add(field, err.code.as_ref());
                if let Some(hint) = err
                    .message
                    .as_ref()
                    .map(|m| m.to_string())
                    .or_else(|| hint_of(err))
                {
                    out.hints.insert(field.to_string(), hint);
                }
            }
        }
        out
    }
}

/// What a rule wanted, from its parameters: `1 to 255 characters`, `from 1 to 50`.
fn hint_of(err: &validator::ValidationError) -> Option<String> {
    let (min, max) = (err.params.get("min"), err.params.get("max"));
    match (err.code.as_ref(), min, max) {
        ("length", Some(min), Some(max)) => Some(format!("{min} to {max} characters")),
        ("length", Some(min), None) => Some(format!("at least {min} characters")),
        ("length", None, Some(max)) => Some(format!("at most {max} characters")),
        ("range", Some(min), Some(max)) => Some(format!("from {min} to {max}")),
        ("range", Some(min), None) => Some(format!("at least {min}")),
        ("range", None, Some(max)) => Some(format!("at most {max}")),
        _ => None,
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ErrorStatus {
    Error,
}

/// Every `code` an error can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    ValidationFailed,
    MalformedBody,
    /// The request itself is no HTTP (its request line or a header cannot be parsed).
    MalformedRequest,
    /// The request's head (its line and headers) is larger than the server reads.
    HeadersTooLarge,
    Unauthorized,
    Forbidden,
    UnknownChatAccount,
    UnknownChatSession,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    ServiceUnavailable,
    InsufficientStorage,
    InternalError,
}

/// Every error answer. On `400 validation_failed`, `fields` lists every failing field with
/// the codes of the rules it broke, never only the first: `required`, `length`, `pattern`,
/// `integer`, `range`, `boolean`, `email`, `one_of`, `ip`, `base64`, `nul`, `ticket_deleted`
/// (a message or file for a session whose ticket was deleted; a phone-number session opens a
/// new ticket instead); on the agent
/// side also `unknown` (an id that names nothing), `list`, `invalid`, and for views
/// `conditions[N]` with `unknown_field`, `unknown_operator` or `invalid_value`. On
/// `409 conflict`, `fields` names the value another has (an e-mail or phone of another
/// customer or agent) with the code `taken`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "status": "error", "code": "validation_failed",
    "message": "2 fields are invalid: chatSessionID, phoneNumber",
    "fields": {"chatSessionID": ["length", "pattern"], "phoneNumber": ["pattern"]}
}))]
pub struct ErrorBody {
    pub status: ErrorStatus,
    pub code: ErrorCode,
    /// What went wrong, for people; on `403` it names the missing permission.
    pub message: String,
    /// Only on `validation_failed`: field name → the codes of the rules it broke.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub fields: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing, unknown or revoked API key")]
    Unauthorized,
    /// A sign-in whose e-mail or password is wrong (never which).
    #[error("wrong e-mail or password")]
    WrongCredentials,
    /// Too many wrong passwords lately: try again after this many seconds.
    #[error("too many failed sign-ins; try again in {0} seconds")]
    TooManyRequests(u64),
    /// Too many requests from this API key or client address: try again after this many
    /// seconds.
    #[error("too many requests from this {0}; try again in {1} seconds")]
    RateLimited(&'static str, u64),
    #[error("this API key lacks the {0} permission")]
    Forbidden(&'static str),
    /// A console form or call without its session's CSRF token.
    #[error("this form's security token is missing or out of date: reload the page and try again")]
    CsrfRejected,
    /// The key may not do this for someone else (an agent's key writing as another agent).
    #[error("{0}")]
    NotYours(String),
    #[error("no chat account of this tenant has this chatAccountToken")]
    UnknownChatAccount,
    #[error("no chat session of this tenant has this chatServer and chatSessionID")]
    UnknownChatSession,
    #[error("{}", .0.summary())]
    Validation(FieldErrors),
    #[error("{0}")]
    MalformedBody(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(u64),
    #[error("the request body did not arrive within {0} seconds")]
    RequestTimeout(u64),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("no route for this method and path")]
    NotFound,
    #[error("this path does not take this method")]
    MethodNotAllowed,
    /// An id that does not exist in the key's tenant (or does elsewhere: same answer).
    #[error("{0}")]
    Missing(String),
    #[error("the database is unavailable: {0}")]
    ServiceUnavailable(String),
    /// Too much of a costly kind of work at once (password checks): try again shortly.
    #[error("{0}")]
    Busy(String),
    /// A write lost a race that a retry can win (a serialization failure, or a unique
    /// violation the caller knows to be a race): the transaction is retried.
    #[error("write conflict")]
    Conflict,
    /// A value that must be unique is another's (an e-mail, a phone, a token): `409`.
    #[error("{hint}")]
    Taken { field: String, hint: String },
    /// A unique index refused a write that nobody named a field for: `409`.
    #[error("a value that must be unique is already in use")]
    UniqueViolation(String),
    /// The disk that keeps files is full (or over its quota): nothing of the file was kept.
    #[error("no room left to store files; nothing of this one was kept")]
    InsufficientStorage(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The body of the answers the HTTP/1 dispatcher writes before any handler runs (set with
/// `actix_http::h1::set_error_body`; see `vendor/actix-http/OMNIBRIDGE.md`): `400` for a
/// request that cannot be parsed, `431` for a head too large, `408` for a head too slow. They
/// are the same JSON error every other answer is.
pub fn dispatcher_error(status: StatusCode) -> (HeaderValue, Bytes) {
    let (code, message) = match status {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
            ErrorCode::HeadersTooLarge,
            "the request line and headers are too large",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            ErrorCode::RequestTimeout,
            "the request line and headers did not arrive in time",
        ),
        StatusCode::BAD_REQUEST => (
            ErrorCode::MalformedRequest,
            "the request is not valid HTTP/1.1 (its request line or a header cannot be parsed)",
        ),
        _ => (ErrorCode::InternalError, "internal error"),
    };
    let body = ErrorBody {
        status: ErrorStatus::Error,
        code,
        message: message.to_owned(),
        fields: None,
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    (
        HeaderValue::from_static("application/json"),
        Bytes::from(json),
    )
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Unauthorized | ApiError::WrongCredentials => ErrorCode::Unauthorized,
            ApiError::TooManyRequests(_) | ApiError::RateLimited(..) => ErrorCode::TooManyRequests,
            ApiError::Forbidden(_) | ApiError::NotYours(_) | ApiError::CsrfRejected => {
                ErrorCode::Forbidden
            }
            ApiError::UnknownChatAccount => ErrorCode::UnknownChatAccount,
            ApiError::UnknownChatSession => ErrorCode::UnknownChatSession,
            ApiError::Validation(_) => ErrorCode::ValidationFailed,
            ApiError::MalformedBody(_) => ErrorCode::MalformedBody,
            ApiError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::RequestTimeout(_) => ErrorCode::RequestTimeout,
            ApiError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            ApiError::NotFound | ApiError::Missing(_) => ErrorCode::NotFound,
            ApiError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            ApiError::Taken { .. } | ApiError::UniqueViolation(_) => ErrorCode::Conflict,
            ApiError::ServiceUnavailable(_) | ApiError::Conflict | ApiError::Busy(_) => {
                ErrorCode::ServiceUnavailable
            }
            ApiError::InsufficientStorage(_) => ErrorCode::InsufficientStorage,
            ApiError::Internal(_) => ErrorCode::InternalError,
        }
    }

    pub fn validation(field: &str, code: &str, hint: Option<&str>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, code);
        if let Some(hint) = hint {
            errors.hints.insert(field.to_owned(), hint.to_owned());
        }
        ApiError::Validation(errors)
    }

    /// A unique index's refusal as `field` being taken (`409`); any other error as it is.
    pub fn taken(self, field: &str, hint: &str) -> ApiError {
        match self {
            ApiError::UniqueViolation(_) => ApiError::Taken {
                field: field.to_owned(),
                hint: hint.to_owned(),
            },
            other => other,
        }
    }

    /// An id in a request that names nothing of the tenant, as a `400` on that field (`unknown`);
    /// any other error (an outage) as it is.
    pub fn unknown_as(self, field: &str, hint: &str) -> ApiError {
        match self {
            ApiError::Missing(_) => ApiError::validation(field, "unknown", Some(hint)),
            other => other,
        }
    }

    /// A unique index's refusal as a race that a retry wins (the retry finds the winner's
    /// row); any other error as it is.
    pub fn raced(self) -> ApiError {
        match self {
            ApiError::UniqueViolation(_) => ApiError::Conflict,
            other => other,
        }
    }

    /// One invalid field, with a sentence saying what is wrong with it.
    pub fn invalid(field: &str, code: &str, hint: impl AsRef<str>) -> Self {
        ApiError::validation(field, code, Some(hint.as_ref()))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized | ApiError::WrongCredentials => StatusCode::UNAUTHORIZED,
            ApiError::TooManyRequests(_) | ApiError::RateLimited(..) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Forbidden(_) | ApiError::NotYours(_) | ApiError::CsrfRejected => {
                StatusCode::FORBIDDEN
            }
            ApiError::UnknownChatAccount
            | ApiError::UnknownChatSession
            | ApiError::NotFound
            | ApiError::Missing(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Taken { .. } | ApiError::UniqueViolation(_) => StatusCode::CONFLICT,
            ApiError::Validation(_) | ApiError::MalformedBody(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::ServiceUnavailable(_) | ApiError::Conflict | ApiError::Busy(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::ServiceUnavailable(detail) => log::warn!("database unavailable: {detail}"),
            ApiError::Internal(detail) => log::error!("internal error: {detail}"),
            ApiError::InsufficientStorage(detail) => log::error!("disk full: {detail}"),
            _ => {}
        }
        // Database and internal details go to the log, never to the client.
        let message = match self {
            ApiError::ServiceUnavailable(_) | ApiError::Conflict => {
                "the database is unavailable, try again".to_owned()
            }
            ApiError::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        let body = ErrorBody {
            status: ErrorStatus::Error,
            code: self.code(),
            message,
            fields: match self {
                ApiError::Validation(errors) => Some(errors.codes.clone()),
                ApiError::Taken { field, .. } => {
                    Some(BTreeMap::from([(field.clone(), vec!["taken".to_owned()])]))
                }
                _ => None,
            },
        };
        let mut response = HttpResponse::build(self.status_code());
        if matches!(
            self,
            ApiError::ServiceUnavailable(_) | ApiError::Conflict | ApiError::Busy(_)
        ) {
            response.insert_header(("Retry-After", "1"));
        }
        if let ApiError::TooManyRequests(seconds) | ApiError::RateLimited(_, seconds) = self {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(body)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => ApiError::Conflict,
            // Postgres broke a deadlock by failing this transaction: a retry wins.
            Error::DatabaseError(_, ref info) if info.message().contains("deadlock detected") => {
                ApiError::Conflict
            }
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                ApiError::UniqueViolation(info.message().to_owned())
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                ApiError::ServiceUnavailable(info.message().to_owned())
            }
            // SQLite reports a lock it could not get within busy_timeout this way.
            Error::DatabaseError(_, ref info) if info.message().contains("locked") => {
                ApiError::ServiceUnavailable(info.message().to_owned())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(err: r2d2::Error) -> Self {
        ApiError::ServiceUnavailable(err.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(err.to_string())
    }
}

impl From<std::io::Error> for ApiError {
    fn from(err: std::io::Error) -> Self {
        use std::io::ErrorKind;
        match err.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
                ApiError::InsufficientStorage(err.to_string())
            }
            _ => ApiError::Internal(format!("i/o: {err}")),
        }
    }
}
