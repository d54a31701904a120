//! `GET /login`, `POST /login`, `POST /logout`: an agent signs in with their e-mail and
//! password, and out again.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::read_query;
use crate::services::sign_in;

use super::form::{CsrfOnly, Form};
use super::page::{limited, render, render_with, see_other, ConsoleError};
use super::session::{
    cleared_cookie, client_address, refuse_cross_site, session_cookie, signed_in, Agent, COOKIE,
};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    email: &'a str,
    error: Option<String>,
    /// Just back from setting a new password.
    reset: bool,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct LoginQuery {
    reset: Option<String>,
}

pub async fn form(req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    if signed_in(&req).await?.is_some() {
        return Ok(see_other("/"));
    }
    let query: LoginQuery = read_query(&req)?;
    render(&LoginPage {
        email: "",
        error: None,
        reset: query.reset.is_some(),
    })
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct Credentials {
    #[serde(default)]
    #[validate(length(max = 254))]
    #[schema(max_length = 254)]
    email: String,
    #[serde(default)]
    #[validate(length(max = 1024))]
    #[schema(max_length = 1024)]
    password: String,
}

pub async fn submit(
    req: HttpRequest,
    Form(form): Form<Credentials>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    refuse_cross_site(&req, &settings)?;
    let Credentials { email, password } = form;
    let address = client_address(&req, &settings);
    let replaces = req.cookie(COOKIE).map(|c| c.value().to_owned());
    match sign_in::sign_in(&db, &settings.console, &email, password, address, replaces).await {
        Ok(session) => {
            let mut answer = see_other("/");
            answer
                .add_cookie(&session_cookie(&settings, session.token))
                .map_err(|e| ApiError::Internal(format!("cookie: {e}")))?;
            Ok(answer)
        }
        Err(ApiError::WrongCredentials) => render_with(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                email: &email,
                error: Some("Wrong e-mail or password.".to_owned()),
                reset: false,
            },
        ),
        Err(ApiError::TooManyRequests(seconds)) => {
            let page = LoginPage {
                email: &email,
                error: Some(format!(
                    "Too many wrong passwords. Try again in {} minute{}.",
                    seconds.div_ceil(60),
                    if seconds.div_ceil(60) == 1 { "" } else { "s" }
                )),
                reset: false,
            };
            limited(&page, seconds)
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn sign_out(
    agent: Agent,
    Form(form): Form<CsrfOnly>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.check_csrf(form.csrf.as_deref())?;
    sign_in::sign_out(&db, &agent.token).await?;
    let mut answer = see_other("/login");
    answer
        .add_cookie(&cleared_cookie(&settings))
        .map_err(|e| ApiError::Internal(format!("cookie: {e}")))?;
    Ok(answer)
}
