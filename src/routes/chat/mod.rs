//! `/api/v2/chat/*`: what chat servers tell omnibridge. One file per endpoint.

pub(crate) mod add_attachment;
pub(crate) mod check_origin_and_ip;
pub(crate) mod notify_user_end_chat;
pub(crate) mod notify_user_new_chat_event;
pub(crate) mod notify_user_new_chat_message;
pub(crate) mod notify_user_visited;
pub(crate) mod request_chat_config;
pub(crate) mod request_chat_queue;
pub(crate) mod whitelisted_domains_and_blacklisted_ips;

use actix_web::http::Method;

use super::{on, Router};

pub fn routes(r: &mut Router) {
    r.resource(
        "/api/v2/chat/requestChatConfig",
        [on(Method::POST, request_chat_config::handle)],
    );
    r.resource(
        "/api/v2/chat/notifyUserNewChatMessage",
        [on(Method::POST, notify_user_new_chat_message::handle)],
    );
    r.resource(
        "/api/v2/chat/notifyUserNewChatEvent",
        [on(Method::POST, notify_user_new_chat_event::handle)],
    );
    r.resource(
        "/api/v2/chat/notifyUserVisited",
        [on(Method::POST, notify_user_visited::handle)],
    );
    r.resource(
        "/api/v2/chat/notifyUserEndChat",
        [on(Method::POST, notify_user_end_chat::handle)],
    );
    r.resource(
        "/api/v2/chat/addAttachment",
        [on(Method::POST, add_attachment::handle)],
    );
    r.resource(
        "/api/v2/chat/checkOriginAndIP",
        [on(Method::POST, check_origin_and_ip::handle)],
    );
    r.resource(
        "/api/v2/chat/requestChatQueue",
        [on(Method::POST, request_chat_queue::handle)],
    );
    r.resource(
        "/api/v2/chat/whitelistedDomainsAndBlacklistedIPs",
        [on(
            Method::GET,
            whitelisted_domains_and_blacklisted_ips::handle,
        )],
    );
}
