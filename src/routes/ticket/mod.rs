//! `/api/v2/ticket`: tickets as agents work them. One file per action.

mod create;
mod delete;
mod get;
mod list;
mod set_priority;
mod set_status;
mod update;

use actix_web::web;

use super::method_not_allowed;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v2/ticket")
            .route(web::get().to(list::handle))
            .route(web::post().to(create::handle))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/v2/ticket/setStatus")
            .route(web::post().to(set_status::handle))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/v2/ticket/setPriority")
            .route(web::post().to(set_priority::handle))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/v2/ticket/{id}")
            .route(web::get().to(get::handle))
            .route(web::put().to(update::handle))
            .route(web::delete().to(delete::handle))
            .default_service(web::to(method_not_allowed)),
    );
}
