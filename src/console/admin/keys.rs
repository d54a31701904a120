//! `POST /admin/keys` makes an API key (shown once), `/admin/keys/{id}/revoke` revokes one on
//! every instance at once (`SETTINGS_CRUD`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::form::TextList;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::routes::path_id;
use crate::services::events::Events;
use crate::services::settings as tenant_settings;

use super::super::form::{CsrfOnly, Form};
use super::super::page::{see_other, ConsoleError};
use super::super::session::Agent;
use super::{render_page, Shown};

#[derive(Deserialize, Validate, ToSchema)]
pub struct NewKeyForm {
    #[serde(default)]
    csrf: Option<String>,
    /// The agent the key acts as; empty: none.
    #[serde(default)]
    agent: String,
    #[serde(default)]
    #[schema(value_type = TextList)]
    permission: Vec<String>,
}

pub async fn create(
    agent: Agent,
    Form(form): Form<NewKeyForm>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::SettingsCrud)?;
    let acts_as = match form.agent.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .map_err(|_| ApiError::invalid("agent", "integer", "an agent's id"))?,
        ),
    };
    let permissions = form
        .permission
        .iter()
        .map(|p| p.parse::<Permission>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::invalid("permission", "one_of", e))?;
    let (tenant, me, mine) = (
        agent.auth.tenant_id,
        agent.id(),
        agent.auth.permissions.clone(),
    );
    let created =
        tenant_settings::issue_api_key(&db, tenant, acts_as, permissions, me, mine).await?;
    let shown = Shown {
        what: format!("API key {}", created.id),
        value: created.key,
    };
    render_page(&agent, &db, &settings, Some(shown)).await
}

pub async fn revoke(
    agent: Agent,
    id: web::Path<String>,
    Form(form): Form<CsrfOnly>,
    db: web::Data<Db>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::SettingsCrud)?;
    let id = path_id(&id, "API key")?;
    tenant_settings::revoke_api_key(&db, &events, agent.auth.tenant_id, id).await?;
    Ok(see_other("/admin#keys"))
}
