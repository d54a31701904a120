use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db::Db;
use crate::error::ApiError;
use crate::openapi::answers::{Health, Ready};

/// Liveness
///
/// The process answers. No key needed.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "health",
    responses((status = 200, description = "Alive.", body = Health)),
)]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness
///
/// The database answers too: a load balancer's health check. No key needed.
#[utoipa::path(
    get,
    path = "/ready",
    operation_id = "ready",
    tag = "health",
    responses((status = 200, description = "Ready.", body = Ready)),
)]
pub async fn ready(db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    db.ping().await?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready"})))
}
