//! `POST /tickets/{id}/assign`: to an agent (`user`) or a group (`group`); an empty one to
//! nobody, or to no group. A field the form does not send stays as it is.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::routes::path_id;
use crate::services::events::Events;
use crate::services::tickets::{self, TicketChanges};

use super::form::{optional_id, Form};
use super::page::{see_other, ConsoleError};
use super::session::Agent;

#[derive(Deserialize, Validate, ToSchema)]
pub struct AssignForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    group: Option<String>,
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
    let changes = TicketChanges {
        assigned_user_id: optional_id(form.user.as_deref(), "user", "an agent's id")?,
        assigned_group_id: optional_id(form.group.as_deref(), "group", "a group's id")?,
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
