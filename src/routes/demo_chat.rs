//! `POST /demo/chat/{call}`: a stand-in chat server inside `serve --demo`, so that the demo's
//! replies, files and typing indicators have somewhere to be delivered (chat server
//! `http://HOST:PORT/demo/chat`). It takes every call and logs what it was told; it is not
//! served otherwise, and it is not part of the API.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

pub const PATH: &str = "/demo/chat/{call}";

pub async fn receive(call: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let said = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let text = said
        .get("message")
        .or_else(|| said.get("event"))
        .or_else(|| said.get("fileName"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    log::info!(
        "demo chat server: {} for chat {}: {text}",
        call.as_str(),
        said.get("chatSessionID")
            .and_then(Value::as_str)
            .unwrap_or("?")
    );
    HttpResponse::Ok().json(json!({"status": "success"}))
}
