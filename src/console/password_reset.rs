//! "Forgot password": `GET`/`POST /forgot` mails a one-time link, `GET`/`POST /reset` sets
//! the new password with it.

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
use crate::services::sign_in::{self, MIN_PASSWORD_CHARS, RESET_LINK_MINUTES};

use super::form::Form;
use super::page::{limited, render, render_with, see_other, ConsoleError};
use super::session::{client_address, refuse_cross_site};

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    sent: bool,
    error: Option<String>,
    minutes: i64,
}

pub async fn forgot_form() -> Result<HttpResponse, ConsoleError> {
    render(&ForgotPage {
        sent: false,
        error: None,
        minutes: RESET_LINK_MINUTES,
    })
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ForgotForm {
    #[serde(default)]
    #[validate(length(max = 254))]
    #[schema(max_length = 254)]
    email: String,
}

/// Where links point: `server.public_url`, else the address omnibridge listens on (never
/// the request's `Host`, which a client chooses).
fn base_url(settings: &Settings) -> String {
    let host = match settings.server.host.as_str() {
        // Listening everywhere: this machine's own name for itself is the best guess.
        "0.0.0.0" | "::" | "[::]" => "localhost",
        host => host,
    };
    match settings.server.public_url.trim_end_matches('/') {
        "" => format!("http://{host}:{}", settings.server.port),
        url => url.to_owned(),
    }
}

pub async fn forgot_submit(
    req: HttpRequest,
    Form(form): Form<ForgotForm>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    refuse_cross_site(&req, &settings)?;
    let address = client_address(&req, &settings);
    let base = base_url(&settings);
    match sign_in::request_reset(&db, &settings.console, &base, &form.email, address).await {
        Ok(()) => render(&ForgotPage {
            sent: true,
            error: None,
            minutes: RESET_LINK_MINUTES,
        }),
        Err(ApiError::TooManyRequests(seconds)) => {
            let page = ForgotPage {
                sent: false,
                error: Some("Too many requests from here. Try again later.".to_owned()),
                minutes: RESET_LINK_MINUTES,
            };
            limited(&page, seconds)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage<'a> {
    token: &'a str,
    valid: bool,
    error: Option<String>,
    min: usize,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

pub async fn reset_form(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, ConsoleError> {
    let query: ResetQuery = read_query(&req)?;
    let valid = sign_in::reset_link_user(&db, &query.token).await?.is_some();
    render_with(
        if valid {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        },
        &ResetPage {
            token: &query.token,
            valid,
            error: None,
            min: MIN_PASSWORD_CHARS,
        },
    )
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ResetForm {
    #[serde(default)]
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    token: String,
    #[serde(default)]
    #[validate(length(max = 1024))]
    #[schema(max_length = 1024)]
    password: String,
}

pub async fn reset_submit(
    req: HttpRequest,
    Form(form): Form<ResetForm>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    refuse_cross_site(&req, &settings)?;
    let ResetForm { token, password } = form;
    match sign_in::reset_password(&db, &token, password).await {
        Ok(true) => Ok(see_other("/login?reset=1")),
        Ok(false) => render_with(
            StatusCode::NOT_FOUND,
            &ResetPage {
                token: &token,
                valid: false,
                error: None,
                min: MIN_PASSWORD_CHARS,
            },
        ),
        Err(ApiError::Validation(errors)) => render_with(
            StatusCode::BAD_REQUEST,
            &ResetPage {
                token: &token,
                valid: true,
                error: Some(ApiError::Validation(errors).to_string()),
                min: MIN_PASSWORD_CHARS,
            },
        ),
        Err(other) => Err(other.into()),
    }
}
