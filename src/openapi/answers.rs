//! What the API answers, for the document: Omnidesk's envelopes around the services' own
//! types, the error body, and the error responses most operations share.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response};
use utoipa::{IntoResponses, PartialSchema, ToResponse, ToSchema};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemType {
    Item,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListType {
    List,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResultType {
    Result,
}

/// One object: `{"type": "item", "item": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct Item<T> {
    #[serde(rename = "type")]
    pub kind: ItemType,
    pub item: T,
}

/// One page of a list: `{"type": "list", "itemStart", "itemLimit", "itemTotal", "items"}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct List<T> {
    #[serde(rename = "type")]
    pub kind: ListType,
    /// Offset of the first item (the request's `itemStart`).
    pub item_start: i64,
    /// Largest page (the request's `itemLimit`).
    pub item_limit: i64,
    /// Items matching, over all pages.
    pub item_total: i64,
    pub items: Vec<T>,
}

impl<T> Item<T> {
    pub fn new(item: T) -> Self {
        Item {
            kind: ItemType::Item,
            item,
        }
    }
}

impl<T> List<T> {
    pub fn new(items: Vec<T>, item_start: i64, item_limit: i64, item_total: i64) -> Self {
        List {
            kind: ListType::List,
            item_start,
            item_limit,
            item_total,
            items,
        }
    }
}

/// An outcome: `{"type": "result", "message": TEXT, ...}` with the fields of the operation.
#[derive(Serialize, ToSchema)]
pub struct Outcome<T> {
    #[serde(rename = "type")]
    pub kind: ResultType,
    /// A sentence for people, e.g. `Message sent.`
    pub message: String,
    #[serde(flatten)]
    pub fields: T,
}

impl<T> Outcome<T> {
    pub fn new(message: &str, fields: T) -> Self {
        Outcome {
            kind: ResultType::Result,
            message: message.to_owned(),
            fields,
        }
    }
}

/// References to shared error responses, by status.
fn shared(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, name)| {
            (
                status.to_string(),
                RefOr::Ref(Ref::from_response_name(*name)),
            )
        })
        .collect()
}

/// What every operation that reads a body can answer besides its own: `400`, `401`, `403`,
/// `408`, `413`, `415`.
pub struct FormErrors;

impl IntoResponses for FormErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        shared(&[
            ("400", "BadRequest"),
            ("401", "Unauthorized"),
            ("403", "Forbidden"),
            ("408", "RequestTimeout"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
        ])
    }
}

/// What an operation that stores files can answer besides `FormErrors`: `507`.
pub struct FileErrors;

impl IntoResponses for FileErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        shared(&[("507", "InsufficientStorage")])
    }
}

/// What every operation that needs a key can answer: `401`, `403`.
pub struct KeyErrors;

impl IntoResponses for KeyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        shared(&[("401", "Unauthorized"), ("403", "Forbidden")])
    }
}

fn error(description: &str, examples: &[(&str, serde_json::Value)]) -> Response {
    let mut content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody")));
    content = match examples {
        [(_, only)] => content.example(Some(only.clone())),
        many => content.examples_from_iter(many.iter().map(|(name, value)| {
            (
                *name,
                utoipa::openapi::example::ExampleBuilder::new().value(Some(value.clone())),
            )
        })),
    };
    ResponseBuilder::new()
        .description(description)
        .content("application/json", content.build())
        .build()
}

fn body(code: &str, message: &str) -> serde_json::Value {
    json!({"status": "error", "code": code, "message": message})
}

/// Declares a reusable error response (`#/components/responses/NAME`).
macro_rules! error_response {
    ($name:ident, $build:expr) => {
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                (stringify!($name), RefOr::T($build))
            }
        }
    };
}

error_response!(
    BadRequest,
    error(
        "Invalid fields (`validation_failed`, listing every failing field), or a broken \
         multipart, JSON or urlencoded body (`malformed_body`).",
        &[
            (
                "validation_failed",
                json!({
                    "status": "error", "code": "validation_failed",
                    "message": "2 fields are invalid: chatSessionID, phoneNumber",
                    "fields": {"chatSessionID": ["length", "pattern"], "phoneNumber": ["pattern"]}
                }),
            ),
            (
                "malformed_body",
                body(
                    "malformed_body",
                    "invalid JSON: EOF while parsing an object"
                ),
            ),
        ],
    )
);
error_response!(
    Unauthorized,
    error(
        "Missing, unknown or revoked API key.",
        &[(
            "unauthorized",
            body("unauthorized", "missing, unknown or revoked API key")
        )],
    )
);
error_response!(
    Forbidden,
    error(
        "The key lacks the permission the operation needs; the message names it.",
        &[(
            "forbidden",
            body("forbidden", "this API key lacks the API_CHAT permission")
        )],
    )
);
error_response!(
    UnknownChatAccount,
    error(
        "No chat account of the key's tenant has this `chatAccountToken`.",
        &[(
            "unknown_chat_account",
            body(
                "unknown_chat_account",
                "no chat account of this tenant has this chatAccountToken"
            )
        )],
    )
);
error_response!(
    UnknownChatSession,
    error(
        "No chat session of the key's tenant has this `chatServer` and `chatSessionID`.",
        &[(
            "unknown_chat_session",
            body(
                "unknown_chat_session",
                "no chat session of this tenant has this chatServer and chatSessionID"
            )
        )],
    )
);
error_response!(
    NotFound,
    error(
        "No such id in the key's tenant (another tenant's ids answer the same).",
        &[("not_found", body("not_found", "no ticket 42"))],
    )
);
error_response!(Conflict, {
    let mut taken = body("conflict", "another agent has this e-mail");
    taken["fields"] = json!({"email": ["taken"]});
    error(
        "A value that must be unique within the tenant is another's; `fields` names it \
             with the code `taken`.",
        &[("taken", taken)],
    )
});
error_response!(
    PayloadTooLarge,
    error(
        "The body is over `server.max_body_bytes` (an attachment: over its limit); refused \
         before the rest is read.",
        &[(
            "payload_too_large",
            body(
                "payload_too_large",
                "the request body is larger than 1048576 bytes"
            )
        )],
    )
);
error_response!(
    InsufficientStorage,
    error(
        "The disk that keeps files is full: nothing of the file was kept, nothing was stored.",
        &[(
            "insufficient_storage",
            body(
                "insufficient_storage",
                "no room left to store files; nothing of this one was kept"
            )
        )],
    )
);
error_response!(
    RequestTimeout,
    error(
        "The body did not arrive whole within `server.body_timeout_seconds`.",
        &[(
            "request_timeout",
            body(
                "request_timeout",
                "the request body did not arrive within 30 seconds"
            )
        )],
    )
);
error_response!(
    UnsupportedMediaType,
    error(
        "A content type other than `multipart/form-data`, \
         `application/x-www-form-urlencoded` or `application/json`.",
        &[(
            "unsupported_media_type",
            body(
                "unsupported_media_type",
                "Content-Type \"text/plain\" is not accepted; send multipart/form-data, \
                 application/x-www-form-urlencoded or application/json"
            )
        )],
    )
);
/// The answer, with its `Retry-After` header described.
fn with_retry_after(mut response: Response) -> Response {
    response.headers.insert(
        "Retry-After".into(),
        HeaderBuilder::new()
            .schema(Some(i64::schema()))
            .description(Some("Seconds to wait before retrying."))
            .build()
            .into(),
    );
    response
}

error_response!(TooManyRequests, {
    with_retry_after(error(
        "Too many requests from this API key or client address (the `limits.*` settings); \
         try again after `Retry-After` seconds.",
        &[(
            "too_many_requests",
            body(
                "too_many_requests",
                "too many requests from this API key; try again in 1 seconds",
            ),
        )],
    ))
});
error_response!(ServiceUnavailable, {
    with_retry_after(error(
        "The database is unreachable; try again after `Retry-After` seconds.",
        &[(
            "service_unavailable",
            body(
                "service_unavailable",
                "the database is unavailable, try again",
            ),
        )],
    ))
});
