//! The OpenAPI document of the whole HTTP API, generated from the handlers' `#[utoipa::path]`
//! attributes and the types below; served at `GET /api/v2/openapi.json`.

pub mod answers;

use std::sync::LazyLock;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi, ToResponse};

use crate::routes;

/// The name of the security scheme every operation but `/health` and `/ready` requires.
pub const API_KEY: &str = "apiKey";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "omnibridge",
        version = env!("CARGO_PKG_VERSION"),
        description = include_str!("description.md"),
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        routes::health::health,
        routes::health::ready,
        routes::chat::request_chat_config::handle,
        routes::chat::notify_user_new_chat_message::handle,
        routes::chat::notify_user_new_chat_event::handle,
        routes::chat::notify_user_visited::handle,
        routes::chat::notify_user_end_chat::handle,
        routes::chat::add_attachment::handle,
        routes::chat::check_origin_and_ip::handle,
        routes::chat::request_chat_queue::handle,
        routes::chat::whitelisted_domains_and_blacklisted_ips::handle,
        routes::ticket::list::handle,
        routes::ticket::create::handle,
        routes::ticket::set_status::handle,
        routes::ticket::set_priority::handle,
        routes::ticket::get::handle,
        routes::ticket::update::handle,
        routes::ticket::delete::handle,
        routes::message::create::handle,
        routes::message::typing::handle,
        routes::file::download,
        routes::customer::list::handle,
        routes::customer::get::handle,
        routes::customer::update::handle,
        routes::customer::delete::handle,
        routes::customer::purge::handle,
        routes::view::list::handle,
        routes::view::create::handle,
        routes::view::get::handle,
        routes::view::update::handle,
        routes::view::delete::handle,
        routes::user::list::handle,
        routes::user::create::handle,
        routes::user::get::handle,
        routes::user::update::handle,
        routes::user::delete::handle,
        routes::group::list::handle,
        routes::group::create::handle,
        routes::group::get::handle,
        routes::group::update::handle,
        routes::group::delete::handle,
        routes::chat_account::list::handle,
        routes::chat_account::get::handle,
        routes::chat_account::update::handle,
        routes::notification::list::handle,
        routes::notification::set_is_read::handle,
        routes::notification::stream::handle,
        routes::email::inbound::handle,
        routes::jivochat::handle,
    ),
    components(
        schemas(crate::error::ErrorBody),
        responses(
            answers::BadRequest,
            answers::Unauthorized,
            answers::Forbidden,
            answers::UnknownChatAccount,
            answers::UnknownChatSession,
            answers::NotFound,
            answers::Conflict,
            answers::RequestTimeout,
            answers::PayloadTooLarge,
            answers::InsufficientStorage,
            answers::UnsupportedMediaType,
            answers::TooManyRequests,
            answers::ServiceUnavailable,
        ),
    ),
    modifiers(&ApiKeyScheme, &DatabaseAnswers, &LimitAnswers),
    tags(
        (name = "chat", description = "What chat servers tell omnibridge: `/api/v2/chat/*`, \
            permission `API_CHAT`. Every chat session becomes a ticket."),
        (name = "ticket", description = "Tickets as agents work them."),
        (name = "message", description = "Agents' replies and internal notes."),
        (name = "view", description = "Saved ticket filters."),
        (name = "customer", description = "The tenant's customers."),
        (name = "user", description = "The tenant's agents."),
        (name = "group", description = "The tenant's agent groups (Sales, Support, ...)."),
        (name = "file", description = "Attachments' bytes."),
        (name = "chatAccount", description = "Chat accounts' settings."),
        (name = "notification", description = "Each agent's notifications."),
        (name = "jivochat", description = "JivoChat's webhooks; the token in the path is \
            the credential."),
        (name = "email", description = "Mail in, from a mail relay (permission `API_EMAIL`)."),
        (name = "health", description = "For load balancers and monitors; no key needed."),
    ),
)]
pub struct ApiDoc;

/// The `apiKey` header scheme.
struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                API_KEY,
                "An API key (`ob_...`, from `omnibridge api-key create`). It names the tenant; \
                 the operation's description names the permission it needs. The query \
                 parameter `?apiKey=KEY` is accepted too (Omnidesk allows it), but a header \
                 keeps the key out of URLs.",
            ))),
        );
    }
}

/// Every operation but `/health` reads the database, so any of them can answer `503`.
struct DatabaseAnswers;

impl Modify for DatabaseAnswers {
    fn modify(&self, doc: &mut Document) {
        let (name, _) = answers::ServiceUnavailable::response();
        for (path, item) in doc.paths.paths.iter_mut() {
            if path == "/health" {
                continue;
            }
            for operation in operations(item) {
                operation.responses.responses.insert(
                    "503".to_owned(),
                    RefOr::Ref(utoipa::openapi::Ref::from_response_name(name)),
                );
            }
        }
    }
}

/// Every operation that takes an API key is rate limited, so any of them can answer `429`.
struct LimitAnswers;

impl Modify for LimitAnswers {
    fn modify(&self, doc: &mut Document) {
        let (name, _) = answers::TooManyRequests::response();
        for item in doc.paths.paths.values_mut() {
            for operation in operations(item) {
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    operation.responses.responses.insert(
                        "429".to_owned(),
                        RefOr::Ref(utoipa::openapi::Ref::from_response_name(name)),
                    );
                }
            }
        }
    }
}

fn operations(
    item: &mut utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
        item.query.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The document, built once.
pub fn document() -> &'static Document {
    static DOCUMENT: LazyLock<Document> = LazyLock::new(ApiDoc::openapi);
    &DOCUMENT
}

/// The document as JSON, serialized once.
pub fn json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        document()
            .to_json()
            .expect("the OpenAPI document serializes")
    });
    &JSON
}

/// The document against the code it describes: what the handlers check is written twice (in
/// the code and in the attributes above), so these tests compare the two where they can.
#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::domain::chat_requests as chat;

    fn doc() -> Value {
        serde_json::from_str(super::json()).expect("the document is JSON")
    }

    fn enum_values(doc: &Value, schema: &str) -> Vec<String> {
        doc["components"]["schemas"][schema]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema} is an enum"))
            .iter()
            .map(|v| v.as_str().expect("text").to_owned())
            .collect()
    }

    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    out.push(target);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = doc();
        let mut targets = Vec::new();
        refs(&doc, &mut targets);
        assert!(!targets.is_empty());
        let dangling: Vec<_> = targets
            .into_iter()
            .filter(|t| {
                t.strip_prefix('#')
                    .and_then(|pointer| doc.pointer(pointer))
                    .is_none()
            })
            .collect();
        assert!(dangling.is_empty(), "references to nothing: {dangling:?}");
    }

    #[test]
    fn operation_ids_are_unique_and_secured_operations_name_their_permission() {
        let doc = doc();
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                let id = operation["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
                let description = operation["description"].as_str().unwrap_or_default();
                match operation.get("security") {
                    Some(security) => {
                        assert_eq!(security, &serde_json::json!([{"apiKey": []}]));
                        assert!(
                            description.contains("Permission: `"),
                            "{method} {path} does not name its permission"
                        );
                    }
                    // JivoChat's webhook carries its credential in the path.
                    None => assert!(
                        ["/health", "/ready"].contains(&path.as_str())
                            || path.starts_with("/api/v2/jivochat/"),
                        "{method} {path} needs no key?"
                    ),
                }
            }
        }
    }

    #[test]
    fn chat_fields_carry_the_validators_patterns() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        let cases: [(&str, &str, &regex::Regex); 17] = [
            ("RequestChatConfigForm", "chatServer", &chat::CHAT_SERVER),
            ("RequestChatConfigForm", "chatAccountToken", &chat::TOKEN),
            (
                "NotifyUserNewChatMessageForm",
                "chatServer",
                &chat::CHAT_SERVER,
            ),
            (
                "NotifyUserNewChatMessageForm",
                "chatSessionID",
                &chat::SESSION_ID_OR_PHONE,
            ),
            (
                "NotifyUserNewChatMessageForm",
                "chatAccountToken",
                &chat::TOKEN,
            ),
            (
                "NotifyUserNewChatMessageForm",
                "customerName",
                &chat::CUSTOMER_NAME,
            ),
            (
                "NotifyUserNewChatMessageForm",
                "phoneNumber",
                &chat::PHONE_WITH_PLUS,
            ),
            (
                "NotifyUserNewChatEventForm",
                "chatServer",
                &chat::CHAT_SERVER,
            ),
            (
                "NotifyUserNewChatEventForm",
                "chatSessionID",
                &chat::SESSION_ID,
            ),
            ("NotifyUserVisitedForm", "chatSessionID", &chat::SESSION_ID),
            ("NotifyUserEndChatForm", "chatServer", &chat::CHAT_SERVER),
            ("NotifyUserEndChatForm", "chatSessionID", &chat::SESSION_ID),
            ("CheckOriginAndIpForm", "chatServer", &chat::CHAT_SERVER),
            ("CheckOriginAndIpForm", "chatAccountToken", &chat::TOKEN),
            ("CheckOriginAndIpForm", "origin", &chat::HOSTNAME),
            ("RequestChatQueueForm", "chatAccountToken", &chat::TOKEN),
            ("CustomerUpdateForm", "phone", &chat::PHONE_WITH_PLUS),
        ];
        for (schema, field, regex) in cases {
            assert_eq!(
                schemas[schema]["properties"][field]["pattern"].as_str(),
                Some(regex.as_str()),
                "{schema}.{field}"
            );
        }
        let query = |path: &str, method: &str, name: &str| -> Value {
            doc["paths"][path][method]["parameters"]
                .as_array()
                .expect("parameters")
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))["schema"]
                .clone()
        };
        let attachment = "/api/v2/chat/addAttachment";
        for (name, regex) in [
            ("chatServer", &chat::CHAT_SERVER),
            ("chatSessionID", &chat::SESSION_ID_OR_PHONE),
            ("chatAccountToken", &chat::TOKEN),
            ("phoneNumber", &chat::PHONE_OPTIONAL_PLUS),
        ] {
            let schema = query(attachment, "post", name);
            assert_eq!(schema["pattern"].as_str(), Some(regex.as_str()), "{name}");
        }
        let customers = query("/api/v2/customer", "get", "query");
        assert_eq!(
            customers["pattern"].as_str(),
            Some(crate::routes::customer::QUERY.as_str())
        );
        for (path, limit) in [
            ("/api/v2/ticket", crate::routes::ticket::list::MAX_LIMIT),
            ("/api/v2/customer", crate::routes::customer::MAX_LIMIT),
            ("/api/v2/user", crate::routes::user::MAX_LIMIT),
            ("/api/v2/group", crate::routes::group::MAX_LIMIT),
            ("/api/v2/view", crate::routes::view::MAX_LIMIT),
            (
                "/api/v2/notification",
                crate::routes::notification::MAX_LIMIT,
            ),
        ] {
            let schema = query(path, "get", "itemLimit");
            assert_eq!(schema["maximum"].as_i64(), Some(limit), "{path} itemLimit");
        }
    }

    #[test]
    fn enums_list_what_the_code_accepts() {
        let doc = doc();
        assert_eq!(enum_values(&doc, "ChatEventName"), chat::EVENTS);
        assert_eq!(enum_values(&doc, "Status"), crate::domain::ticket::STATUSES);
        assert_eq!(
            enum_values(&doc, "Priority"),
            crate::domain::ticket::PRIORITIES
        );
    }
}
