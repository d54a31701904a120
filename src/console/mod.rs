//! The agent console: server-rendered pages at `/` for agents signed in with a password.
//! Each page or action parses its input, calls the same service function as the API (with
//! the same permission checks, scoped to the agent's tenant) and renders; a small script
//! (`assets/console.js`) keeps pages live from the event stream.

mod admin;
mod assets;
mod assign;
mod delete;
mod events;
mod file;
mod form;
mod notifications;
mod page;
mod password_reset;
mod priority;
mod queue;
mod reply;
mod session;
mod sign_in;
mod status;
mod tags;
mod ticket;
mod tickets;
mod typing;

use actix_web::web;

pub use session::COOKIE;

/// Every console route. They sit beside the API's, which keep their own table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(queue::page)))
        .service(
            web::resource("/login")
                .route(web::get().to(sign_in::form))
                .route(web::post().to(sign_in::submit)),
        )
        .service(web::resource("/logout").route(web::post().to(sign_in::sign_out)))
        .service(
            web::resource("/forgot")
                .route(web::get().to(password_reset::forgot_form))
                .route(web::post().to(password_reset::forgot_submit)),
        )
        .service(
            web::resource("/reset")
                .route(web::get().to(password_reset::reset_form))
                .route(web::post().to(password_reset::reset_submit)),
        )
        .service(web::resource("/tickets").route(web::get().to(tickets::page)))
        .service(web::resource("/tickets/{id}").route(web::get().to(ticket::page)))
        .service(web::resource("/tickets/{id}/reply").route(web::post().to(reply::submit)))
        .service(web::resource("/tickets/{id}/assign").route(web::post().to(assign::submit)))
        .service(web::resource("/tickets/{id}/status").route(web::post().to(status::submit)))
        .service(web::resource("/tickets/{id}/priority").route(web::post().to(priority::submit)))
        .service(web::resource("/tickets/{id}/tags").route(web::post().to(tags::submit)))
        .service(web::resource("/tickets/{id}/delete").route(web::post().to(delete::submit)))
        .service(web::resource("/tickets/{id}/typing").route(web::post().to(typing::submit)))
        .service(web::resource("/notifications").route(web::get().to(notifications::page)))
        .service(
            web::resource("/notifications/read").route(web::post().to(notifications::mark_read)),
        )
        .service(web::resource("/admin").route(web::get().to(admin::page)))
        .service(web::resource("/admin/agents").route(web::post().to(admin::agents::create)))
        .service(
            web::resource("/admin/agents/{id}/password")
                .route(web::post().to(admin::agents::new_password)),
        )
        .service(
            web::resource("/admin/agents/{id}/delete").route(web::post().to(admin::agents::delete)),
        )
        .service(web::resource("/admin/keys").route(web::post().to(admin::keys::create)))
        .service(
            web::resource("/admin/keys/{id}/revoke").route(web::post().to(admin::keys::revoke)),
        )
        .service(web::resource("/admin/domains").route(web::post().to(admin::access::add_domain)))
        .service(
            web::resource("/admin/domains/remove")
                .route(web::post().to(admin::access::remove_domain)),
        )
        .service(web::resource("/admin/ips").route(web::post().to(admin::access::add_ip)))
        .service(web::resource("/admin/ips/remove").route(web::post().to(admin::access::remove_ip)))
        .service(
            web::resource("/admin/chat-accounts/{id}")
                .route(web::get().to(admin::chat_account::page))
                .route(web::post().to(admin::chat_account::save)),
        )
        .service(
            web::resource("/admin/chat-accounts/{id}/webhook-token")
                .route(web::post().to(admin::chat_account::rotate_webhook_token)),
        )
        .service(web::resource(session::EVENTS_PATH).route(web::get().to(events::stream)))
        .service(web::resource("/console/file/{id}").route(web::get().to(file::download)))
        .service(web::resource("/console/assets/{file}").route(web::get().to(assets::get)));
}
