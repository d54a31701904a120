//! What is neither HTTP nor SQL: chats becoming tickets, the queue, access checks,
//! attachment storage, keys and the administration the CLI offers.

pub mod access;
pub mod admin;
pub mod attachments;
pub mod backup;
pub mod chat;
pub mod chat_accounts;
pub mod chat_config;
pub mod customers;
pub mod delivery;
pub mod events;
pub mod groups;
pub mod inbound_mail;
pub mod jivochat;
pub mod keys;
pub mod mail;
pub mod message_batch;
pub mod monitoring;
pub mod notifications;
pub mod notify;
pub mod queue;
pub mod replies;
pub mod retention;
pub mod seed;
pub mod settings;
pub mod sign_in;
pub mod tickets;
pub mod timeline;
pub mod users;
pub mod views;
