//! What requests mean, free of HTTP and SQL: the validated chat requests, permissions,
//! service hours, and the origin/IP rules.

pub mod access;
pub mod chat_account;
pub mod chat_requests;
pub mod email;
pub mod form;
pub mod jivochat;
pub mod permission;
pub mod retry;
pub mod search;
pub mod service_hours;
pub mod ticket;
pub mod time;
pub mod view;
