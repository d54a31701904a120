//! Spawns the real server on port 0 with a fresh database per test: a SQLite file by
//! default, or a Postgres database cloned from a migrated template when
//! `OMNIBRIDGE_TEST_POSTGRES` names a server (e.g. `postgres://postgres@127.0.0.1:5432`).

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use diesel::prelude::*;
use diesel::Connection;
use omnibridge::config::{
    AttachmentSettings, ConsoleSettings, DatabaseSettings, DeliverySettings, LimitSettings,
    MailSettings, ServerSettings, Settings,
};
use omnibridge::db::Db;
use omnibridge::domain::permission::Permission;
use omnibridge::services::admin::{self, ChatAccountOptions};
use omnibridge::startup::Application;
use serde_json::Value;

pub const CHAT_SERVER: &str = "chat.example.com";

/// The Postgres server the tests use (host, port), if any.
pub fn postgres_server() -> Option<(String, u16)> {
    let base = url::Url::parse(&postgres_base()?).ok()?;
    Some((base.host_str()?.to_owned(), base.port().unwrap_or(5432)))
}

fn postgres_base() -> Option<String> {
    std::env::var("OMNIBRIDGE_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('/').to_owned())
}

/// Serializes CREATE/DROP DATABASE (Postgres refuses to copy a template being copied).
static PG_ADMIN: Mutex<()> = Mutex::new(());
/// The migrated database every test database is copied from, one per Postgres role.
static TEMPLATE: OnceLock<String> = OnceLock::new();

fn pg_admin(base: &str) -> PgConnection {
    PgConnection::establish(&format!("{base}/postgres")).expect("connect to the Postgres server")
}

fn postgres_database(base: &str) -> (String, String) {
    let _guard = PG_ADMIN.lock().unwrap_or_else(|e| e.into_inner());
    let template = TEMPLATE.get_or_init(|| {
        let mut admin = pg_admin(base);
        // Only what this role owns: another role's leftovers (or template) are not ours to drop.
        let role = diesel::sql_query("SELECT current_user::text AS name")
            .get_result::<DbName>(&mut admin)
            .expect("the role")
            .name;
        let template = format!(
            "omnibridge_template_{}",
            role.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        let stale: Vec<String> = diesel::sql_query(
            "SELECT datname AS name FROM pg_database WHERE datname LIKE 'ob_test_%' \
             AND pg_get_userbyid(datdba) = current_user",
        )
        .load::<DbName>(&mut admin)
        .expect("list stale test databases")
        .into_iter()
        .map(|d| d.name)
        .collect();
        for name in stale.iter().map(String::as_str).chain([template.as_str()]) {
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .expect("drop old test database");
        }
        diesel::sql_query(format!("CREATE DATABASE {template}"))
            .execute(&mut admin)
            .expect("create template");
        let db = Db::connect(&format!("{base}/{template}"), 1, "FULL").expect("template pool");
        db.migrate().expect("migrate template");
        template
    });
    let name = format!("ob_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = pg_admin(base);
    diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .execute(&mut admin)
        .expect("create test database");
    (format!("{base}/{name}"), name)
}

#[derive(QueryableByName)]
struct DbName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    /// A second pool on the server's database, for seeding and for checking what was stored.
    pub db: Db,
    pub tenant_id: i64,
    pub api_key: String,
    pub chat_token: String,
    pub attachments_dir: PathBuf,
    /// Where mails go as `.eml` files when no SMTP server is set.
    pub mail_dir: PathBuf,
    handle: actix_web::dev::ServerHandle,
    server_thread: Option<std::thread::JoinHandle<()>>,
    settings: Settings,
    pg_database: Option<String>,
    _dir: tempfile::TempDir,
}

pub struct Options {
    pub max_body_bytes: u64,
    pub max_attachment_bytes: u64,
    pub api_key_cache_seconds: u64,
    pub list_count_limit: u32,
    /// `mail.smtp_url`; empty (the default) writes mails as `.eml` files into `mail_dir`.
    pub smtp_url: String,
    /// `server.wait_alert_seconds`; 0 (the default here) turns the alerts off.
    pub wait_alert_seconds: u64,
    /// `server.retention_every_seconds`; 0 (the default here) turns the job off.
    pub retention_every_seconds: u64,
    /// `server.body_timeout_seconds`.
    pub body_timeout_seconds: u64,
    /// On SQLite, the database file's path instead of one in the test's temporary folder
    /// (the caller removes it).
    pub sqlite_path: Option<String>,
    /// `console.session_idle_minutes`.
    pub session_idle_minutes: u64,
    /// `server.demo_chat_server` (as `serve --demo` sets it).
    pub demo_chat_server: bool,
    /// `mail.inbound_max_bytes`.
    pub inbound_max_bytes: u64,
    /// `mail.imap_url`; empty (the default) polls no mailbox.
    pub imap_url: String,
    /// `mail.imap_done_folder`.
    pub imap_done_folder: String,
    /// `server.public_url`.
    pub public_url: String,
    /// `server.metrics_token`; empty (the default) turns `/metrics` off.
    pub metrics_token: String,
    /// `delivery.timeout_ms`.
    pub delivery_timeout_ms: u64,
    /// `limits.*`: by default those of a new install.
    pub limits: LimitSettings,
    /// On Postgres, the server (not the test's own pool) reaches the database through this
    /// port of 127.0.0.1 (a proxy the test controls).
    pub postgres_via_port: Option<u16>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_body_bytes: 1024 * 1024,
            max_attachment_bytes: 20 * 1024 * 1024,
            api_key_cache_seconds: 5,
            list_count_limit: 1000,
            smtp_url: String::new(),
            wait_alert_seconds: 0,
            retention_every_seconds: 0,
            sqlite_path: None,
            session_idle_minutes: 60,
            demo_chat_server: false,
            body_timeout_seconds: 30,
            inbound_max_bytes: 25 * 1024 * 1024,
            imap_url: String::new(),
            imap_done_folder: String::new(),
            public_url: String::new(),
            metrics_token: String::new(),
            delivery_timeout_ms: 2000,
            limits: LimitSettings {
                key_per_second: 100,
                key_burst: 1000,
                address_per_second: 200,
                address_burst: 2000,
                chat_servers: true,
            },
            postgres_via_port: None,
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    tokio::task::spawn_blocking(move || build_app(options))
        .await
        .expect("build the test app")
}

fn build_app(options: Options) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg_database) = match postgres_base() {
        Some(base) => {
            let (url, name) = postgres_database(&base);
            (url, Some(name))
        }
        None => match &options.sqlite_path {
            Some(path) => (path.clone(), None),
            None => (dir.path().join("test.db").display().to_string(), None),
        },
    };
    let attachments_dir = dir.path().join("attachments");
    let server_url = match (options.postgres_via_port, &pg_database) {
        (Some(port), Some(_)) => {
            let mut via = url::Url::parse(&url).expect("a Postgres URL");
            via.set_host(Some("127.0.0.1")).unwrap();
            via.set_port(Some(port)).unwrap();
            via.to_string()
        }
        _ => url.clone(),
    };
    let settings = Settings {
        server: ServerSettings {
            host: "127.0.0.1".into(),
            port: 0,
            max_body_bytes: options.max_body_bytes,
            workers: 2,
            api_key_cache_seconds: options.api_key_cache_seconds,
            list_count_limit: options.list_count_limit,
            stream_heartbeat_seconds: 1,
            stream_buffer: 1024,
            stream_replay_seconds: 300,
            wait_alert_seconds: options.wait_alert_seconds,
            retention_every_seconds: options.retention_every_seconds,
            body_timeout_seconds: options.body_timeout_seconds,
            public_url: options.public_url.clone(),
            metrics_token: options.metrics_token.clone(),
            trust_forwarded_for: false,
            demo_chat_server: options.demo_chat_server,
        },
        database: DatabaseSettings {
            url: server_url,
            pool_size: 8,
            sqlite_synchronous: "NORMAL".into(),
        },
        attachments: AttachmentSettings {
            dir: attachments_dir.clone(),
            max_bytes: options.max_attachment_bytes,
        },
        // Fast retries, so delivery tests take milliseconds.
        delivery: DeliverySettings {
            poll_interval_ms: 20,
            backoff_base_ms: 30,
            backoff_max_ms: 200,
            max_attempts: 8,
            timeout_ms: options.delivery_timeout_ms,
            // Longer than a call may take, as the server's own settings must be.
            lease_seconds: (options.delivery_timeout_ms / 1000 + 3).max(5),
        },
        mail: MailSettings {
            smtp_url: options.smtp_url.clone(),
            from: "Acme Support <support@acme.example>".into(),
            dir: dir.path().join("mail"),
            inbound_max_bytes: options.inbound_max_bytes,
            imap_url: options.imap_url.clone(),
            imap_folder: "INBOX".into(),
            imap_done_folder: options.imap_done_folder.clone(),
            imap_tenant: 1,
            // A missed IDLE notice costs a test at most this long.
            imap_poll_seconds: 5,
        },
        console: ConsoleSettings {
            session_idle_minutes: options.session_idle_minutes,
            session_max_hours: 24,
            sign_in_attempts_per_account: 5,
            sign_in_attempts_per_address: 20,
            sign_in_window_seconds: 900,
        },
        limits: options.limits.clone(),
    };
    let (port, handle, server_thread) = start_server(settings.clone());

    let db = Db::connect(&url, 2, "NORMAL").expect("test pool");
    let tenant_id = admin::create_tenant(&db, "Acme").expect("tenant");
    let api_key = admin::create_api_key(&db, tenant_id, &[Permission::ApiChat])
        .expect("key")
        .key;
    let chat_token = admin::create_chat_account(
        &db,
        tenant_id,
        &ChatAccountOptions {
            token: Some("acmewebchat0001".into()),
            ..ChatAccountOptions::named("Acme website")
        },
    )
    .expect("chat account")
    .token;
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::new(),
        db,
        tenant_id,
        api_key,
        chat_token,
        attachments_dir,
        mail_dir: dir.path().join("mail"),
        handle,
        server_thread: Some(server_thread),
        settings,
        pg_database,
        _dir: dir,
    }
}

type ServerParts = (
    u16,
    actix_web::dev::ServerHandle,
    std::thread::JoinHandle<()>,
);

fn start_server(settings: Settings) -> ServerParts {
    let db = omnibridge::startup::connect_database(&settings).expect("database");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let (tx, rx) = std::sync::mpsc::channel();
    let server_thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::with_listener(settings, db, listener).expect("build app");
            tx.send((app.port(), app.handle())).expect("report port");
            app.run_until_stopped().await.expect("server ran");
        })
    });
    let (port, handle) = rx.recv().expect("server started");
    (port, handle, server_thread)
}

/// A second omnibridge on a test app's database (another instance behind the same load
/// balancer). Stopped when dropped.
pub struct Twin {
    pub address: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Twin {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let thread = self.thread.take();
        let _ = std::thread::spawn(move || {
            block_on(handle.stop(false));
            if let Some(t) = thread {
                let _ = t.join();
            }
        })
        .join();
    }
}

impl TestApp {
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn is_postgres(&self) -> bool {
        self.pg_database.is_some()
    }

    /// Starts another instance on the same database.
    pub async fn twin(&self) -> Twin {
        let settings = self.settings.clone();
        let (port, handle, thread) = tokio::task::spawn_blocking(move || start_server(settings))
            .await
            .expect("twin");
        Twin {
            address: format!("http://127.0.0.1:{port}"),
            handle,
            thread: Some(thread),
        }
    }

    /// Stops omnibridge and starts it again on the same database (on a new port).
    pub async fn restart(&mut self) {
        let handle = self.handle.clone();
        let thread = self.server_thread.take();
        let settings = self.settings.clone();
        let (port, handle, server_thread) = tokio::task::spawn_blocking(move || {
            block_on(handle.stop(false));
            if let Some(t) = thread {
                let _ = t.join();
            }
            start_server(settings)
        })
        .await
        .expect("restart");
        self.port = port;
        self.address = format!("http://127.0.0.1:{port}");
        self.handle = handle;
        self.server_thread = Some(server_thread);
    }
}

/// A chat server for delivery tests: records what it receives and answers 503 to its first
/// `fail_first` requests.
pub struct FakeChatServer {
    pub base: String,
    /// Each request's path, headers and body, in arrival order.
    pub received: std::sync::Arc<Mutex<Vec<(String, actix_web::http::header::HeaderMap, String)>>>,
    handle: actix_web::dev::ServerHandle,
}

impl FakeChatServer {
    pub fn start(fail_first: usize) -> FakeChatServer {
        FakeChatServer::start_on(TcpListener::bind("127.0.0.1:0").expect("bind"), fail_first)
    }

    pub fn start_on(listener: TcpListener, fail_first: usize) -> FakeChatServer {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let port = listener.local_addr().unwrap().port();
        let received = std::sync::Arc::new(Mutex::new(Vec::new()));
        let seen = received.clone();
        let count = std::sync::Arc::new(AtomicUsize::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    let seen = seen.clone();
                    let count = count.clone();
                    actix_web::App::new()
                        .app_data(actix_web::web::PayloadConfig::new(64 * 1024 * 1024))
                        .default_service(actix_web::web::to(
                            move |req: actix_web::HttpRequest, body: String| {
                                let (seen, count) = (seen.clone(), count.clone());
                                async move {
                                    let n = count.fetch_add(1, Ordering::SeqCst);
                                    seen.lock().unwrap().push((
                                        req.path().to_owned(),
                                        req.headers().clone(),
                                        body,
                                    ));
                                    if n < fail_first {
                                        actix_web::HttpResponse::ServiceUnavailable().body("busy")
                                    } else {
                                        actix_web::HttpResponse::Ok().body("ok")
                                    }
                                }
                            },
                        ))
                })
                .workers(1)
                .listen(listener)
                .expect("listen")
                .run();
                tx.send(server.handle()).unwrap();
                let _ = server.await;
            })
        });
        FakeChatServer {
            base: format!("http://127.0.0.1:{port}"),
            received,
            handle: rx.recv().unwrap(),
        }
    }

    pub fn requests(&self) -> Vec<(actix_web::http::header::HeaderMap, String)> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(_, headers, body)| (headers.clone(), body.clone()))
            .collect()
    }

    /// The requests to one endpoint, e.g. `/uploadForCustomer`.
    pub fn requests_to(&self, path: &str) -> Vec<(actix_web::http::header::HeaderMap, String)> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, headers, body)| (headers.clone(), body.clone()))
            .collect()
    }
}

impl Drop for FakeChatServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || block_on(handle.stop(false))).join();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the workers (they hold the server's pool), then drop a Postgres database.
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || block_on(handle.stop(false))).join();
        if let Some(t) = self.server_thread.take() {
            let _ = t.join();
        }
        if let (Some(name), Some(base)) = (self.pg_database.take(), postgres_base()) {
            let _guard = PG_ADMIN.lock().unwrap_or_else(|e| e.into_inner());
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut pg_admin(&base));
        }
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(f)
}

/// How a test sends a form: the three content types the API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Multipart,
    UrlEncoded,
    Json,
}

pub const ENCODINGS: [Encoding; 3] = [Encoding::Multipart, Encoding::UrlEncoded, Encoding::Json];

pub type Form = Vec<(&'static str, String)>;

pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn field_codes(&self, field: &str) -> Vec<String> {
        self.body["fields"][field]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, endpoint: &str) -> String {
        format!("{}/api/v2/chat/{endpoint}", self.address)
    }

    pub async fn post(
        &self,
        endpoint: &str,
        form: &[(&str, String)],
        encoding: Encoding,
    ) -> Answer {
        self.post_as(&self.api_key, endpoint, form, encoding).await
    }

    pub async fn post_as(
        &self,
        api_key: &str,
        endpoint: &str,
        form: &[(&str, String)],
        encoding: Encoding,
    ) -> Answer {
        let request = self
            .client
            .post(self.url(endpoint))
            .header("apiKey", api_key);
        let request = match encoding {
            Encoding::Multipart => {
                let mut multipart = reqwest::multipart::Form::new();
                for (k, v) in form {
                    multipart = multipart.text(k.to_string(), v.clone());
                }
                request.multipart(multipart)
            }
            Encoding::UrlEncoded => request.form(form),
            Encoding::Json => {
                let map: HashMap<&str, &String> = form.iter().map(|(k, v)| (*k, v)).collect();
                request.json(&map)
            }
        };
        answer(request.send().await.expect("request sent")).await
    }

    /// An agent of the tenant and a key that acts as them with these permissions.
    pub fn agent(&self, name: &str, permissions: &[Permission]) -> (i64, String) {
        let email = format!("{}@agents.example", name.to_lowercase());
        let user = admin::create_user(&self.db, self.tenant_id, name, &email).expect("user");
        let key = admin::create_agent_api_key(&self.db, self.tenant_id, Some(user), permissions)
            .expect("agent key")
            .key;
        (user, key)
    }

    /// Turns the first chat account's transcripts on.
    pub async fn transcripts_on(&self, key: &str) {
        let accounts = self
            .agent_call(reqwest::Method::GET, "chatAccount", key, None)
            .await;
        let account = accounts.body["items"][0]["id"].as_i64().unwrap();
        let a = self
            .agent_call(
                reqwest::Method::PUT,
                &format!("chatAccount/{account}"),
                key,
                Some(serde_json::json!({"transcripts": true})),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }

    /// A request to the agent API (`path` below `/api/v2/`), with a JSON body if given.
    pub async fn agent_call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<serde_json::Value>,
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}/api/v2/{path}", self.address))
            .header("apiKey", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("request sent")).await
    }

    /// Uploads a file to the session (creating it if new) as a multipart `file` part.
    pub async fn upload(&self, session: &str, name: &str, bytes: Vec<u8>) -> Answer {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let response = self
            .client
            .post(self.url("addAttachment"))
            .header("apiKey", &self.api_key)
            .query(&[
                ("chatServer", CHAT_SERVER),
                ("chatSessionID", session),
                ("chatAccountToken", self.chat_token.as_str()),
            ])
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .expect("request sent");
        answer(response).await
    }

    /// A valid notifyUserNewChatMessage form for the session.
    pub fn message_form(&self, session: &str, text: &str) -> Form {
        vec![
            ("chatServer", CHAT_SERVER.into()),
            ("chatSessionID", session.into()),
            ("chatAccountToken", self.chat_token.clone()),
            ("message", text.into()),
        ]
    }

    pub async fn send_message(&self, session: &str, text: &str) -> Answer {
        self.post(
            "notifyUserNewChatMessage",
            &self.message_form(session, text),
            Encoding::Multipart,
        )
        .await
    }

    pub fn session_form(&self, session: &str) -> Form {
        vec![
            ("chatServer", CHAT_SERVER.into()),
            ("chatSessionID", session.into()),
        ]
    }

    /// Runs a statement on the server's database.
    /// The server's database URL (for the command line under test).
    pub fn database_url(&self) -> &str {
        &self.settings.database.url
    }

    pub fn exec(&self, sql: &str) {
        let sql = sql.to_owned();
        self.db
            .read_blocking(move |conn| Ok(diesel::sql_query(sql.clone()).execute(conn)?))
            .expect("statement");
    }

    /// Every row of every table of the server's database, as text: `(table, row)`.
    pub fn every_row(&self) -> Vec<(String, String)> {
        #[derive(QueryableByName)]
        struct Text {
            #[diesel(sql_type = diesel::sql_types::Text)]
            text: String,
        }
        let texts = |conn: &mut omnibridge::db::DbConnection, sql: String| -> Vec<String> {
            diesel::sql_query(sql)
                .load::<Text>(conn)
                .expect("a dump query")
                .into_iter()
                .map(|t| t.text)
                .collect()
        };
        let postgres = self.is_postgres();
        self.db
            .read_blocking(move |conn| {
                let tables = if postgres {
                    texts(
                        conn,
                        "SELECT table_name AS text FROM information_schema.tables \
                         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                            .into(),
                    )
                } else {
                    texts(
                        conn,
                        // Full-text indexes' own tables hold binary segments, not text.
                        "SELECT name AS text FROM sqlite_master WHERE type = 'table' \
                         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_data' \
                         AND name NOT LIKE '%_idx' AND name NOT LIKE '%_docsize' \
                         AND name NOT LIKE '%_config'"
                            .into(),
                    )
                };
                let mut rows = Vec::new();
                for table in tables {
                    let sql = if postgres {
                        format!("SELECT CAST(t AS TEXT) AS text FROM {table} t")
                    } else {
                        let columns = texts(
                            conn,
                            format!("SELECT name AS text FROM pragma_table_info('{table}')"),
                        );
                        let joined: Vec<String> = columns
                            .iter()
                            .map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '')"))
                            .collect();
                        format!(
                            "SELECT {} AS text FROM \"{table}\"",
                            joined.join(" || ' | ' || ")
                        )
                    };
                    rows.extend(texts(conn, sql).into_iter().map(|r| (table.clone(), r)));
                }
                Ok(rows)
            })
            .expect("every row")
    }

    /// Runs a counting query (`SELECT COUNT(*) AS n ...`) on the server's database.
    pub fn count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = sql.to_owned();
        self.db
            .read_blocking(move |conn| {
                Ok(diesel::sql_query(sql.clone()).get_result::<Count>(conn)?.n)
            })
            .expect("count query")
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text:?}"));
    Answer { status, body }
}

/// A free local port, for a server a test starts later.
/// Sets `omnibridge serve` up for a test: this database, 127.0.0.1:`port`, attachments in
/// `files`, warnings only.
pub fn serve_settings<'a>(
    command: &'a mut std::process::Command,
    database_url: &str,
    port: u16,
    files: &std::path::Path,
) -> &'a mut std::process::Command {
    command
        .env("OMNIBRIDGE__DATABASE__URL", database_url)
        .env("OMNIBRIDGE__SERVER__HOST", "127.0.0.1")
        .env("OMNIBRIDGE__SERVER__PORT", port.to_string())
        .env("OMNIBRIDGE__ATTACHMENTS__DIR", files)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
}

impl TestApp {
    /// `omnibridge serve` as a process of its own on this app's database, on a free port, with
    /// its attachments in `files`; and its address.
    pub fn serve_process(&self, files: &std::path::Path) -> (ServerProcess, String) {
        let port = free_port();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_omnibridge"));
        serve_settings(command.arg("serve"), self.database_url(), port, files);
        let server = ServerProcess(command.spawn().expect("omnibridge serve"));
        (server, format!("http://127.0.0.1:{port}"))
    }
}

/// An `omnibridge` process a test started, killed (SIGKILL, by its id) if the test ends
/// before it exited.
pub struct ServerProcess(pub std::process::Child);

impl ServerProcess {
    /// Waits (up to 30 s) until the process answers `/health` at `address`; fails if it exits.
    pub async fn until_it_answers(&mut self, address: &str) {
        let client = reqwest::Client::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while client
            .get(format!("{address}/health"))
            .send()
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the server never answered"
            );
            let exited = self.0.try_wait().unwrap();
            assert!(exited.is_none(), "the server exited: {exited:?}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .unwrap()
        .port()
}

/// A real SMTP server: aiosmtpd (Debian's `python3-aiosmtpd`) storing what it receives in a
/// maildir. Stopped when dropped.
pub struct SmtpSink {
    child: std::process::Child,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Debian's interpreter, where python3-aiosmtpd is installed, whatever else is on PATH.
    fn python() -> Option<&'static str> {
        ["/usr/bin/python3", "python3"].into_iter().find(|p| {
            std::process::Command::new(p)
                .args(["-c", "import aiosmtpd"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
    }

    /// Whether a test that needs a real SMTP server should skip: there is none to be had here
    /// (`cargo test` alone needs nothing but cargo). The README's test command installs it and
    /// sets `OMNIBRIDGE_TEST_REQUIRE_SMTP`, which turns a missing one into a failure.
    pub fn unavailable() -> bool {
        if SmtpSink::python().is_some() {
            return false;
        }
        assert!(
            std::env::var_os("OMNIBRIDGE_TEST_REQUIRE_SMTP").is_none(),
            "no python3 with aiosmtpd (apt-get install python3-aiosmtpd)"
        );
        eprintln!("skipped: no SMTP server (apt-get install python3-aiosmtpd)");
        true
    }

    pub fn start(port: u16) -> SmtpSink {
        let dir = tempfile::tempdir().expect("temp dir");
        let maildir = dir.path().join("maildir");
        let python =
            SmtpSink::python().expect("python3 with aiosmtpd (apt-get install python3-aiosmtpd)");
        let child = std::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "aiosmtpd never listened"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        SmtpSink {
            child,
            maildir,
            _dir: dir,
        }
    }

    /// Every message received so far, raw.
    pub fn messages(&self) -> Vec<String> {
        let mut found = Vec::new();
        for sub in ["new", "cur"] {
            for entry in std::fs::read_dir(self.maildir.join(sub))
                .into_iter()
                .flatten()
                .flatten()
            {
                found.push(std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        found
    }

    /// The messages to one address.
    pub fn messages_to(&self, address: &str) -> Vec<String> {
        self.messages()
            .into_iter()
            .filter(|m| header(m, "To").is_some_and(|to| to.contains(address)))
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A header's value in a raw mail (unfolded), if present.
pub fn header(mail: &str, name: &str) -> Option<String> {
    let head = mail.split("\r\n\r\n").next().unwrap_or(mail);
    let head = head.split("\n\n").next().unwrap_or(head);
    let mut value: Option<String> = None;
    for line in head.lines() {
        if let Some(v) = &mut value {
            if line.starts_with(' ') || line.starts_with('\t') {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case(name) {
                value = Some(v.trim().to_owned());
            }
        }
    }
    value
}

/// An agent's event stream (`GET /api/v2/notification/stream`), read as it arrives.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    pub async fn open(address: &str, key: &str) -> EventStream {
        EventStream::open_after(address, key, None).await
    }

    /// A stream opened again after the event with this id (`Last-Event-ID`).
    pub async fn open_after(address: &str, key: &str, last_event_id: Option<&str>) -> EventStream {
        let mut request = reqwest::Client::new()
            .get(format!("{address}/api/v2/notification/stream"))
            .header("apiKey", key);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("stream opened");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut stream = EventStream {
            response,
            buffer: String::new(),
        };
        // The opening comment: from here on, nothing published is missed.
        let first = stream.next_block().await;
        assert!(first.starts_with(": connected"), "{first}");
        stream
    }

    /// The next block (an event or a comment), waiting at most 20 s.
    pub async fn next_block(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block = self.buffer[..end].to_owned();
                self.buffer.drain(..end + 2);
                return block;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .expect("an event within 20 s")
                .expect("stream readable")
                .expect("stream still open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Whether the server closed the stream (nothing more within 5 s otherwise).
    pub async fn ended(&mut self) -> bool {
        let wait = std::time::Duration::from_secs(5);
        matches!(
            tokio::time::timeout(wait, self.response.chunk()).await,
            Ok(Ok(None))
        )
    }

    /// Whether the server ends the stream cleanly after what it has sent (read and skipped),
    /// within 5 s.
    pub async fn ends_after_what_was_sent(&mut self) -> bool {
        let wait = std::time::Duration::from_secs(5);
        loop {
            match tokio::time::timeout(wait, self.response.chunk()).await {
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None)) => return true,
                Ok(Err(_)) | Err(_) => return false,
            }
        }
    }

    /// The next event (comments skipped): its type and data.
    pub async fn next_event(&mut self) -> (String, serde_json::Value) {
        let (kind, data, _) = self.next_event_with_id().await;
        (kind, data)
    }

    /// The next event (comments skipped): its type, data and id.
    pub async fn next_event_with_id(&mut self) -> (String, serde_json::Value, Option<String>) {
        loop {
            let block = self.next_block().await;
            if block.starts_with(':') {
                continue;
            }
            let (mut kind, mut data, mut id) = (String::new(), serde_json::Value::Null, None);
            for line in block.lines() {
                if let Some(k) = line.strip_prefix("event: ") {
                    kind = k.to_owned();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(d).expect("data is JSON");
                } else if let Some(i) = line.strip_prefix("id: ") {
                    id = Some(i.to_owned());
                }
            }
            return (kind, data, id);
        }
    }
}

/// Waits (up to 30 s, checking every 50 ms) until `done`, or fails naming `what`. The server
/// runs on threads of its own, so blocking this one holds nothing up.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
