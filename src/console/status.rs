//! `POST /tickets/{id}/status`: `new`, `open`, `pending`, `solved` or `closed`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::domain::ticket::STATUSES;
use crate::error::ApiError;
use crate::routes::path_id;
use crate::services::events::Events;
use crate::services::tickets;

use super::form::Form;
use super::page::{see_other, ConsoleError};
use super::session::Agent;

#[derive(Deserialize, Validate, ToSchema)]
pub struct StatusForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    status: String,
}

pub async fn submit(
    agent: Agent,
    id: web::Path<String>,
    Form(form): Form<StatusForm>,
    db: web::Data<Db>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::SetStatus)?;
    let id = path_id(&id, "ticket")?;
    if !STATUSES.contains(&form.status.as_str()) {
        return Err(ApiError::invalid("status", "one_of", STATUSES.join(", ")).into());
    }
    let status = form.status.clone();
    tickets::set_status(
        &db,
        &events,
        agent.auth.tenant_id,
        id,
        status,
        Some(agent.id()),
    )
    .await?;
    Ok(see_other(&format!("/tickets/{id}")))
}
