//! What every console page shares: the answer's headers, the error page, the navigation.

use std::collections::HashMap;
use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::domain::view::Filter;
use crate::error::ApiError;
use crate::services::tickets::{self, TicketQuery, TicketView};

use super::session::Agent;

/// No script but the console's own file, no inline script or style, nothing from elsewhere,
/// never framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A console answer: HTML with the console's security headers, never cached.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// A page rendered with `200`.
pub fn render<T: Template>(template: &T) -> Result<HttpResponse, ConsoleError> {
    render_with(StatusCode::OK, template)
}

pub fn render_with<T: Template>(
    status: StatusCode,
    template: &T,
) -> Result<HttpResponse, ConsoleError> {
    let body = template
        .render()
        .map_err(|e| ApiError::Internal(format!("template: {e}")))?;
    Ok(html(status, body))
}

/// A page answered `429`, saying when to try again (`Retry-After`).
pub fn limited<T: Template>(template: &T, seconds: u64) -> Result<HttpResponse, ConsoleError> {
    let mut answer = render_with(StatusCode::TOO_MANY_REQUESTS, template)?;
    answer
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(answer)
}

/// After a change: back to a page (`303`, so a reload does not post again).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Why a console page was not shown: nobody is signed in (to the sign-in page), or the
/// API's own error, shown as a page with its status.
#[derive(Debug)]
pub enum ConsoleError {
    SignIn,
    Api(ApiError),
}

impl From<ApiError> for ConsoleError {
    fn from(err: ApiError) -> Self {
        ConsoleError::Api(err)
    }
}

impl fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsoleError::SignIn => f.write_str("sign in first"),
            ConsoleError::Api(err) => err.fmt(f),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    message: &'a str,
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn => StatusCode::SEE_OTHER,
            ConsoleError::Api(err) => err.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let err = match self {
            ConsoleError::SignIn => return see_other("/login"),
            ConsoleError::Api(err) => err,
        };
        // The API's answer decides the status and logs what must be logged.
        let api = err.error_response();
        let message = match err {
            ApiError::ServiceUnavailable(_) | ApiError::Conflict => {
                "The database is unavailable. Try again in a moment.".to_owned()
            }
            ApiError::Internal(_) => "Something went wrong on the server.".to_owned(),
            ApiError::Missing(_) | ApiError::NotFound => "There is nothing here.".to_owned(),
            other => other.to_string(),
        };
        let page = ErrorPage {
            status: api.status().as_u16(),
            message: &message,
        };
        let mut answer = html(api.status(), page.render().unwrap_or(message));
        if let Some(retry) = api.headers().get(header::RETRY_AFTER) {
            answer
                .headers_mut()
                .insert(header::RETRY_AFTER, retry.clone());
        }
        answer
    }
}

/// A view in the navigation, with how many tickets it holds.
pub struct NavView {
    pub id: i64,
    pub name: String,
    pub count: String,
}

/// The navigation every page shows: the queue, the views with their counts, the bell.
pub struct Nav {
    pub me: String,
    pub csrf: String,
    pub queue: i64,
    pub views: Vec<NavView>,
    pub unread: i64,
    /// The page it is on: `queue`, `tickets`, `view-ID`, `notifications`, `admin`.
    pub current: String,
    /// The agent may see the administration.
    pub admin: bool,
}

pub const WAITING: &str = "waiting";

pub fn waiting_filter() -> Filter {
    Filter::ChatState {
        negate: false,
        values: vec![WAITING.to_owned()],
    }
}

pub async fn nav(
    db: &Db,
    settings: &Settings,
    agent: &Agent,
    current: &str,
) -> Result<Nav, ConsoleError> {
    let tenant = agent.auth.tenant_id;
    let me = Some(agent.id());
    let limit = settings.server.list_count_limit;
    let reads_tickets = agent.auth.require(Permission::TicketRead).is_ok();
    let queue = match reads_tickets {
        true => {
            // Counted only (a limit of 0).
            let waiting = TicketQuery {
                filters: vec![waiting_filter()],
                ..TicketQuery::default()
            };
            tickets::list(db, tenant, me, waiting, limit).await?.1.count
        }
        false => 0,
    };
    let views = match agent.auth.require(Permission::ViewRead) {
        Ok(()) => tickets::view_counts(db, tenant, me, limit)
            .await?
            .into_iter()
            .map(|(id, name, total)| NavView {
                id,
                name,
                count: format!("{}{}", total.count, if total.exact { "" } else { "+" }),
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let unread = match reads_tickets {
        true => crate::services::notifications::unread_count(db, tenant, agent.id()).await?,
        false => 0,
    };
    Ok(Nav {
        me: agent.user.name.clone(),
        csrf: agent.csrf.clone(),
        queue,
        views,
        unread,
        current: current.to_owned(),
        admin: super::admin::allowed(agent),
    })
}

/// A ticket as a row of a list.
pub struct Row {
    pub id: i64,
    pub title: String,
    /// The customer wrote after the last agent's move.
    pub unread: bool,
    /// A chat waiting for an agent: since when.
    pub waiting_since: Option<String>,
    pub status: String,
    pub priority: String,
    pub assignee: String,
    pub channel: &'static str,
    pub updated: String,
}

/// Most agent groups the page offers (a helpdesk has a handful).
const GROUPS_SHOWN: i64 = 500;

/// The tenant's agent groups (id, name), by name, for a `<select>`.
pub async fn group_choices(db: &Db, tenant_id: i64) -> Result<Vec<(i64, String)>, ApiError> {
    let (groups, _) = crate::services::groups::list(db, tenant_id, 0, GROUPS_SHOWN).await?;
    let mut groups: Vec<(i64, String)> = groups.into_iter().map(|g| (g.id, g.name)).collect();
    groups.sort_by_key(|g| g.1.to_lowercase());
    Ok(groups)
}

/// The tenant's agents by id, for names, if the agent may read them (`USER_READ`, as in the
/// API); else none, and agents show as their ids.
pub async fn agent_names(db: &Db, agent: &Agent) -> Result<HashMap<i64, String>, ApiError> {
    if agent.auth.require(Permission::UserRead).is_err() {
        return Ok(HashMap::new());
    }
    let (agents, _) = crate::services::users::list(db, agent.auth.tenant_id, 0, 10_000).await?;
    Ok(agents.into_iter().map(|a| (a.id, a.name)).collect())
}

pub fn rows(tickets: Vec<TicketView>, names: &HashMap<i64, String>) -> Vec<Row> {
    tickets
        .into_iter()
        .map(|t| Row {
            unread: match (&t.last_update_customer, &t.last_update_agent) {
                (Some(customer), Some(agent)) => customer > agent,
                (Some(_), None) => true,
                _ => false,
            },
            waiting_since: (t.chat_state.as_deref() == Some(WAITING)).then(|| t.created_at.clone()),
            assignee: t
                .assigned_user_id
                .map(|id| {
                    names
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("agent {id}"))
                })
                .unwrap_or_else(|| "—".to_owned()),
            channel: t.channel_name,
            updated: t.last_update,
            id: t.id,
            title: t.title,
            status: t.status,
            priority: t.priority,
        })
        .collect()
}
