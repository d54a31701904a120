//! What the API reads, for the document. Handlers read their fields by hand (`read_fields`,
//! `FieldReader`, the validator structs of `domain::chat_requests`) from multipart,
//! urlencoded or JSON bodies alike, so the document describes each body here, with the rules
//! the code enforces; the unit tests in `openapi` compare the patterns and enums with the
//! code's own.
//!
//! In forms every value is text: numbers as decimal text, booleans as `true`, `false`, `1` or
//! `0`. An optional field sent empty (or `null` in JSON) is absent and gets its default.

#![allow(non_snake_case)]

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationListQuery {
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub itemStart: Option<i64>,
    #[param(minimum = 1, maximum = 99, default = 15)]
    pub itemLimit: Option<i64>,
    /// Only notifications not read yet.
    #[param(default = false)]
    pub unreadOnly: Option<bool>,
}

/// `PUT /api/v2/notification/setIsRead`.
#[derive(Serialize, ToSchema)]
pub struct SetIsReadForm {
    /// The agent's notification ids: a JSON array or comma-separated.
    #[schema(max_items = 1000)]
    pub notificationIDs: Vec<i64>,
    #[schema(default = true)]
    pub isRead: Option<bool>,
}

/// `PUT /api/v2/chatAccount/{id}`: only the fields sent change.
#[derive(Serialize, ToSchema)]
pub struct ChatAccountForm {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(min_length = 2, max_length = 35, example = "en")]
    pub language: Option<String>,
    /// Empty clears it.
    #[schema(max_length = 2000)]
    pub greeting: Option<String>,
    /// Empty clears it.
    #[schema(max_length = 2000)]
    pub offlineMessage: Option<String>,
    /// Of `customerName`, `emailAddress`, `phoneNumber`: a JSON array or comma-separated.
    #[schema(max_items = 3)]
    pub requiredFields: Option<Vec<String>>,
    /// An IANA time zone.
    #[schema(example = "Europe/Amsterdam")]
    pub timeZone: Option<String>,
    /// `mon-fri 09:00-17:00; sat 10:00-14:00`, in the time zone; empty = always open.
    #[schema(max_length = 500)]
    pub serviceHours: Option<String>,
    #[schema(minimum = 0)]
    pub attachmentMaxBytes: Option<i64>,
    /// Content types (`image/*` allowed): a JSON array or comma-separated; empty = any.
    #[schema(max_items = 50)]
    pub attachmentTypes: Option<Vec<String>>,
    pub queueEnabled: Option<bool>,
    /// 0 = no limit.
    #[schema(minimum = 0, maximum = 100000)]
    pub queueMaxLength: Option<i32>,
    #[schema(minimum = 0, maximum = 86400)]
    pub defaultWaitSeconds: Option<i32>,
    /// Mail the transcript to the customer when a chat ends.
    pub transcripts: Option<bool>,
    /// Replace the signing secret; the answer shows the new one, this once.
    pub rotateSecret: Option<bool>,
}
