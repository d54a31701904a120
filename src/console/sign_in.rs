//! `GET /login`, `POST /login`, `POST /logout`: an agent signs in with their e-mail and
//! password, and out again.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::config::Settings;
use crate::db::Db;
use crate::error::ApiError;
use crate::services::sign_in;

use super::page::{html, render, render_with, see_other, ConsoleError};
use super::session::{cleared_cookie, client_address, session_cookie, signed_in, Agent};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    email: &'a str,
    error: Option<String>,
}

pub async fn form(req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    if signed_in(&req).await?.is_some() {
        return Ok(see_other("/"));
    }
    render(&LoginPage {
        email: "",
        error: None,
    })
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(
    req: HttpRequest,
    form: web::Form<Credentials>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    let Credentials { email, password } = form.into_inner();
    let address = client_address(&req, &settings);
    match sign_in::sign_in(&db, &settings.console, &email, password, address).await {
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
            };
            let body = page
                .render()
                .map_err(|e| ApiError::Internal(format!("template: {e}")))?;
            let mut answer = html(StatusCode::TOO_MANY_REQUESTS, body);
            answer
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            Ok(answer)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

pub async fn sign_out(
    agent: Agent,
    form: web::Form<CsrfOnly>,
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
