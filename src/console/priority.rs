//! `POST /tickets/{id}/priority`: `low`, `medium`, `high` or `urgent`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::domain::ticket::PRIORITIES;
use crate::error::ApiError;
use crate::routes::path_id;
use crate::services::events::Events;
use crate::services::tickets;

use super::form::Form;
use super::page::{see_other, ConsoleError};
use super::session::Agent;

#[derive(Deserialize, Validate, ToSchema)]
pub struct PriorityForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    priority: String,
}

pub async fn submit(
    agent: Agent,
    id: web::Path<String>,
    Form(form): Form<PriorityForm>,
    db: web::Data<Db>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::TicketUpdate)?;
    let id = path_id(&id, "ticket")?;
    if !PRIORITIES.contains(&form.priority.as_str()) {
        return Err(ApiError::invalid("priority", "one_of", PRIORITIES.join(", ")).into());
    }
    let priority = form.priority.clone();
    tickets::set_priority(
        &db,
        &events,
        agent.auth.tenant_id,
        id,
        priority,
        Some(agent.id()),
    )
    .await?;
    Ok(see_other(&format!("/tickets/{id}")))
}
