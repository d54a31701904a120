use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{agent_of, parse_ids};
use crate::config::Settings;
use crate::db::models::notification::Notification;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, Forbidden, NotificationsMarked, Outcome, PayloadTooLarge, Unauthorized,
    UnsupportedMediaType,
};
use crate::openapi::requests::SetIsReadForm;
use crate::routes::result;

/// Mark notifications read or unread
///
/// `notificationIDs`: the agent's notifications to change (a JSON array or comma-separated);
/// `isRead`: `true` (the default) or `false`. Ids that are not the agent's are left alone.
///
/// Permission: `TICKET_READ`, and a key bound to an agent.
#[utoipa::path(
    put,
    path = "/api/v2/notification/setIsRead",
    operation_id = "setNotificationsRead",
    tag = "notification",
    request_body(content(
        (SetIsReadForm = "application/json"),
        (SetIsReadForm = "application/x-www-form-urlencoded"),
        (SetIsReadForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "How many changed.", body = Outcome<NotificationsMarked>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let agent = agent_of(&auth)?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let raw = f.text("notificationIDs", true, 1, 50_000);
    let read = f.boolean("isRead").unwrap_or(true);
    f.finish()?;
    let ids = parse_ids(raw.as_deref().unwrap_or_default()).ok_or_else(|| {
        ApiError::validation(
            "notificationIDs",
            "integer",
            Some("notification ids: a JSON array or comma-separated, at most 1000"),
        )
    })?;
    let tenant = auth.tenant_id;
    let changed = db
        .write(move |conn| Notification::set_read(conn, tenant, agent, &ids, read))
        .await?;
    Ok(result(
        "Notifications updated.",
        json!({"updated": changed, "isRead": read}),
    ))
}
