//! `POST /tickets/{id}/delete`: the ticket goes out of every list (as `DELETE` in the API).

use actix_web::{web, HttpResponse};

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::routes::path_id;
use crate::services::events::Events;
use crate::services::tickets;

use super::form::{CsrfOnly, Form};
use super::page::{see_other, ConsoleError};
use super::session::Agent;

pub async fn submit(
    agent: Agent,
    id: web::Path<String>,
    Form(form): Form<CsrfOnly>,
    db: web::Data<Db>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::TicketDelete)?;
    let id = path_id(&id, "ticket")?;
    tickets::delete(&db, &events, agent.auth.tenant_id, id, Some(agent.id())).await?;
    Ok(see_other("/"))
}
