//! `POST /admin/domains` and `/admin/ips` add to the widget's domain whitelist and IP
//! blacklist, `.../remove` take off (`SETTINGS_CRUD`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::services::settings as tenant_settings;

use super::super::form::Form;
use super::super::page::{see_other, ConsoleError};
use super::super::session::Agent;

#[derive(Deserialize, Validate, ToSchema)]
pub struct EntryForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    #[validate(length(min = 1, max = 253))]
    #[schema(min_length = 1, max_length = 253)]
    value: String,
}

pub async fn add_domain(
    agent: Agent,
    Form(form): Form<EntryForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::SettingsCrud)?;
    tenant_settings::allow_domain(&db, agent.auth.tenant_id, &form.value).await?;
    Ok(see_other("/admin#access"))
}

pub async fn remove_domain(
    agent: Agent,
    Form(form): Form<EntryForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::SettingsCrud)?;
    tenant_settings::disallow_domain(&db, agent.auth.tenant_id, form.value).await?;
    Ok(see_other("/admin#access"))
}

pub async fn add_ip(
    agent: Agent,
    Form(form): Form<EntryForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::SettingsCrud)?;
    tenant_settings::block_ip(&db, agent.auth.tenant_id, &form.value).await?;
    Ok(see_other("/admin#access"))
}

pub async fn remove_ip(
    agent: Agent,
    Form(form): Form<EntryForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ConsoleError> {
    agent.authorize(form.csrf.as_deref(), Permission::SettingsCrud)?;
    tenant_settings::unblock_ip(&db, agent.auth.tenant_id, form.value).await?;
    Ok(see_other("/admin#access"))
}
