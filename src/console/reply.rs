//! `POST /tickets/{id}/reply`: the agent's answer — on the chat, by e-mail, or as an internal
//! note — through the same service as `POST /api/v2/message`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::domain::ticket::{CHANNEL_CHAT, CHANNEL_EMAIL};
use crate::error::ApiError;
use crate::routes::path_id;
use crate::services::events::Events;
use crate::services::replies::{self, Reply, ReplyType};

use super::page::{see_other, ConsoleError};
use super::session::Agent;

#[derive(Deserialize)]
pub struct ReplyForm {
    csrf: Option<String>,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    text: String,
}

pub async fn submit(
    agent: Agent,
    id: web::Path<String>,
    form: web::Form<ReplyForm>,
    db: web::Data<Db>,
    events: web::Data<Events>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.check_csrf(form.csrf.as_deref())?;
    agent.auth.require(Permission::MessageCreate)?;
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
    replies::post(
        &db,
        &events,
        &settings.attachments.dir,
        agent.auth.tenant_id,
        id,
        reply,
        Vec::new(),
    )
    .await?;
    Ok(see_other(&format!("/tickets/{id}#reply")))
}
