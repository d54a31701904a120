// Request fields keep their wire names (`unreadOnly`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::agent_of;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::form::IdList;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{FormErrors, Outcome};
use crate::routes::result;
use crate::services::notifications;

/// `PUT /api/v2/notification/setIsRead`.
#[derive(Deserialize, Validate, ToSchema)]
pub struct SetIsReadForm {
    /// The agent's notification ids: a JSON array or comma-separated.
    #[validate(required, length(min = 1, max = 1000))]
    #[schema(value_type = IdList, max_items = 1000)]
    pub notificationIDs: Option<Vec<i64>>,
    #[schema(default = true)]
    pub isRead: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationsMarked {
    /// How many of the agent's notifications changed.
    pub updated: usize,
    #[serde(rename = "isRead")]
    pub is_read: bool,
}

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
        FormErrors,
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
    let form: SetIsReadForm = read_form(&req, payload, &settings).await?;
    let ids = form.notificationIDs.unwrap_or_default();
    let read = form.isRead.unwrap_or(true);
    let updated = notifications::set_read(&db, auth.tenant_id, agent, ids, read).await?;
    Ok(result(
        "Notifications updated.",
        NotificationsMarked {
            updated,
            is_read: read,
        },
    ))
}
