//! `GET /admin`: the tenant's administration, for agents allowed to (the API's permissions):
//! agents (`USER_CUD` to change them; `USER_READ` to list them), and with `SETTINGS_CRUD` API
//! keys, chat accounts and the widget's domain whitelist and IP blacklist. Each action is a
//! file of its own beside this one.

pub mod access;
pub mod agents;
pub mod chat_account;
pub mod keys;

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::config::Settings;
use crate::db::models::api_key::ApiKey;
use crate::db::models::user::User;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::domain::time::iso;
use crate::services::access::{self as access_lists, AccessLists};
use crate::services::chat_accounts::{self, ChatAccountView};
use crate::services::{settings as tenant_settings, users};

use super::page::{nav, render, ConsoleError, Nav};
use super::session::Agent;

/// A secret just made, shown on this page once (a new API key, a new password).
pub struct Shown {
    pub what: String,
    pub value: String,
}

/// An API key as the page lists it.
pub struct KeyRow {
    pub key: ApiKey,
    pub agent: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    nav: Nav,
    shown: Option<Shown>,
    me: i64,
    agents: Option<Vec<User>>,
    manage_agents: bool,
    settings: bool,
    keys: Vec<KeyRow>,
    accounts: Vec<ChatAccountView>,
    lists: Option<AccessLists>,
    permissions: Vec<&'static str>,
}

impl AdminPage {
    fn can_sign_in(&self, user: &User) -> bool {
        user.password_hash.is_some()
    }
}

/// Whether the agent administers anything: agents (`USER_CUD`) or settings (`SETTINGS_CRUD`).
pub fn allowed(agent: &Agent) -> bool {
    [Permission::UserCud, Permission::SettingsCrud]
        .into_iter()
        .any(|p| agent.auth.require(p).is_ok())
}

/// The page, with a secret to show once if an action just made one.
pub async fn render_page(
    agent: &Agent,
    db: &Db,
    settings: &Settings,
    shown: Option<Shown>,
) -> Result<HttpResponse, ConsoleError> {
    if !allowed(agent) {
        agent.auth.require(Permission::SettingsCrud)?;
    }
    let tenant = agent.auth.tenant_id;
    let agents = match agent.auth.require(Permission::UserRead) {
        Ok(()) => Some(users::list(db, tenant, 0, 10_000).await?.0),
        Err(_) => None,
    };
    let may_settings = agent.auth.require(Permission::SettingsCrud).is_ok();
    let (keys, accounts, lists) = match may_settings {
        true => {
            let names: std::collections::HashMap<i64, String> = agents
                .iter()
                .flatten()
                .map(|u| (u.id, u.name.clone()))
                .collect();
            let keys = tenant_settings::api_keys(db, tenant)
                .await?
                .into_iter()
                .map(|key| KeyRow {
                    agent: match key.user_id {
                        Some(id) => names.get(&id).cloned().unwrap_or(format!("agent {id}")),
                        None => "anonymous".to_owned(),
                    },
                    created: iso(key.created_at),
                    key,
                })
                .collect();
            let accounts = chat_accounts::list(db, tenant).await?;
            let lists = access_lists::lists(db, tenant).await?;
            (keys, accounts, Some(lists))
        }
        false => (Vec::new(), Vec::new(), None),
    };
    render(&AdminPage {
        nav: nav(db, settings, agent, "admin").await?,
        shown,
        me: agent.id(),
        agents,
        manage_agents: agent.auth.require(Permission::UserCud).is_ok(),
        settings: may_settings,
        keys,
        accounts,
        lists,
        permissions: Permission::ALL.iter().map(|p| p.name()).collect(),
    })
}

pub async fn page(
    agent: Agent,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    render_page(&agent, &db, &settings, None).await
}
