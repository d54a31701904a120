//! omnibridge: chat servers post Omnidesk-style notifications to `/api/v2/chat/*`, and every
//! chat session becomes a ticket with its messages, events, visited pages and attachments.

pub mod channels;
pub mod config;
pub mod console;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod routes;
pub mod services;
pub mod startup;
