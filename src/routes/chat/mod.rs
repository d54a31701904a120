//! `/api/v2/chat/*`: what chat servers tell omnibridge. One file per endpoint.

mod add_attachment;
mod check_origin_and_ip;
mod notify_user_end_chat;
mod notify_user_new_chat_event;
mod notify_user_new_chat_message;
mod notify_user_visited;
mod request_chat_config;
mod request_chat_queue;
mod whitelisted_domains_and_blacklisted_ips;

use actix_web::web;

use super::method_not_allowed;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let posts = [
        (
            "/requestChatConfig",
            web::post().to(request_chat_config::handle),
        ),
        (
            "/notifyUserNewChatMessage",
            web::post().to(notify_user_new_chat_message::handle),
        ),
        (
            "/notifyUserNewChatEvent",
            web::post().to(notify_user_new_chat_event::handle),
        ),
        (
            "/notifyUserVisited",
            web::post().to(notify_user_visited::handle),
        ),
        (
            "/notifyUserEndChat",
            web::post().to(notify_user_end_chat::handle),
        ),
        ("/addAttachment", web::post().to(add_attachment::handle)),
        (
            "/checkOriginAndIP",
            web::post().to(check_origin_and_ip::handle),
        ),
        (
            "/requestChatQueue",
            web::post().to(request_chat_queue::handle),
        ),
        (
            "/whitelistedDomainsAndBlacklistedIPs",
            web::get().to(whitelisted_domains_and_blacklisted_ips::handle),
        ),
    ];
    for (path, route) in posts {
        cfg.service(
            web::resource(path)
                .route(route)
                .default_service(web::to(method_not_allowed)),
        );
    }
}
