// Request fields keep their wire names (`offlineMessage`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_account::name_rule;
use crate::domain::form::{non_empty, TextList};
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{FormErrors, Item, NotFound};
use crate::routes::{item, path_id};
use crate::services::chat_accounts::{self, ChatAccountChanges, ChatAccountView};

/// `PUT /api/v2/chatAccount/{id}`: only the fields sent change.
#[derive(Deserialize, Validate, ToSchema)]
pub struct ChatAccountForm {
    /// No control characters.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 1, max = 200), custom(function = name_rule))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]+$"
    )]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 2, max = 35))]
    #[schema(min_length = 2, max_length = 35, example = "en")]
    pub language: Option<String>,
    /// Empty clears it.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub greeting: Option<String>,
    /// Empty clears it.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub offlineMessage: Option<String>,
    /// Of `customerName`, `emailAddress`, `phoneNumber`: a JSON array or comma-separated.
    #[validate(length(max = 3), custom(function = short_items))]
    #[schema(value_type = Option<TextList>, max_items = 3)]
    pub requiredFields: Option<Vec<String>>,
    /// An IANA time zone.
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 1, max = 64))]
    #[schema(example = "Europe/Amsterdam")]
    pub timeZone: Option<String>,
    /// `mon-fri 09:00-17:00; sat 10:00-14:00`, in the time zone; empty = always open.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub serviceHours: Option<String>,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub attachmentMaxBytes: Option<i64>,
    /// Content types (`image/*` allowed): a JSON array or comma-separated; empty = any.
    #[validate(length(max = 50), custom(function = short_items))]
    #[schema(value_type = Option<TextList>, max_items = 50)]
    pub attachmentTypes: Option<Vec<String>>,
    pub queueEnabled: Option<bool>,
    /// 0 = no limit.
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100000)]
    pub queueMaxLength: Option<i64>,
    #[validate(range(min = 0, max = 86_400))]
    #[schema(minimum = 0, maximum = 86400)]
    pub defaultWaitSeconds: Option<i64>,
    /// Mail the transcript to the customer when a chat ends.
    pub transcripts: Option<bool>,
    /// Purge the personal data of customers quiet this many days; 0 = keep.
    #[validate(range(min = 0, max = 36_500))]
    #[schema(minimum = 0, maximum = 36500)]
    pub purgeAfterDays: Option<i64>,
    /// Close solved tickets untouched this many days; 0 = never.
    #[validate(range(min = 0, max = 36_500))]
    #[schema(minimum = 0, maximum = 36500)]
    pub closeSolvedAfterDays: Option<i64>,
    /// The agent group its new chats go to (`0`: none).
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub groupID: Option<i64>,
    /// Replace the signing secret; the answer shows the new one, this once.
    pub rotateSecret: Option<bool>,
    /// Replace the JivoChat webhook token: the old webhook URL stops working at once.
    pub rotateWebhookToken: Option<bool>,
}

/// Content types and field names: at most 100 characters each.
fn short_items(items: &[String]) -> Result<(), ValidationError> {
    match items.iter().any(|i| i.chars().count() > 100) {
        true => {
            Err(ValidationError::new("length").with_message("at most 100 characters each".into()))
        }
        false => Ok(()),
    }
}

/// Change a chat account's settings
///
/// Only the fields sent change. `rotateSecret=true` replaces the signing secret of its
/// deliveries and answers the new one, this once. Changes reach chat servers with their next
/// `requestChatConfig`.
///
/// Permission: `SETTINGS_CRUD`.
#[utoipa::path(
    put,
    path = "/api/v2/chatAccount/{id}",
    operation_id = "updateChatAccount",
    tag = "chatAccount",
    params(("id" = i64, Path, minimum = 1, description = "The chat account's id.")),
    request_body(content(
        (Option<ChatAccountForm> = "application/json"),
        (Option<ChatAccountForm> = "application/x-www-form-urlencoded"),
        (Option<ChatAccountForm> = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Its settings now.", body = Item<ChatAccountView>),
        FormErrors,
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::SettingsCrud)?;
    let id = path_id(&id, "chat account")?;
    let form: ChatAccountForm = read_form(&req, payload, &settings).await?;
    // The ranges have been checked.
    let changes = ChatAccountChanges {
        name: form.name,
        language: form.language,
        greeting: form.greeting,
        offline_message: form.offlineMessage,
        required_fields: form.requiredFields,
        time_zone: form.timeZone,
        service_hours: form.serviceHours,
        attachment_max_bytes: form.attachmentMaxBytes,
        attachment_types: form.attachmentTypes,
        queue_enabled: form.queueEnabled,
        queue_max_length: form.queueMaxLength.map(|n| n as i32),
        default_wait_seconds: form.defaultWaitSeconds.map(|n| n as i32),
        transcripts: form.transcripts,
        purge_after_days: form.purgeAfterDays.map(|n| n as i32),
        close_solved_after_days: form.closeSolvedAfterDays.map(|n| n as i32),
        group_id: form.groupID.map(|g| (g > 0).then_some(g)),
        rotate_secret: form.rotateSecret.unwrap_or(false),
        rotate_webhook_token: form.rotateWebhookToken.unwrap_or(false),
    };
    Ok(item(
        chat_accounts::update(&db, auth.tenant_id, id, changes).await?,
    ))
}
