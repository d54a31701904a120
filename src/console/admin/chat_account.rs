//! `GET`/`POST /admin/chat-accounts/{id}`: a chat account's settings — texts, required
//! contact fields, service hours and time zone, transcripts, the queue (`SETTINGS_CRUD`),
//! through the same service as `PUT /api/v2/chatAccount/{id}`; its JivoChat webhook URL, and
//! `POST /admin/chat-accounts/{id}/webhook-token` to replace it.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_account::name_rule;
use crate::domain::form::TextList;
use crate::domain::permission::Permission;
use crate::routes::path_id;
use crate::services::chat_accounts::{self, ChatAccountChanges, ChatAccountView};

use super::super::form::{optional_id, CsrfOnly, Form};
use super::super::page::{group_choices, nav, render, see_other, ConsoleError, Nav};
use super::super::session::Agent;

/// The contact fields a widget can ask for.
const CONTACT_FIELDS: [(&str, &str); 3] = [
    ("customerName", "Name"),
    ("emailAddress", "E-mail"),
    ("phoneNumber", "Phone"),
];

#[derive(Template)]
#[template(path = "chat_account.html")]
struct ChatAccountPage {
    nav: Nav,
    a: ChatAccountView,
    /// Where JivoChat posts: `server.public_url` and the path, or the path alone when no
    /// public address is set.
    webhook_url: String,
    fields: [(&'static str, &'static str); 3],
    /// The tenant's agent groups, by name: where its new chats may go.
    groups: Vec<(i64, String)>,
}

impl ChatAccountPage {
    fn is_group(&self, id: &i64) -> bool {
        self.a.group_id == Some(*id)
    }

    fn requires(&self, field: &str) -> bool {
        self.a.required_fields.iter().any(|f| f == field)
    }
}

pub async fn page(
    agent: Agent,
    id: web::Path<String>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.auth.require(Permission::SettingsCrud)?;
    let id = path_id(&id, "chat account")?;
    let a = chat_accounts::get(&db, agent.auth.tenant_id, id).await?;
    let webhook_url = format!(
        "{}{}{}",
        settings.server.public_url.trim_end_matches('/'),
        crate::routes::jivochat::PATH_PREFIX,
        a.webhook_token
    );
    let groups = group_choices(&db, agent.auth.tenant_id).await?;
    render(&ChatAccountPage {
        nav: nav(&db, &settings, &agent, "admin").await?,
        webhook_url,
        a,
        fields: CONTACT_FIELDS,
        groups,
    })
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ChatAccountForm {
    #[serde(default)]
    csrf: Option<String>,
    // The same limits as `PUT /api/v2/chatAccount/{id}`.
    #[validate(length(min = 1, max = 200), custom(function = name_rule))]
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    #[serde(default)]
    #[validate(length(max = 2000))]
    greeting: Option<String>,
    #[serde(default)]
    #[validate(length(max = 2000))]
    offline_message: Option<String>,
    #[serde(default)]
    #[validate(length(max = 3))]
    #[schema(value_type = TextList)]
    required: Vec<String>,
    #[validate(length(min = 1, max = 64))]
    time_zone: Option<String>,
    #[serde(default)]
    #[validate(length(max = 500))]
    service_hours: Option<String>,
    #[serde(default)]
    transcripts: Option<String>,
    #[serde(default)]
    queue_enabled: Option<String>,
    #[validate(range(min = 0, max = 100_000))]
    queue_max_length: Option<i32>,
    #[validate(range(min = 0, max = 36_500))]
    purge_after_days: Option<i32>,
    #[validate(range(min = 0, max = 36_500))]
    close_solved_after_days: Option<i32>,
    /// The group its new chats go to: a group's id, or empty for none.
    #[serde(default)]
    group: Option<String>,
}

pub async fn save(
    agent: Agent,
    id: web::Path<String>,
    Form(form): Form<ChatAccountForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::SettingsCrud)?;
    let id = path_id(&id, "chat account")?;
    // A checkbox that is not ticked is not sent: unticked means off.
    let changes = ChatAccountChanges {
        name: form.name,
        greeting: Some(form.greeting.unwrap_or_default()),
        offline_message: Some(form.offline_message.unwrap_or_default()),
        required_fields: Some(form.required),
        time_zone: form.time_zone,
        service_hours: Some(form.service_hours.unwrap_or_default()),
        transcripts: Some(form.transcripts.is_some()),
        queue_enabled: Some(form.queue_enabled.is_some()),
        queue_max_length: form.queue_max_length,
        purge_after_days: form.purge_after_days,
        close_solved_after_days: form.close_solved_after_days,
        group_id: optional_id(form.group.as_deref(), "group", "a group's id")?,
        ..ChatAccountChanges::default()
    };
    chat_accounts::update(&db, agent.auth.tenant_id, id, changes).await?;
    Ok(see_other(&format!("/admin/chat-accounts/{id}?saved=1")))
}

/// A new JivoChat webhook token: the old URL stops working at once.
pub async fn rotate_webhook_token(
    agent: Agent,
    id: web::Path<String>,
    Form(form): Form<CsrfOnly>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::SettingsCrud)?;
    let id = path_id(&id, "chat account")?;
    let changes = ChatAccountChanges {
        rotate_webhook_token: true,
        ..ChatAccountChanges::default()
    };
    chat_accounts::update(&db, agent.auth.tenant_id, id, changes).await?;
    Ok(see_other(&format!(
        "/admin/chat-accounts/{id}?rotated=1#jivochat"
    )))
}
