//! Settings: built-in defaults, then an optional file (`--config FILE`, TOML), then
//! environment variables `OMNIBRIDGE__SECTION__KEY`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub attachments: AttachmentSettings,
    pub delivery: DeliverySettings,
    pub mail: MailSettings,
    pub console: ConsoleSettings,
    pub limits: LimitSettings,
}

/// Rate limits on the API, per instance: a bucket per API key and one per client address
/// (0 requests per second = no limit of that kind).
#[derive(Debug, Clone, Deserialize)]
pub struct LimitSettings {
    /// Requests per second one API key may make, on average...
    pub key_per_second: u32,
    /// ...and at once, after a quiet while.
    pub key_burst: u32,
    pub address_per_second: u32,
    pub address_burst: u32,
    /// Whether chat servers' keys (`API_CHAT`, bound to no agent) are limited too; `false`
    /// lets them and their addresses through unlimited.
    pub chat_servers: bool,
}

/// The agent console's sign-in: how long a session lasts and how many wrong passwords are
/// let through.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleSettings {
    /// A session unused for this long ends.
    pub session_idle_minutes: u64,
    /// A session ends this long after sign-in, however much it is used.
    pub session_max_hours: u64,
    /// Wrong passwords for one account within `sign_in_window_seconds` before its sign-ins
    /// are refused (`429`) until the window has passed.
    pub sign_in_attempts_per_account: i64,
    /// The same for one client address, over every account.
    pub sign_in_attempts_per_address: i64,
    pub sign_in_window_seconds: u64,
}

/// Mail out, and mail in. Mails out are retried like deliveries (the `delivery` section's
/// polling, backoff, attempts, timeout and lease apply to both outboxes). Mail comes in
/// through `POST /api/v2/email/inbound` and, when `imap_url` is set, from an IMAP mailbox.
#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    /// lettre's URL form, e.g. `smtp://127.0.0.1:2525`, `smtps://user:pass@host`,
    /// `smtp://host:587?tls=required`; empty = write `.eml` files into `dir` instead.
    pub smtp_url: String,
    /// The sender, e.g. `Acme Support <support@acme.example>`; its domain also names the
    /// mails' `Message-ID`s.
    pub from: String,
    pub dir: PathBuf,
    /// The largest message taken in (either way in); bigger ones are `413` (and stay in the
    /// IMAP mailbox, flagged `$OmnibridgeRejected`).
    pub inbound_max_bytes: u64,
    /// `imap://user:password@host:143` or `imaps://user:password@host:993` (user and password
    /// percent-encoded); empty = no mailbox is polled.
    pub imap_url: String,
    /// The folder read.
    pub imap_folder: String,
    /// Where a message is moved once it is stored; empty = it stays, flagged `\Seen`.
    pub imap_done_folder: String,
    /// The tenant the mailbox's mail belongs to.
    pub imap_tenant: i64,
    /// How often the mailbox is read when the server has no IDLE, and the longest an IDLE
    /// waits before it is renewed.
    pub imap_poll_seconds: u64,
}

/// Calls back to chat servers (agents' replies): how often the outbox is polled and how
/// failed calls are retried.
#[derive(Debug, Clone, Deserialize)]
pub struct DeliverySettings {
    pub poll_interval_ms: u64,
    /// First retry after about this long; each next one waits twice as long (with jitter).
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// After this many failed attempts a delivery is `failed` (kept, with its last answer).
    pub max_attempts: i32,
    pub timeout_ms: u64,
    /// How long a claimed delivery stays with the instance that claimed it.
    pub lease_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Largest request body other than an attachment.
    pub max_body_bytes: u64,
    /// HTTP worker threads; 0 = one per core.
    pub workers: usize,
    /// How long a looked-up API key is trusted before it is read again (a revocation takes
    /// at most this long to reach every instance); 0 = read it on every request.
    pub api_key_cache_seconds: u64,
    /// Ticket lists count matching tickets exactly up to this many past the page; beyond that
    /// `itemTotal` is a lower bound and `itemTotalExact` is false. 0 = always count them all.
    pub list_count_limit: u32,
    /// The event stream sends a comment this often, so proxies keep it open.
    pub stream_heartbeat_seconds: u64,
    /// Events a stream may fall behind by before it loses the oldest (and is told `lagged`).
    pub stream_buffer: usize,
    /// How long each instance keeps events for streams that reconnect with `Last-Event-ID`.
    pub stream_replay_seconds: u64,
    /// Agents are notified of a chat still waiting after this long; 0 = never.
    pub wait_alert_seconds: u64,
    /// A request body must have arrived whole within this long, plus a second per 64 KiB it
    /// declares (else `408`), so a client that stops sending cannot hold a connection;
    /// 0 = no deadline.
    pub body_timeout_seconds: u64,
    /// The address people reach omnibridge at, e.g. `https://help.example.com`: cookies are
    /// `Secure` when it is https. Empty: `http://host:port`.
    pub public_url: String,
    /// Take a client's address from the first entry of `X-Forwarded-For` (set it only behind
    /// a proxy that writes that header itself): the console's per-address sign-in limit
    /// counts by it.
    pub trust_forwarded_for: bool,
    /// `GET /metrics` answers a scrape that sends this as `Authorization: Bearer …`; empty
    /// turns `/metrics` off (`404`).
    pub metrics_token: String,
    /// Serve a stand-in chat server at `/demo/chat` (set by `serve --demo`).
    pub demo_chat_server: bool,
    /// How often the retention job looks for customers to purge and solved tickets to close
    /// (chat accounts' `purge_after_days`, `close_solved_after_days`); 0 = never.
    pub retention_every_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// A SQLite path (the default) or a `postgres://` URL.
    pub url: String,
    pub pool_size: u32,
    /// SQLite's `synchronous` pragma: `FULL` (an fsync per commit) or `NORMAL` (WAL-safe
    /// against crashes of omnibridge, not of the machine).
    pub sqlite_synchronous: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AttachmentSettings {
    pub dir: PathBuf,
    pub max_bytes: u64,
}

impl Settings {
    pub fn load(file: Option<&Path>) -> Result<Settings, config::ConfigError> {
        let mut builder = config::Config::builder()
            .set_default("server.host", "127.0.0.1")?
            .set_default("server.port", 8080)?
            .set_default("server.max_body_bytes", 1024 * 1024)?
            .set_default("server.workers", 0)?
            .set_default("server.api_key_cache_seconds", 5)?
            .set_default("server.list_count_limit", 1000)?
            .set_default("server.stream_heartbeat_seconds", 15)?
            .set_default("server.stream_buffer", 1024)?
            .set_default("server.stream_replay_seconds", 300)?
            .set_default("server.wait_alert_seconds", 120)?
            .set_default("server.body_timeout_seconds", 30)?
            .set_default("database.url", "omnibridge.db")?
            .set_default("database.pool_size", 8)?
            .set_default("database.sqlite_synchronous", "FULL")?
            .set_default("attachments.dir", "data/attachments")?
            .set_default("attachments.max_bytes", 20 * 1024 * 1024)?
            .set_default("delivery.poll_interval_ms", 500)?
            .set_default("delivery.backoff_base_ms", 1000)?
            .set_default("delivery.backoff_max_ms", 600_000)?
            .set_default("delivery.max_attempts", 20)?
            .set_default("delivery.timeout_ms", 10_000)?
            .set_default("delivery.lease_seconds", 60)?
            .set_default("mail.smtp_url", "")?
            .set_default("mail.from", "omnibridge <omnibridge@localhost>")?
            .set_default("mail.dir", "mail")?
            .set_default("mail.inbound_max_bytes", 25 * 1024 * 1024)?
            .set_default("mail.imap_url", "")?
            .set_default("mail.imap_folder", "INBOX")?
            .set_default("mail.imap_done_folder", "")?
            .set_default("mail.imap_tenant", 1)?
            .set_default("mail.imap_poll_seconds", 60)?
            .set_default("server.public_url", "")?
            .set_default("server.trust_forwarded_for", false)?
            .set_default("server.metrics_token", "")?
            .set_default("server.demo_chat_server", false)?
            .set_default("server.retention_every_seconds", 3600)?
            .set_default("limits.key_per_second", 100)?
            .set_default("limits.key_burst", 1000)?
            .set_default("limits.address_per_second", 200)?
            .set_default("limits.address_burst", 2000)?
            .set_default("limits.chat_servers", true)?
            .set_default("console.session_idle_minutes", 12 * 60)?
            .set_default("console.session_max_hours", 7 * 24)?
            .set_default("console.sign_in_attempts_per_account", 5)?
            .set_default("console.sign_in_attempts_per_address", 20)?
            .set_default("console.sign_in_window_seconds", 15 * 60)?;
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        let settings: Settings = builder
            .add_source(
                config::Environment::with_prefix("OMNIBRIDGE")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), config::ConfigError> {
        let sync = self.database.sqlite_synchronous.to_ascii_uppercase();
        if !["FULL", "NORMAL", "EXTRA"].contains(&sync.as_str()) {
            return Err(config::ConfigError::Message(format!(
                "database.sqlite_synchronous must be FULL, NORMAL or EXTRA, not {sync:?}"
            )));
        }
        if self.database.pool_size == 0 {
            return Err(config::ConfigError::Message(
                "database.pool_size must be at least 1".into(),
            ));
        }
        // A lease that ends while its call still waits for an answer lets the row go out
        // again, and the ticket's next delivery overtake it.
        if self.delivery.lease_seconds.saturating_mul(1000) <= self.delivery.timeout_ms {
            return Err(config::ConfigError::Message(format!(
                "delivery.lease_seconds ({}) must be longer than delivery.timeout_ms ({} ms)",
                self.delivery.lease_seconds, self.delivery.timeout_ms
            )));
        }
        Ok(())
    }
}
