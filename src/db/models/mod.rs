//! One file per table: the row type, the insertable type and the queries on that table.

pub mod agent_group;
pub mod allowed_domain;
pub mod api_key;
pub mod attachment;
pub mod blocked_ip;
pub mod chat_account;
pub mod chat_event;
pub mod chat_session;
pub mod console_session;
pub mod customer;
pub mod customer_external_id;
pub mod delivery;
pub mod inbound_mail;
pub mod mail;
pub mod message;
pub mod notification;
pub mod password_reset;
pub mod sign_in_failure;
pub mod stream_event;
pub mod tenant;
pub mod ticket;
pub mod ticket_event;
pub mod ticket_tag;
pub mod user;
pub mod view;
