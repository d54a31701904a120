//! Builds the server from settings and a bound listener, so tests can run the real thing on
//! port 0 and ask which port they got.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{web, App, HttpServer};

use crate::config::Settings;
use crate::console;
use crate::db::{Db, Dialect};
use crate::error::ApiError;
use crate::extract::auth::KeyCache;
use crate::extract::limits::Limits;
use crate::routes;
use crate::services::events::{Events, KeysRevoked, Payload, RESYNC};

/// After a stop is asked for, how long requests in flight have to finish.
const SHUTDOWN_TIMEOUT_SECONDS: u64 = 8;

/// Resolves on SIGTERM or SIGINT, once this instance's event streams were told to end: then
/// actix stops accepting, lets the requests in flight finish (their writes commit before
/// their answers go out) and stops. An open stream would otherwise hold the stop until the
/// timeout. A second signal exits at once.
async fn stop_requested(events: Events) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        log::error!("cannot listen for SIGTERM and SIGINT: stop the server with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => log::info!("SIGTERM: stopping"),
        _ = interrupt.recv() => log::info!("SIGINT: stopping"),
    }
    events.close_streams();
    // A second signal while requests finish: stop at once (a second Ctrl-C, say).
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
        log::warn!("a second signal: exiting without waiting for requests in flight");
        std::process::exit(1);
    });
}

pub struct Application {
    port: u16,
    server: Server,
    /// Told when the server has stopped (it writes what it holds for resuming streams).
    events: Events,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] ApiError),
    #[error("listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("settings: {0}")]
    Settings(String),
}

pub fn connect_database(settings: &Settings) -> Result<Db, ApiError> {
    let db = Db::connect(
        &settings.database.url,
        settings.database.pool_size,
        &settings.database.sqlite_synchronous,
    )?;
    for version in db.migrate()? {
        log::info!("applied migration {version}");
    }
    Ok(db)
}

impl Application {
    /// Connects, applies pending migrations and binds `server.host:server.port`.
    pub fn build(settings: Settings) -> Result<Application, StartupError> {
        let db = connect_database(&settings)?;
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        Application::with_listener(settings, db, listener)
    }

    pub fn with_listener(
        settings: Settings,
        db: Db,
        listener: TcpListener,
    ) -> Result<Application, StartupError> {
        let port = listener.local_addr()?.port();
        crate::services::mail::check_settings(&settings.mail).map_err(StartupError::Settings)?;
        let mailbox = crate::channels::email::imap::Mailbox::from_settings(&settings.mail)
            .map_err(StartupError::Settings)?;
        let (metrics, db_metrics) = routes::metrics::Metrics::new()
            .map_err(|e| StartupError::Settings(format!("metrics: {e}")))?;
        let db = db.with_metrics(db_metrics).with_group_commit()?;
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        crate::services::notify::spawn_wait_alerts(
            db.clone(),
            Duration::from_secs(settings.server.wait_alert_seconds),
        );
        crate::services::mail::spawn_worker(
            db.clone(),
            settings.mail.clone(),
            settings.delivery.clone(),
            settings.attachments.dir.clone(),
        );
        // Events cross instances through the database they share: only Postgres is shared.
        let events = match db.dialect() {
            Dialect::Postgres => {
                Events::postgres(&settings.database.url, settings.server.stream_buffer)
            }
            Dialect::Sqlite => Events::local(settings.server.stream_buffer),
        }
        .replay_for(Duration::from_secs(settings.server.stream_replay_seconds))
        .kept_in(&db)?;
        if let Some(mailbox) = mailbox {
            crate::channels::email::imap::spawn(
                mailbox,
                db.clone(),
                events.clone(),
                settings.attachments.dir.clone(),
            );
        }
        crate::services::delivery::spawn_worker(
            db.clone(),
            events.clone(),
            settings.delivery.clone(),
            settings.attachments.dir.clone(),
        );
        crate::services::retention::spawn(
            db.clone(),
            events.clone(),
            settings.attachments.dir.clone(),
            Duration::from_secs(settings.server.retention_every_seconds),
            metrics.retention.clone(),
        );
        let keys = web::Data::new(KeyCache::new(Duration::from_secs(
            settings.server.api_key_cache_seconds,
        )));
        // A revocation reaches every instance's key cache at once, not after its time to live.
        let cache = keys.clone();
        events.on_internal(move |event| match event.kind.as_str() {
            KeysRevoked::KIND => {
                if let Ok(revoked) = serde_json::from_value::<KeysRevoked>(event.data.clone()) {
                    cache.forget(&revoked.prefixes);
                }
            }
            // Revocations may have gone by unheard: read every key again.
            RESYNC => cache.clear(),
            _ => {}
        });
        let limits = web::Data::new(Limits::new(&settings.limits));
        let forgetting = limits.clone();
        actix_web::rt::spawn(async move {
            let mut every = actix_web::rt::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                forgetting.forget_idle();
            }
        });
        let batcher = web::Data::new(crate::services::message_batch::start(&db)?);
        let stopping = events.clone();
        let stopped = events.clone();
        let events = web::Data::new(events);
        let db = web::Data::new(db);
        let settings = web::Data::new(settings);
        // The answers actix writes before any handler runs are JSON errors too.
        actix_http::h1::set_error_body(crate::error::dispatcher_error);
        let demo_chat = settings.server.demo_chat_server;
        let metrics_on = !settings.server.metrics_token.is_empty();
        let metrics = web::Data::new(metrics);
        let server = HttpServer::new(move || {
            let measured = metrics.clone();
            App::new()
                .wrap_fn(move |req, service| measured.measure(req, service))
                // The path only: query strings can carry an apiKey, and a webhook's path its
                // token, which must never be logged.
                .wrap(
                    Logger::new("%a \"%{method}xi %{path}xi\" %s %b %Dms")
                        .custom_request_replace("method", |req| req.method().to_string())
                        .custom_request_replace("path", |req| routes::logged_path(req.path())),
                )
                .app_data(db.clone())
                .app_data(events.clone())
                .app_data(batcher.clone())
                .app_data(keys.clone())
                .app_data(limits.clone())
                .app_data(settings.clone())
                .app_data(metrics.clone())
                .configure(routes::configure)
                .configure(console::configure)
                .configure(|cfg| {
                    if metrics_on {
                        cfg.route(
                            routes::metrics::PATH,
                            web::get().to(routes::metrics::scrape),
                        );
                    }
                    if demo_chat {
                        cfg.route(
                            routes::demo_chat::PATH,
                            web::post().to(routes::demo_chat::receive),
                        );
                    }
                })
                .default_service(web::to(routes::not_found))
        })
        .workers(workers)
        .shutdown_signal(stop_requested(stopping))
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECONDS)
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            events: stopped,
        })
    }

    /// Stops the server from elsewhere (tests, signal handlers).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let ran = self.server.await;
        self.events.stopped().await;
        ran
    }
}
