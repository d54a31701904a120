//! `POST /tickets/{id}/reply`: the agent's answer — on the chat, by e-mail, or as an internal
//! note — with files, through the same reader and service as `POST /api/v2/message`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::form;
use crate::domain::permission::Permission;
use crate::domain::ticket::{CHANNEL_CHAT, CHANNEL_EMAIL};
use crate::error::ApiError;
use crate::routes::message::create::read_message_body;
use crate::routes::path_id;
use crate::services::events::Events;
use crate::services::replies::{self, Reply, ReplyType};

use super::page::{see_other, ConsoleError};
use super::session::Agent;

#[derive(Deserialize, Validate, ToSchema)]
pub struct ReplyForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    #[validate(length(min = 1, max = 65536))]
    #[schema(min_length = 1, max_length = 65536)]
    text: String,
}

pub async fn submit(
    agent: Agent,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
    db: web::Data<Db>,
    events: web::Data<Events>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    // Nothing is written to disk for an agent who may not reply.
    agent.auth.require(Permission::MessageCreate)?;
    let (fields, files) = read_message_body(&req, payload, &settings).await?;
    let form: ReplyForm = form::parse(fields)?;
    agent.authorize(form.csrf.as_deref(), Permission::MessageCreate)?;
    let id = path_id(&id, "ticket")?;
    let kind = match form.channel.as_str() {
        "chat" => ReplyType::Channel(CHANNEL_CHAT),
        "email" => ReplyType::Channel(CHANNEL_EMAIL),
        "note" => ReplyType::Note,
        _ => {
            return Err(ApiError::invalid("channel", "one_of", "chat, email or note").into());
        }
    };
    let text = form.text.trim();
    if text.is_empty() {
        return Err(ApiError::invalid("text", "required", "write something first").into());
    }
    let reply = Reply {
        kind,
        text: text.to_owned(),
        agent: Some(agent.id()),
        to_address: None,
    };
    let dir = &settings.attachments.dir;
    replies::post(&db, &events, dir, agent.auth.tenant_id, id, reply, files).await?;
    Ok(see_other(&format!("/tickets/{id}#reply")))
}
