//! `POST /tickets/{id}/assign`: to an agent (`user`), or to nobody (empty).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::routes::path_id;
use crate::services::events::Events;
use crate::services::tickets::{self, TicketChanges};

use super::form::Form;
use super::page::{see_other, ConsoleError};
use super::session::Agent;

#[derive(Deserialize, Validate, ToSchema)]
pub struct AssignForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    user: String,
}

pub async fn submit(
    agent: Agent,
    id: web::Path<String>,
    Form(form): Form<AssignForm>,
    db: web::Data<Db>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::TicketUpdate)?;
    let id = path_id(&id, "ticket")?;
    let assignee = match form.user.trim() {
        "" => None,
        user => Some(
            user.parse::<i64>()
                .map_err(|_| ApiError::invalid("user", "integer", "an agent's id"))?,
        ),
    };
    let changes = TicketChanges {
        assigned_user_id: Some(assignee),
        ..TicketChanges::default()
    };
    tickets::update(
        &db,
        &events,
        agent.auth.tenant_id,
        id,
        changes,
        Some(agent.id()),
    )
    .await?;
    Ok(see_other(&format!("/tickets/{id}")))
}
