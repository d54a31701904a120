//! The API tests: one binary, the real server over HTTP, a fresh database per test.
//! `cargo test` runs them on SQLite; with `OMNIBRIDGE_TEST_POSTGRES` set, on Postgres.

mod answers;
mod attachments;
mod auth;
mod backup;
mod batches;
mod chat_accounts;
mod chat_config;
mod chat_message;
mod console;
mod customers;
mod disk_full;
mod events;
mod fixtures;
mod groups;
mod helpers;
mod hostile;
mod imap;
mod imap_server;

mod idempotency;
mod inbound_mail;
mod jivochat;
mod limits;
mod mail;
mod metrics;
mod notifications;
mod openapi;
mod origin_and_ip;
mod postgres_restart;
mod queue;
mod race;
mod replies;
mod retention;
mod search;
mod security;
mod shutdown;
mod stream;
mod tickets;
mod users;
mod validation;
mod views;
mod walkthrough;
