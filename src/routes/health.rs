use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::error::ApiError;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Liveness {
    Ok,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Readiness {
    Ready,
}

/// `/health`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: Liveness,
}

/// `/ready`.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    pub status: Readiness,
}

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
    HttpResponse::Ok().json(Health {
        status: Liveness::Ok,
    })
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
    Ok(HttpResponse::Ok().json(Ready {
        status: Readiness::Ready,
    }))
}
