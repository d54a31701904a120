//! `POST /tickets/{id}/tags`: the ticket's tags, comma-separated (they replace the old ones).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::db::Db;
use crate::domain::form::TextList;
use crate::domain::permission::Permission;
use crate::domain::ticket::{tags_rule, MAX_TAGS};
use crate::routes::path_id;
use crate::services::events::Events;
use crate::services::tickets::{self, TicketChanges};

use super::form::Form;
use super::page::{see_other, ConsoleError};
use super::session::Agent;

#[derive(Deserialize, Validate, ToSchema)]
pub struct TagsForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    #[validate(length(max = MAX_TAGS), custom(function = tags_rule))]
    #[schema(value_type = TextList)]
    tags: Vec<String>,
}

pub async fn submit(
    agent: Agent,
    id: web::Path<String>,
    Form(form): Form<TagsForm>,
    db: web::Data<Db>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::TicketUpdate)?;
    let id = path_id(&id, "ticket")?;
    let changes = TicketChanges {
        tags: Some(form.tags),
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
