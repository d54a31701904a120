// Request fields keep their wire names (`customerID`), which validator reports as they are.
#![allow(non_snake_case)]

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::form::{non_empty, TextList};
use crate::domain::permission::Permission;
use crate::domain::ticket::{priority_rule, Priority};
use crate::domain::ticket::{tags_rule, MAX_TAGS};
use crate::error::ApiError;
use crate::extract::{read_form, Auth};
use crate::openapi::answers::{FormErrors, Item, NotFound};
use crate::routes::{item, path_id};
use crate::services::events::Events;
use crate::services::tickets::{self, TicketChanges, TicketView};

/// `PUT /api/v2/ticket/{id}`: only the fields sent change; each change is a timeline event.
#[derive(Deserialize, Validate, ToSchema)]
pub struct TicketUpdateForm {
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    #[validate(custom(function = priority_rule))]
    #[schema(value_type = Option<Priority>)]
    pub priority: Option<String>,
    /// An agent of the tenant; empty, `null` or `0` unassigns. Assigning a waiting chat's
    /// ticket picks the chat up.
    #[serde(default, deserialize_with = "assignee")]
    #[validate(custom(function = assignee_rule))]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub assignedUserID: Option<Option<i64>>,
    /// An agent group of the tenant; empty, `null` or `0`: none.
    #[serde(default, deserialize_with = "assignee")]
    #[validate(custom(function = assignee_rule))]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub assignedGroupID: Option<Option<i64>>,
    /// Replaces the tags: at most 50, each at most 64 characters, stored in lower case.
    #[validate(length(max = MAX_TAGS), custom(function = tags_rule))]
    #[schema(value_type = Option<TextList>)]
    pub tags: Option<Vec<String>>,
}

/// Absent: no change; empty, `null` or `0`: nobody; else the agent's id.
fn assignee<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::<i64>::deserialize(d)?.filter(|id| *id != 0)))
}

fn assignee_rule(id: i64) -> Result<(), ValidationError> {
    match id {
        id if id < 1 => Err(ValidationError::new("range").with_message("at least 1".into())),
        _ => Ok(()),
    }
}

/// Change a ticket
///
/// Title, priority, assigned agent and tags; only the fields sent change, each change is a
/// timeline event. Assigning a waiting chat's ticket picks the chat up: it leaves the queue
/// and `picked_up_at` is set.
///
/// Permission: `TICKET_UPDATE`.
#[utoipa::path(
    put,
    path = "/api/v2/ticket/{id}",
    operation_id = "updateTicket",
    tag = "ticket",
    params(
        ("id" = i64, Path, minimum = 1, description = "The ticket's id."),
    ),
    request_body(content(
        (Option<TicketUpdateForm> = "multipart/form-data"),
        (Option<TicketUpdateForm> = "application/x-www-form-urlencoded"),
        (Option<TicketUpdateForm> = "application/json"),
    )),
    responses(
        (status = 200, description = "The ticket.", body = Item<TicketView>),
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
    events: web::Data<Events>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketUpdate)?;
    let id = path_id(&id, "ticket")?;
    let form: TicketUpdateForm = read_form(&req, payload, &settings).await?;
    let changes = TicketChanges {
        title: form.title,
        priority: form.priority,
        assigned_user_id: form.assignedUserID,
        assigned_group_id: form.assignedGroupID,
        tags: form.tags,
    };
    let ticket = tickets::update(&db, &events, auth.tenant_id, id, changes, auth.user_id).await?;
    Ok(item(ticket))
}
