//! The routing table.

pub mod chat;
pub mod customer;
pub mod file;
pub mod health;
pub mod message;
pub mod ticket;
pub mod user;
pub mod view;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health::health))
        .route("/ready", web::get().to(health::ready))
        .service(web::scope("/api/v2/chat").configure(chat::configure))
        .configure(ticket::configure)
        .configure(user::configure)
        .configure(customer::configure)
        .configure(view::configure)
        .route("/api/v2/file/{id}", web::get().to(file::download))
        .route("/api/v2/message", web::post().to(message::create))
        .route("/api/v2/message/typing", web::post().to(message::typing));
}

/// Omnidesk's result envelope, `{"type": "result", "message": ..., ...extra}`.
pub fn result(message: &str, extra: impl Serialize) -> HttpResponse {
    let mut body = json!({"type": "result", "message": message});
    if let (Value::Object(body), Ok(Value::Object(extra))) =
        (&mut body, serde_json::to_value(extra))
    {
        body.extend(extra);
    }
    HttpResponse::Ok().json(body)
}

/// Omnidesk's single-object envelope, `{"type": "item", "item": ...}`.
pub fn item(item: impl Serialize) -> HttpResponse {
    HttpResponse::Ok().json(json!({"type": "item", "item": item}))
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed().json(json!({
        "status": "error",
        "code": "method_not_allowed",
        "message": "this path does not take this method"
    }))
}

/// Omnidesk's list envelope.
pub fn list(items: impl Serialize, start: i64, limit: i64, total: i64) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "type": "list", "itemStart": start, "itemLimit": limit, "itemTotal": total, "items": items,
    }))
}

/// A numeric id from the path; anything else names nothing, so it is a 404.
pub fn path_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::Missing(format!("no {what} {raw}")))
}
