// Request fields keep their wire names (`ticketID`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::form::non_empty;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{FormErrors, Item, NotFound};
use crate::routes::item;
use crate::services::replies::{self, TypingOutcome};

/// The agent started or stopped typing.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TypingEvent {
    Startedtyping,
    Stoppedtyping,
}

/// `POST /api/v2/message/typing`.
#[derive(Deserialize, Validate, ToSchema)]
pub struct TypingForm {
    /// A chat ticket whose chat has not ended.
    #[validate(required, range(min = 1))]
    #[schema(value_type = i64, minimum = 1)]
    pub ticketID: Option<i64>,
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(required, custom(function = event_rule))]
    #[schema(value_type = TypingEvent)]
    pub event: Option<String>,
}

fn event_rule(value: &str) -> Result<(), ValidationError> {
    match value {
        "startedtyping" | "stoppedtyping" => Ok(()),
        _ => Err(ValidationError::new("one_of")
            .with_message("one of startedtyping, stoppedtyping".into())),
    }
}

/// An agent's typing indicator
///
/// Delivered to the chat server's `typingIndicatorForCustomer` like every call back (queued,
/// signed, retried; the body's `sentAt` lets it drop a late one). Only a chat ticket whose
/// chat has not ended takes it: otherwise `400` naming `ticketID` (`not_chat`,
/// `chat_ended`).
///
/// Permission: `MESSAGE_CREATE`.
#[utoipa::path(
    post,
    path = "/api/v2/message/typing",
    operation_id = "sendTypingIndicator",
    tag = "message",
    request_body(content(
        (TypingForm = "application/json"),
        (TypingForm = "application/x-www-form-urlencoded"),
        (TypingForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Queued for delivery.", body = Item<TypingOutcome>),
        FormErrors,
        (status = 404, response = NotFound),
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
    auth.require(Permission::MessageCreate)?;
    let form: TypingForm = read_form(&req, payload, &settings).await?;
    let (ticket_id, event) = (
        form.ticketID.unwrap_or_default(),
        form.event.unwrap_or_default(),
    );
    let outcome = replies::typing(&db, auth.tenant_id, ticket_id, event, auth.user_id).await?;
    Ok(item(outcome))
}
