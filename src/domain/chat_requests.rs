//! The chat API's request bodies exactly as they travel (field names are the wire names, so
//! validation errors name the fields a chat server sent), their rules from the contract's
//! validation table beside what the OpenAPI document says of them, and their conversion
//! into typed inputs once valid. They are read with [`crate::domain::form::parse`].

#![allow(non_snake_case)]

use std::net::IpAddr;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::domain::form::non_empty;

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

/// The events a chat server reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatEventName {
    Startedtyping,
    Stoppedtyping,
    Expandedchat,
    Minimizedchat,
}

impl ChatEventName {
    const ALL: [ChatEventName; 4] = [
        ChatEventName::Startedtyping,
        ChatEventName::Stoppedtyping,
        ChatEventName::Expandedchat,
        ChatEventName::Minimizedchat,
    ];

    /// As the API writes it, one of [`EVENTS`].
    pub fn name(self) -> &'static str {
        EVENTS[Self::ALL.iter().position(|e| *e == self).unwrap_or(0)]
    }

    pub fn parse(name: &str) -> Option<ChatEventName> {
        EVENTS.iter().position(|e| *e == name).map(|i| Self::ALL[i])
    }
}

fn event_rule(value: &str) -> Result<(), ValidationError> {
    if ChatEventName::parse(value).is_some() {
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

fn present(value: Option<String>) -> String {
    // Only called on fields whose `required` rule has passed.
    value.unwrap_or_default()
}

/// `requestChatConfig`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RequestChatConfigForm {
    /// The chat server's own base ("hookpoint base"), e.g. `chat.example.com:8443`.
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    #[schema(value_type = String, min_length = 5, max_length = 255,
        pattern = r"^[a-zA-Z0-9\.\:\/\-]+$", example = "chat.example.com")]
    pub chatServer: Option<String>,
    /// Names a chat account (one chat widget) of the key's tenant.
    #[validate(required, length(min = 10), regex(path = *TOKEN, code = "pattern"))]
    #[schema(value_type = String, min_length = 10, pattern = r"^[a-zA-Z0-9]+$",
        example = "acmewebchat0001")]
    pub chatAccountToken: Option<String>,
}

/// `notifyUserNewChatMessage`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NotifyUserNewChatMessageForm {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    #[schema(value_type = String, min_length = 5, max_length = 255,
        pattern = r"^[a-zA-Z0-9\.\:\/\-]+$", example = "chat.example.com")]
    pub chatServer: Option<String>,
    /// May start with `+`: a phone-number session (WhatsApp, SMS).
    #[validate(
        required,
        length(min = 10, max = 65),
        regex(path = *SESSION_ID_OR_PHONE, code = "pattern")
    )]
    #[schema(value_type = String, min_length = 10, max_length = 65,
        pattern = r"^\+?[a-zA-Z0-9\-]+$", example = "session-0001")]
    pub chatSessionID: Option<String>,
    #[validate(required, length(min = 10), regex(path = *TOKEN, code = "pattern"))]
    #[schema(value_type = String, min_length = 10, pattern = r"^[a-zA-Z0-9]+$",
        example = "acmewebchat0001")]
    pub chatAccountToken: Option<String>,
    /// The ticket's channel: 8 is live chat, 1 e-mail; kept as given.
    #[validate(range(min = 1, max = 2_147_483_647))]
    #[schema(minimum = 1, maximum = 2147483647, default = 8)]
    pub channelID: Option<i64>,
    /// The customer's text; the first message of a session also gives the ticket's title
    /// (its first line, cut to 80 characters).
    #[validate(required, length(min = 1))]
    #[schema(value_type = String, min_length = 1, example = "Hello, my order has not arrived")]
    pub message: Option<String>,
    /// The page the customer was on.
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(default = "")]
    pub url: Option<String>,
    /// The message's count within the session, from 1. A retry repeats it with the same text.
    #[validate(range(min = 1, max = 50))]
    #[schema(minimum = 1, maximum = 50, default = 1)]
    pub messageNumber: Option<i64>,
    #[schema(default = false)]
    pub usedPredefinedUserInput: Option<bool>,
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(default = "")]
    pub additionalData: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(default = "")]
    pub externalAddressOverwrite: Option<String>,
    /// Fills in or updates the customer.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(max = 255), regex(path = *CUSTOMER_NAME, code = "pattern"))]
    #[schema(max_length = 255, pattern = r"^[a-zA-Z 0-9]+$", example = "Ann Smith")]
    pub customerName: Option<String>,
    /// Fills in or updates the customer; a customer is found again by it.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(max = 254), email(code = "email"))]
    #[schema(max_length = 254, format = Email, example = "ann@example.com")]
    pub emailAddress: Option<String>,
    /// With the international `+`; a customer is found again by it.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(max = 32), regex(path = *PHONE_WITH_PLUS, code = "pattern"))]
    #[schema(max_length = 32, pattern = r"^\+[0-9]+$", example = "+31612345678")]
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

impl From<NotifyUserNewChatMessageForm> for NewChatMessage {
    fn from(w: NotifyUserNewChatMessageForm) -> Self {
        NewChatMessage {
            chat_server: present(w.chatServer),
            chat_session_id: present(w.chatSessionID),
            chat_account_token: present(w.chatAccountToken),
            // The ranges have been checked.
            channel_id: w.channelID.map_or(8, |n| n as i32),
            message: present(w.message),
            url: w.url.unwrap_or_default(),
            message_number: w.messageNumber.map(|n| n as i32),
            used_predefined_user_input: w.usedPredefinedUserInput.unwrap_or(false),
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

/// `notifyUserNewChatEvent`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NotifyUserNewChatEventForm {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    #[schema(value_type = String, min_length = 5, max_length = 255,
        pattern = r"^[a-zA-Z0-9\.\:\/\-]+$", example = "chat.example.com")]
    pub chatServer: Option<String>,
    #[validate(required, length(min = 10), regex(path = *SESSION_ID, code = "pattern"))]
    #[schema(value_type = String, min_length = 10, pattern = r"^[a-zA-Z0-9\-]+$",
        example = "session-0001")]
    pub chatSessionID: Option<String>,
    #[validate(required, custom(function = event_rule))]
    #[schema(value_type = ChatEventName)]
    pub event: Option<String>,
}

/// Identifies an existing chat session.
#[derive(Debug, Clone)]
pub struct SessionRef {
    pub chat_server: String,
    pub chat_session_id: String,
}

impl NotifyUserNewChatEventForm {
    pub fn into_parts(self) -> (SessionRef, ChatEventName) {
        let session = SessionRef {
            chat_server: present(self.chatServer),
            chat_session_id: present(self.chatSessionID),
        };
        // The rule has passed: it is one of them.
        let event = self
            .event
            .as_deref()
            .and_then(ChatEventName::parse)
            .unwrap_or(ChatEventName::Startedtyping);
        (session, event)
    }
}

/// `notifyUserVisited`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NotifyUserVisitedForm {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    #[schema(value_type = String, min_length = 5, max_length = 255,
        pattern = r"^[a-zA-Z0-9\.\:\/\-]+$", example = "chat.example.com")]
    pub chatServer: Option<String>,
    #[validate(required, length(min = 10), regex(path = *SESSION_ID, code = "pattern"))]
    #[schema(value_type = String, min_length = 10, pattern = r"^[a-zA-Z0-9\-]+$",
        example = "session-0001")]
    pub chatSessionID: Option<String>,
    /// The page the customer opened.
    #[validate(required, length(min = 4))]
    #[schema(value_type = String, min_length = 4, example = "https://shop.example.com/orders")]
    pub url: Option<String>,
}

impl NotifyUserVisitedForm {
    pub fn into_parts(self) -> (SessionRef, String) {
        let session = SessionRef {
            chat_server: present(self.chatServer),
            chat_session_id: present(self.chatSessionID),
        };
        (session, present(self.url))
    }
}

/// `notifyUserEndChat`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NotifyUserEndChatForm {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    #[schema(value_type = String, min_length = 5, max_length = 255,
        pattern = r"^[a-zA-Z0-9\.\:\/\-]+$", example = "chat.example.com")]
    pub chatServer: Option<String>,
    #[validate(required, length(min = 10), regex(path = *SESSION_ID, code = "pattern"))]
    #[schema(value_type = String, min_length = 10, pattern = r"^[a-zA-Z0-9\-]+$",
        example = "session-0001")]
    pub chatSessionID: Option<String>,
}

impl From<NotifyUserEndChatForm> for SessionRef {
    fn from(w: NotifyUserEndChatForm) -> Self {
        SessionRef {
            chat_server: present(w.chatServer),
            chat_session_id: present(w.chatSessionID),
        }
    }
}

/// `addAttachment`'s query string: the session the file belongs to (created if new).
#[derive(Debug, Deserialize, Validate, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AddAttachmentQuery {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    #[param(value_type = String, min_length = 5, max_length = 255,
        pattern = r"^[a-zA-Z0-9\.\:\/\-]+$", example = "chat.example.com")]
    pub chatServer: Option<String>,
    /// May start with `+`: a phone-number session.
    #[validate(
        required,
        length(min = 10, max = 65),
        regex(path = *SESSION_ID_OR_PHONE, code = "pattern")
    )]
    #[param(value_type = String, min_length = 10, max_length = 65,
        pattern = r"^\+?[a-zA-Z0-9\-]+$", example = "session-0001")]
    pub chatSessionID: Option<String>,
    #[validate(required, length(min = 10), regex(path = *TOKEN, code = "pattern"))]
    #[param(value_type = String, min_length = 10, pattern = r"^[a-zA-Z0-9]+$",
        example = "acmewebchat0001")]
    pub chatAccountToken: Option<String>,
    /// The customer's phone number; the `+` is optional here (stored with it).
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(max = 32), regex(path = *PHONE_OPTIONAL_PLUS, code = "pattern"))]
    #[param(max_length = 32, pattern = r"^\+?[0-9]+$")]
    pub phoneNumber: Option<String>,
    /// The message the file belongs to.
    #[validate(range(min = 1, max = 2_147_483_647))]
    #[param(minimum = 1, maximum = 2147483647)]
    pub messageNumber: Option<i64>,
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
            message_number: w.messageNumber.map(|n| n as i32),
        }
    }
}

/// `checkOriginAndIP`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CheckOriginAndIpForm {
    #[validate(
        required,
        length(min = 5, max = 255),
        regex(path = *CHAT_SERVER, code = "pattern")
    )]
    #[schema(value_type = String, min_length = 5, max_length = 255,
        pattern = r"^[a-zA-Z0-9\.\:\/\-]+$", example = "chat.example.com")]
    pub chatServer: Option<String>,
    #[validate(required, length(min = 10), regex(path = *TOKEN, code = "pattern"))]
    #[schema(value_type = String, min_length = 10, pattern = r"^[a-zA-Z0-9]+$",
        example = "acmewebchat0001")]
    pub chatAccountToken: Option<String>,
    /// The hostname the widget runs on.
    #[validate(
        required,
        length(min = 1, max = 253),
        regex(path = *HOSTNAME, code = "pattern")
    )]
    #[schema(value_type = String, min_length = 1, max_length = 253,
        pattern = r"^[a-zA-Z0-9\.\-]+$", example = "shop.example.com")]
    pub origin: Option<String>,
    /// The customer's IPv4 or IPv6 address.
    #[validate(required, length(min = 5), custom(function = ip_rule))]
    #[schema(value_type = String, min_length = 5, example = "203.0.113.7")]
    pub ip: Option<String>,
}

/// `requestChatQueue`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RequestChatQueueForm {
    #[validate(required, length(min = 10), regex(path = *TOKEN, code = "pattern"))]
    #[schema(value_type = String, min_length = 10, pattern = r"^[a-zA-Z0-9]+$",
        example = "acmewebchat0001")]
    pub chatAccountToken: Option<String>,
}

impl RequestChatConfigForm {
    pub fn token(self) -> String {
        present(self.chatAccountToken)
    }
}

impl RequestChatQueueForm {
    pub fn token(self) -> String {
        present(self.chatAccountToken)
    }
}

impl CheckOriginAndIpForm {
    /// (chatAccountToken, origin, ip) once valid.
    pub fn into_parts(self) -> (String, String, IpAddr) {
        let ip = present(self.ip)
            .parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        (present(self.chatAccountToken), present(self.origin), ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_are_what_the_api_writes() {
        for name in EVENTS {
            let event = ChatEventName::parse(name).expect("an event");
            assert_eq!(event.name(), name);
            assert_eq!(serde_json::to_value(event).unwrap(), name);
        }
        assert_eq!(ChatEventName::parse("ended"), None);
    }
}
