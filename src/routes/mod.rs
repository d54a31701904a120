//! The routing table: `register` lists every route once; `configure` gives them to the
//! server and `table` lists them, so a check of the routes sees exactly what is served.

pub mod chat;
pub mod chat_account;
pub mod customer;
pub mod demo_chat;
pub mod docs;
pub mod email;
pub mod file;
pub mod group;
pub mod health;
pub mod jivochat;
pub mod message;
pub mod metrics;
pub mod notification;
pub mod ticket;
pub mod user;
pub mod view;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, HttpResponse, Responder, ResponseError, Route};
use serde::Serialize;

use crate::error::ApiError;
use crate::openapi::answers::{Item, List, Outcome};

/// Registers every route of the server through a [`Router`], so that the server and
/// [`table`] cannot differ.
fn register(r: &mut Router) {
    r.resource("/health", [on(Method::GET, health::health)]);
    r.resource("/ready", [on(Method::GET, health::ready)]);
    chat::routes(r);
    ticket::routes(r);
    user::routes(r);
    group::routes(r);
    customer::routes(r);
    view::routes(r);
    chat_account::routes(r);
    notification::routes(r);
    email::routes(r);
    r.resource(
        "/api/v2/jivochat/{webhookToken}",
        [on(Method::POST, jivochat::handle)],
    );
    r.resource("/api/v2/file/{id}", [on(Method::GET, file::download)]);
    r.resource(
        "/api/v2/message",
        [on(Method::POST, message::create::handle)],
    );
    r.resource(
        "/api/v2/message/typing",
        [on(Method::POST, message::typing::handle)],
    );
    r.resource(
        "/api/v2/openapi.json",
        [on(Method::GET, docs::openapi_json)],
    );
    r.resource("/api/docs", [on(Method::GET, docs::page)]);
    r.resource("/api/docs/{file}", [on(Method::GET, docs::asset)]);
}

/// A request's path as the access log writes it: a webhook's token (the credential in its
/// path) is left out.
pub fn logged_path(path: &str) -> String {
    match path.strip_prefix(jivochat::PATH_PREFIX) {
        Some(_) => format!("{}…", jivochat::PATH_PREFIX),
        None => path.to_owned(),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    register(&mut Router {
        cfg: Some(cfg),
        table: Vec::new(),
    });
}

/// Every `(METHOD, path)` the server routes, in registration order; paths as registered
/// (`{id}` style, as OpenAPI writes them too).
pub fn table() -> Vec<(String, String)> {
    let mut router = Router {
        cfg: None,
        table: Vec::new(),
    };
    register(&mut router);
    router
        .table
        .into_iter()
        .map(|(method, path)| (method.to_string(), path))
        .collect()
}

/// Registers resources on the server (when it has a `ServiceConfig`) and records each
/// method and path it registers.
pub struct Router<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    table: Vec<(Method, String)>,
}

impl Router<'_> {
    /// One path with its methods; any other method on it answers `405`.
    pub fn resource<const N: usize>(&mut self, path: &str, routes: [(Method, Route); N]) {
        let mut resource = web::resource(path);
        let mut allowed = Vec::with_capacity(N);
        for (method, route) in routes {
            allowed.push(method.to_string());
            self.table.push((method, path.to_owned()));
            resource = resource.route(route);
        }
        if let Some(cfg) = self.cfg.as_deref_mut() {
            // RFC 9110: a 405 says which methods the path takes.
            let allow = allowed.join(", ");
            cfg.service(resource.default_service(web::to(move || {
                let allow = allow.clone();
                async move {
                    let mut answer = ApiError::MethodNotAllowed.error_response();
                    if let Ok(value) = HeaderValue::from_str(&allow) {
                        answer.headers_mut().insert(header::ALLOW, value);
                    }
                    answer
                }
            })));
        }
    }
}

/// A route for one method, and the method, so that the router can record it.
pub fn on<F, Args>(method: Method, handler: F) -> (Method, Route)
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    (method.clone(), web::method(method).to(handler))
}

/// Omnidesk's result envelope, `{"type": "result", "message": ..., ...fields}`.
pub fn result<T: Serialize>(message: &str, fields: T) -> HttpResponse {
    HttpResponse::Ok().json(Outcome::new(message, fields))
}

/// Omnidesk's single-object envelope, `{"type": "item", "item": ...}`.
pub fn item<T: Serialize>(item: T) -> HttpResponse {
    HttpResponse::Ok().json(Item::new(item))
}

/// Omnidesk's list envelope.
pub fn list<T: Serialize>(items: Vec<T>, start: i64, limit: i64, total: i64) -> HttpResponse {
    HttpResponse::Ok().json(List::new(items, start, limit, total))
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// A numeric id from the path; anything else names nothing, so it is a 404.
pub fn path_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::Missing(format!("no {what} {raw}")))
}
