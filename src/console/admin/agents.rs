//! `POST /admin/agents` adds an agent, `/admin/agents/{id}/password` gives one a new random
//! password (shown once), `/admin/agents/{id}/delete` removes one (`USER_CUD`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::routes::path_id;
use crate::services::events::Events;
use crate::services::keys::random_token;
use crate::services::users::{self, NewUser};

use super::super::form::{CsrfOnly, Form};
use super::super::page::{see_other, ConsoleError};
use super::super::session::Agent;
use super::{render_page, Shown};

/// What an agent may do: `agent` (the everyday work) or `admin` (everything).
pub const ROLES: [&str; 2] = ["agent", "admin"];

#[derive(Deserialize, Validate, ToSchema)]
pub struct NewAgentForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    name: String,
    #[serde(default)]
    #[validate(length(min = 3, max = 254))]
    #[schema(min_length = 3, max_length = 254)]
    email: String,
    /// Empty: the agent gets a random one, shown once.
    #[serde(default)]
    #[validate(length(max = 1024))]
    #[schema(max_length = 1024)]
    password: String,
    #[serde(default)]
    role: String,
}

pub async fn create(
    agent: Agent,
    Form(form): Form<NewAgentForm>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::UserCud)?;
    let admin = match form.role.as_str() {
        "agent" | "" => false,
        "admin" => true,
        _ => return Err(ApiError::invalid("role", "one_of", ROLES.join(", ")).into()),
    };
    let generated = form.password.is_empty();
    let password = match generated {
        true => random_token(16),
        false => form.password.clone(),
    };
    let tenant = agent.auth.tenant_id;
    let new = NewUser {
        name: form.name.trim().to_owned(),
        email: form.email,
        is_online: false,
        email_notifications: true,
        password: Some(password.clone()),
        permissions: admin.then(|| Permission::ALL.to_vec()),
    };
    let user = users::create(&db, tenant, new, &agent.auth.permissions).await?;
    let shown = generated.then(|| Shown {
        what: format!("{}'s password", user.name),
        value: password,
    });
    render_page(&agent, &db, &settings, shown).await
}

pub async fn new_password(
    agent: Agent,
    id: web::Path<String>,
    Form(form): Form<CsrfOnly>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::UserCud)?;
    let id = path_id(&id, "user")?;
    let tenant = agent.auth.tenant_id;
    let user = users::get(&db, tenant, id).await?;
    let password = random_token(16);
    let actor = agent.auth.permissions.clone();
    users::set_password(&db, tenant, id, password.clone(), actor).await?;
    let shown = Shown {
        what: format!("{}'s new password", user.name),
        value: password,
    };
    render_page(&agent, &db, &settings, Some(shown)).await
}

pub async fn delete(
    agent: Agent,
    id: web::Path<String>,
    Form(form): Form<CsrfOnly>,
    db: web::Data<Db>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::UserCud)?;
    let id = path_id(&id, "user")?;
    if id == agent.id() {
        return Err(ApiError::invalid("user", "invalid", "you cannot remove yourself").into());
    }
    users::delete(&db, &events, agent.auth.tenant_id, id).await?;
    Ok(see_other("/admin"))
}
