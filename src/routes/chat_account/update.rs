use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Item, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::openapi::requests::ChatAccountForm;
use crate::routes::{item, path_id};
use crate::services::chat_accounts::{self, ChatAccountChanges, ChatAccountView};

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
        (ChatAccountForm = "application/json"),
        (ChatAccountForm = "application/x-www-form-urlencoded"),
        (ChatAccountForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Its settings now.", body = Item<ChatAccountView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
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
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let changes = ChatAccountChanges {
        name: f.text("name", false, 1, 200),
        language: f.text("language", false, 2, 35),
        greeting: f.clearable_text("greeting", 2000),
        offline_message: f.clearable_text("offlineMessage", 2000),
        required_fields: f.list_as_sent("requiredFields", 3, 20),
        time_zone: f.text("timeZone", false, 1, 64),
        service_hours: f.clearable_text("serviceHours", 500),
        attachment_max_bytes: f.int("attachmentMaxBytes", false, 0, i64::MAX),
        attachment_types: f.list_as_sent("attachmentTypes", 50, 100),
        queue_enabled: f.boolean("queueEnabled"),
        queue_max_length: f.int("queueMaxLength", false, 0, 100_000).map(|n| n as i32),
        default_wait_seconds: f
            .int("defaultWaitSeconds", false, 0, 86_400)
            .map(|n| n as i32),
        transcripts: f.boolean("transcripts"),
        rotate_secret: f.boolean("rotateSecret").unwrap_or(false),
    };
    f.finish()?;
    Ok(item(
        chat_accounts::update(&db, auth.tenant_id, id, changes).await?,
    ))
}
