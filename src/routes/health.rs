use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db::Db;
use crate::error::ApiError;

/// Liveness: the process answers.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: the database answers too.
pub async fn ready(db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    db.ping().await?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready"})))
}
