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

use crate::domain::view::{Condition, Sort};

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub itemStart: Option<i64>,
    #[param(minimum = 1, maximum = 99, default = 15)]
    pub itemLimit: Option<i64>,
    /// Matches name, e-mail or phone.
    #[param(min_length = 1, max_length = 100, pattern = r"^[0-9a-zA-Z ]+$")]
    pub query: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub itemStart: Option<i64>,
    #[param(minimum = 1, maximum = 999, default = 15)]
    pub itemLimit: Option<i64>,
}

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

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViewListQuery {
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub itemStart: Option<i64>,
    #[param(minimum = 1, maximum = 9999, default = 15)]
    pub itemLimit: Option<i64>,
}

/// A sort: `{"field", "direction"}`, or the same as text, e.g. `created_at asc`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum SortInput {
    Object(Sort),
    /// `FIELD [DIRECTION]`: `last_update`, `created_at` or `id`, then `asc` or `desc`
    /// (default `desc`).
    /// At most 200 characters.
    Text(String),
}

/// `POST /api/v2/view`.
#[derive(Serialize, ToSchema)]
pub struct ViewCreateForm {
    #[schema(min_length = 1, max_length = 255, example = "Unassigned waiting chats")]
    pub name: String,
    /// All must hold. In a form: the same JSON array as text.
    pub conditions: Option<Vec<Condition>>,
    /// Default: newest update first.
    pub sort: Option<SortInput>,
}

/// `PUT /api/v2/view/{id}`: only the fields sent change.
#[derive(Serialize, ToSchema)]
pub struct ViewUpdateForm {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    pub conditions: Option<Vec<Condition>>,
    pub sort: Option<SortInput>,
}

/// `POST /api/v2/user`.
#[derive(Serialize, ToSchema)]
pub struct UserCreateForm {
    #[schema(min_length = 1, max_length = 255, example = "Alice")]
    pub name: String,
    /// Unique within the tenant.
    #[schema(min_length = 3, max_length = 254, format = Email, example = "alice@example.com")]
    pub email: String,
    #[schema(default = false)]
    pub isOnline: Option<bool>,
    #[schema(default = true)]
    pub emailNotifications: Option<bool>,
}

/// `PUT /api/v2/user/{id}`: only the fields sent change.
#[derive(Serialize, ToSchema)]
pub struct UserUpdateForm {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    /// Unique within the tenant.
    #[schema(min_length = 3, max_length = 254, format = Email)]
    pub email: Option<String>,
    pub isOnline: Option<bool>,
    pub emailNotifications: Option<bool>,
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

/// `PUT /api/v2/customer/{id}`: only the fields sent change.
#[derive(Serialize, ToSchema)]
pub struct CustomerUpdateForm {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    /// Unique within the tenant.
    #[schema(min_length = 3, max_length = 254, format = Email)]
    pub email: Option<String>,
    /// Unique within the tenant.
    #[schema(min_length = 2, max_length = 32, pattern = r"^\+[0-9]+$")]
    pub phone: Option<String>,
}
