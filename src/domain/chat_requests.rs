//! The chat API's request bodies exactly as they travel (field names are the wire names, so
//! validation errors name the fields a chat server sent), their rules from the contract's
//! validation table, and their conversion into typed inputs once valid.

#![allow(non_snake_case)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::LazyLock;

use regex::Regex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use validator::{Validate, ValidationError};

use crate::error::{ApiError, FieldErrors};

/// `S`: a chat server's hookpoint base.
pub static CHAT_SERVER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9\.\:\/\-]+$").expect("valid pattern"));
/// `T`: tokens.
pub static TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9]+$").expect("valid pattern"));
/// `ID+`: a session id that may be a phone number (WhatsApp, SMS).
pub static SESSION_ID_OR_PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\+?[a-zA-Z0-9\-]+$").expect("valid pattern"));
/// `ID`.
pub static SESSION_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9\-]+$").expect("valid pattern"));
pub static CUSTOMER_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z 0-9]+$").expect("valid pattern"));
pub static PHONE_WITH_PLUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\+[0-9]+$").expect("valid pattern"));
pub static PHONE_OPTIONAL_PLUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\+?[0-9]+$").expect("valid pattern"));
pub static HOSTNAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9\.\-]+$").expect("valid pattern"));

pub const EVENTS: [&str; 4] = [
    "startedtyping",
    "stoppedtyping",
    "expandedchat",
    "minimizedchat",
];

/// The text fields of a request, whatever its content type was.
pub type Fields = HashMap<String, String>;

/// An optional field sent as an empty string is absent and gets its default.
fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

fn integer(value: &str) -> Result<i64, ValidationError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| ValidationError::new("integer").with_message("a whole number".into()))
}

fn in_range(value: &str, min: i64, max: i64) -> Result<(), ValidationError> {
    let n = integer(value)?;
    if n < min || n > max {
        let hint = if max == i64::MAX {
            format!("at least {min}")
        } else {
            format!("from {min} to {max}")
        };
        return Err(ValidationError::new("range").with_message(hint.into()));
    }
    Ok(())
}

fn channel_id_rule(value: &str) -> Result<(), ValidationError> {
    in_range(value, 1, i32::MAX as i64)
}

fn message_number_rule(value: &str) -> Result<(), ValidationError> {
    in_range(value, 1, 50)
}

fn positive_message_number_rule(value: &str) -> Result<(), ValidationError> {
    in_range(value, 1, i32::MAX as i64)
}

pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn boolean_rule(value: &str) -> Result<(), ValidationError> {
    parse_bool(value)
        .map(|_| ())
        .ok_or_else(|| ValidationError::new("boolean").with_message("true, false, 1 or 0".into()))
}

fn event_rule(value: &str) -> Result<(), ValidationError> {
    if EVENTS.contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::new("one_of")
            .with_message(format!("one of {}", EVENTS.join(", ")).into()))
    }
}

fn ip_rule(value: &str) -> Result<(), ValidationError> {
    value
        .parse::<IpAddr>()
        .map(|_| ())
        .map_err(|_| ValidationError::new("ip").with_message("an IPv4 or IPv6 address".into()))
}

/// Deserializes and validates a wire struct from the request's fields: every failing field
/// in one error.
pub fn parse<T: DeserializeOwned + Validate>(fields: Fields) -> Result<T, ApiError> {
    // No database stores a NUL in text (Postgres refuses it): such fields fail by name, along
    // with whatever else fails.
    let mut errors = FieldErrors::default();
    for (name, _) in fields.iter().filter(|(_, v)| v.contains('\0')) {
        errors.add(name, "nul");
        errors
            .hints
            .insert(name.clone(), "contains a NUL character".into());
    }
    let object = fields
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    let wire: T = serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| ApiError::MalformedBody(format!("unreadable fields: {e}")))?;
    if let Err(invalid) = wire.validate() {
        let invalid = FieldErrors::from(invalid);
        for (field, codes) in invalid.codes {
            for code in codes {
                errors.add(&field, &code);
            }
        }
        errors.hints.extend(invalid.hints);
    }
    if errors.is_empty() {
        Ok(wire)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn present(value: Option<String>) -> String {
    // Only called on fields whose `required` rule has passed.
    value.unwrap_or_default()
}

#[derive(Debug, Deserialize, Validate)]
pub struct RequestChatConfig {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    pub chatServer: Option<String>,
    #[validate(required, length(min = 10), regex(path = *TOKEN, code = "pattern"))]
    pub chatAccountToken: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
pub struct NotifyUserNewChatMessage {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    pub chatServer: Option<String>,
    #[validate(
        required,
        length(min = 10, max = 65),
        regex(path = *SESSION_ID_OR_PHONE, code = "pattern")
    )]
    pub chatSessionID: Option<String>,
    #[validate(required, length(min = 10), regex(path = *TOKEN, code = "pattern"))]
    pub chatAccountToken: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    #[validate(custom(function = channel_id_rule))]
    pub channelID: Option<String>,
    #[validate(required, length(min = 1))]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    #[validate(custom(function = message_number_rule))]
    pub messageNumber: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    #[validate(custom(function = boolean_rule))]
    pub usedPredefinedUserInput: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub additionalData: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub externalAddressOverwrite: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    #[validate(length(max = 255), regex(path = *CUSTOMER_NAME, code = "pattern"))]
    pub customerName: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    #[validate(length(max = 254), email(code = "email"))]
    pub emailAddress: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    #[validate(length(max = 32), regex(path = *PHONE_WITH_PLUS, code = "pattern"))]
    pub phoneNumber: Option<String>,
}

/// A customer's chat message, valid.
#[derive(Debug, Clone)]
pub struct NewChatMessage {
    pub chat_server: String,
    pub chat_session_id: String,
    pub chat_account_token: String,
    pub channel_id: i32,
    pub message: String,
    pub url: String,
    /// `None` when the chat server did not send one (the default 1 is stored then).
    pub message_number: Option<i32>,
    pub used_predefined_user_input: bool,
    pub additional_data: String,
    pub external_address_overwrite: String,
    pub customer_name: Option<String>,
    pub email_address: Option<String>,
    pub phone_number: Option<String>,
}

impl From<NotifyUserNewChatMessage> for NewChatMessage {
    fn from(w: NotifyUserNewChatMessage) -> Self {
        NewChatMessage {
            chat_server: present(w.chatServer),
            chat_session_id: present(w.chatSessionID),
            chat_account_token: present(w.chatAccountToken),
            channel_id: w.channelID.and_then(|v| v.trim().parse().ok()).unwrap_or(8),
            message: present(w.message),
            url: w.url.unwrap_or_default(),
            message_number: w.messageNumber.and_then(|v| v.trim().parse().ok()),
            used_predefined_user_input: w
                .usedPredefinedUserInput
                .and_then(|v| parse_bool(&v))
                .unwrap_or(false),
            additional_data: w.additionalData.unwrap_or_default(),
            external_address_overwrite: w.externalAddressOverwrite.unwrap_or_default(),
            customer_name: w
                .customerName
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
            email_address: w.emailAddress.map(|e| e.trim().to_ascii_lowercase()),
            phone_number: w.phoneNumber,
        }
    }
}

#[derive(Debug, Deserialize, Validate)]
pub struct NotifyUserNewChatEvent {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    pub chatServer: Option<String>,
    #[validate(required, length(min = 10), regex(path = *SESSION_ID, code = "pattern"))]
    pub chatSessionID: Option<String>,
    #[validate(required, custom(function = event_rule))]
    pub event: Option<String>,
}

/// Identifies an existing chat session.
#[derive(Debug, Clone)]
pub struct SessionRef {
    pub chat_server: String,
    pub chat_session_id: String,
}

impl NotifyUserNewChatEvent {
    pub fn into_parts(self) -> (SessionRef, String) {
        let session = SessionRef {
            chat_server: present(self.chatServer),
            chat_session_id: present(self.chatSessionID),
        };
        (session, present(self.event))
    }
}

#[derive(Debug, Deserialize, Validate)]
pub struct NotifyUserVisited {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    pub chatServer: Option<String>,
    #[validate(required, length(min = 10), regex(path = *SESSION_ID, code = "pattern"))]
    pub chatSessionID: Option<String>,
    #[validate(required, length(min = 4))]
    pub url: Option<String>,
}

impl NotifyUserVisited {
    pub fn into_parts(self) -> (SessionRef, String) {
        let session = SessionRef {
            chat_server: present(self.chatServer),
            chat_session_id: present(self.chatSessionID),
        };
        (session, present(self.url))
    }
}

#[derive(Debug, Deserialize, Validate)]
pub struct NotifyUserEndChat {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    pub chatServer: Option<String>,
    #[validate(required, length(min = 10), regex(path = *SESSION_ID, code = "pattern"))]
    pub chatSessionID: Option<String>,
}

impl From<NotifyUserEndChat> for SessionRef {
    fn from(w: NotifyUserEndChat) -> Self {
        SessionRef {
            chat_server: present(w.chatServer),
            chat_session_id: present(w.chatSessionID),
        }
    }
}

/// addAttachment's query string.
#[derive(Debug, Deserialize, Validate)]
pub struct AddAttachmentQuery {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    pub chatServer: Option<String>,
    #[validate(
        required,
        length(min = 10, max = 65),
        regex(path = *SESSION_ID_OR_PHONE, code = "pattern")
    )]
    pub chatSessionID: Option<String>,
    #[validate(required, length(min = 10), regex(path = *TOKEN, code = "pattern"))]
    pub chatAccountToken: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    #[validate(length(max = 32), regex(path = *PHONE_OPTIONAL_PLUS, code = "pattern"))]
    pub phoneNumber: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    #[validate(custom(function = positive_message_number_rule))]
    pub messageNumber: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAttachmentTarget {
    pub chat_server: String,
    pub chat_session_id: String,
    pub chat_account_token: String,
    pub phone_number: Option<String>,
    pub message_number: Option<i32>,
}

impl From<AddAttachmentQuery> for NewAttachmentTarget {
    fn from(w: AddAttachmentQuery) -> Self {
        NewAttachmentTarget {
            chat_server: present(w.chatServer),
            chat_session_id: present(w.chatSessionID),
            chat_account_token: present(w.chatAccountToken),
            // Stored as customers are found again: with the international `+`.
            phone_number: w.phoneNumber.map(|p| {
                if p.starts_with('+') {
                    p
                } else {
                    format!("+{p}")
                }
            }),
            message_number: w.messageNumber.and_then(|v| v.trim().parse().ok()),
        }
    }
}

#[derive(Debug, Deserialize, Validate)]
pub struct CheckOriginAndIp {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    pub chatServer: Option<String>,
    #[validate(required, length(min = 10), regex(path = *TOKEN, code = "pattern"))]
    pub chatAccountToken: Option<String>,
    #[validate(
        required,
        length(min = 1, max = 253),
        regex(path = *HOSTNAME, code = "pattern")
    )]
    pub origin: Option<String>,
    #[validate(required, length(min = 5), custom(function = ip_rule))]
    pub ip: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
pub struct RequestChatQueue {
    #[validate(required, length(min = 10), regex(path = *TOKEN, code = "pattern"))]
    pub chatAccountToken: Option<String>,
}

impl RequestChatConfig {
    pub fn token(self) -> String {
        present(self.chatAccountToken)
    }
}

impl RequestChatQueue {
    pub fn token(self) -> String {
        present(self.chatAccountToken)
    }
}

impl CheckOriginAndIp {
    /// (chatAccountToken, origin, ip) once valid.
    pub fn into_parts(self) -> (String, String, IpAddr) {
        let ip = present(self.ip)
            .parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        (present(self.chatAccountToken), present(self.origin), ip)
    }
}
