//! `POST /tickets/{id}/typing`: the agent started or stopped typing (the page's script calls
//! it, with the CSRF token in `X-CSRF-Token`); the chat server is told, as through
//! `POST /api/v2/message/typing`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::routes::path_id;
use crate::services::replies;

use super::form::Form;
use super::page::ConsoleError;
use super::session::Agent;

#[derive(Deserialize, Validate, ToSchema)]
pub struct TypingForm {
    #[serde(default)]
    event: String,
}

pub async fn submit(
    agent: Agent,
    req: HttpRequest,
    id: web::Path<String>,
    Form(form): Form<TypingForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ConsoleError> {
    let presented = req
        .headers()
        .get("X-CSRF-Token")
        .and_then(|v| v.to_str().ok());
    agent.check_csrf(presented)?;
    agent.auth.require(Permission::MessageCreate)?;
    let id = path_id(&id, "ticket")?;
    let event = match form.event.as_str() {
        e @ ("startedtyping" | "stoppedtyping") => e.to_owned(),
        _ => {
            return Err(
                ApiError::invalid("event", "one_of", "startedtyping or stoppedtyping").into(),
            )
        }
    };
    replies::typing(&db, agent.auth.tenant_id, id, event, Some(agent.id())).await?;
    Ok(HttpResponse::NoContent().finish())
}
