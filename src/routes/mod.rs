//! The routing table.

pub mod chat;
pub mod health;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health::health))
        .route("/ready", web::get().to(health::ready))
        .service(web::scope("/api/v2/chat").configure(chat::configure));
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
