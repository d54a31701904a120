//! The `omnibridge` binary: the server, migrations, and administration, each admin command
//! printing one JSON object on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{json, Value};

use omnibridge::config::Settings;
use omnibridge::domain::permission::Permission;
use omnibridge::error::ApiError;
use omnibridge::services::admin::{self, ChatAccountOptions};
use omnibridge::services::chat_accounts::{self, ChatAccountChanges};
use omnibridge::startup::{connect_database, Application};

/// mimalloc for Rust's allocations and (`override`) SQLite's: glibc's malloc and free were a
/// sixth of the SQLite writer's time. Its v2 line (`v2`): v3 has open reports of crashes.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "omnibridge", version, about = "Omnichannel ticketing bridge")]
struct Cli {
    /// A TOML settings file, read after the defaults and before OMNIBRIDGE__* variables.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations and serve the API.
    Serve {
        /// Make sure a `demo` tenant with a chat account and an agent exists, print a fresh API
        /// key and the agent's sign-in, and serve a stand-in chat server at `/demo/chat`.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    #[command(name = "chat-account")]
    ChatAccount {
        #[command(subcommand)]
        action: ChatAccountAction,
    },
    #[command(name = "api-key")]
    ApiKey {
        #[command(subcommand)]
        action: ApiKeyAction,
    },
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    Group {
        #[command(subcommand)]
        action: GroupAction,
    },
    /// SQLite: write a consistent copy of the database and the attachments folder to FILE (a
    /// tar archive) while the server runs. On Postgres, use pg_dump (see the README).
    Backup { file: std::path::PathBuf },
    /// SQLite: put a backup back, with the server stopped; `--force` replaces an existing
    /// database.
    Restore {
        file: std::path::PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Fill a tenant with synthetic tickets, for benchmarks (deterministic).
    Seed {
        #[arg(long)]
        tenant: i64,
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        #[arg(long, default_value_t = 20)]
        agents: usize,
    },
    Domain {
        #[command(subcommand)]
        action: DomainAction,
    },
    Ip {
        #[command(subcommand)]
        action: IpAction,
    },
}

#[derive(Subcommand)]
enum TenantAction {
    Create {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum ChatAccountAction {
    Create(Box<CreateChatAccount>),
    /// Changes a chat account's settings; only the options given change.
    Set(Box<SetChatAccount>),
}

#[derive(clap::Args)]
struct SetChatAccount {
    #[arg(long)]
    tenant: i64,
    /// The chat account's id.
    #[arg(long)]
    id: i64,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    language: Option<String>,
    /// Empty clears it.
    #[arg(long)]
    greeting: Option<String>,
    /// Empty clears it.
    #[arg(long)]
    offline_message: Option<String>,
    /// Contact fields the widget must ask for: customerName, emailAddress, phoneNumber
    /// (comma-separated; an empty value asks for none).
    #[arg(long = "require", value_delimiter = ',', num_args = 0..)]
    required_fields: Option<Vec<String>>,
    #[arg(long)]
    time_zone: Option<String>,
    /// e.g. "mon-fri 09:00-17:00; sat 10:00-14:00"; empty = always open.
    #[arg(long)]
    service_hours: Option<String>,
    #[arg(long)]
    attachment_max_bytes: Option<i64>,
    /// e.g. "image/*,application/pdf"; empty = any.
    #[arg(long, value_delimiter = ',', num_args = 0..)]
    attachment_types: Option<Vec<String>>,
    #[arg(long)]
    queue_enabled: Option<bool>,
    #[arg(long)]
    queue_max_length: Option<i32>,
    #[arg(long)]
    default_wait_seconds: Option<i32>,
    /// Mail the transcript to the customer when a chat ends: true or false.
    #[arg(long)]
    transcripts: Option<bool>,
    /// Purge the personal data of customers quiet this many days (0 = keep).
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..=36_500))]
    purge_after_days: Option<i32>,
    /// Close solved tickets untouched this many days (0 = never).
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..=36_500))]
    close_solved_after_days: Option<i32>,
    /// The agent group new chats go to (0 = none).
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..))]
    group: Option<i64>,
    /// Replace the signing secret (printed once, as `secret`).
    #[arg(long)]
    rotate_secret: bool,
    /// Replace the JivoChat webhook token (the old webhook URL stops working).
    #[arg(long)]
    rotate_webhook_token: bool,
}

#[derive(clap::Args)]
struct CreateChatAccount {
    #[arg(long)]
    tenant: i64,
    #[arg(long)]
    name: String,
    /// The chatAccountToken chat servers will send (letters and digits, at least 10);
    /// random when left out.
    #[arg(long)]
    token: Option<String>,
    #[arg(long, default_value = "en")]
    language: String,
    #[arg(long)]
    greeting: Option<String>,
    #[arg(long)]
    offline_message: Option<String>,
    /// Contact fields the widget must ask for: customerName, emailAddress, phoneNumber.
    #[arg(long = "require", value_delimiter = ',')]
    required_fields: Vec<String>,
    /// An IANA time zone, e.g. Europe/Amsterdam.
    #[arg(long, default_value = "UTC")]
    time_zone: String,
    /// e.g. "mon-fri 09:00-17:00; sat 10:00-14:00"; empty = always open.
    #[arg(long, default_value = "")]
    service_hours: String,
    #[arg(long, default_value_t = 20 * 1024 * 1024)]
    attachment_max_bytes: i64,
    /// Accepted attachment types, e.g. "image/*,application/pdf"; empty = any.
    #[arg(long, value_delimiter = ',')]
    attachment_types: Vec<String>,
    /// Seconds a chat is expected to wait before any pick-ups have been measured.
    #[arg(long, default_value_t = 60)]
    default_wait_seconds: i32,
    /// Longest queue; 0 = no limit.
    #[arg(long, default_value_t = 0)]
    queue_max_length: i32,
}

#[derive(Subcommand)]
enum ApiKeyAction {
    Create {
        #[arg(long)]
        tenant: i64,
        /// A permission name (API_CHAT, TICKET_READ, ...); repeat for more.
        #[arg(long = "permission", required = true)]
        permissions: Vec<Permission>,
        /// The agent (user id) the key acts as; without it, "Agent Anonymous".
        #[arg(long)]
        user: Option<i64>,
    },
    /// Revoke a key: it is refused (401) from then on.
    Revoke {
        #[arg(long)]
        tenant: i64,
        #[arg(long)]
        id: i64,
    },
}

#[derive(Subcommand)]
enum GroupAction {
    /// A group of the tenant's agents (Sales, Support, ...).
    Create {
        #[arg(long)]
        tenant: i64,
        #[arg(long)]
        name: String,
        /// An agent in it (repeat for more).
        #[arg(long = "user")]
        users: Vec<i64>,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Add an agent.
    Create {
        #[arg(long)]
        tenant: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// Their console password (8 characters or more); without it they cannot sign in
        /// until `user set-password`.
        #[arg(long)]
        password: Option<String>,
        /// What they may do in the console (TICKET_READ, SETTINGS_CRUD, ...); repeat for
        /// more. Without it: the everyday agent's (tickets, replies, customers and views
        /// read, users read).
        #[arg(long = "permission")]
        permissions: Vec<Permission>,
    },
    /// Set an agent's console password, read from standard input (one line); it ends every
    /// session they have.
    #[command(name = "set-password")]
    SetPassword {
        #[arg(long)]
        tenant: i64,
        /// The agent's user id.
        #[arg(long)]
        id: i64,
    },
}

#[derive(Subcommand)]
enum DomainAction {
    /// Whitelist a domain (and its subdomains) for the chat widget.
    Allow {
        #[arg(long)]
        tenant: i64,
        domain: String,
    },
}

#[derive(Subcommand)]
enum IpAction {
    /// Blacklist an IP address or CIDR range (IPv4 or IPv6).
    Block {
        #[arg(long)]
        tenant: i64,
        cidr: String,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(&format!("settings: {e}")),
    };
    match cli.command {
        Command::Serve { demo } => serve(settings, demo),
        // Neither migrates the database first: a backup copies it as it is, a restore
        // writes the file itself.
        Command::Backup { file } => match omnibridge::services::backup::backup(&settings, &file) {
            Ok(taken) => {
                println!("{}", json!({ "backup": taken }));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string()),
        },
        Command::Restore { file, force } => {
            match omnibridge::services::backup::restore(&settings, &file, force) {
                Ok(restored) => {
                    println!("{}", json!({ "restored": restored }));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e.to_string()),
            }
        }
        command => match admin_command(&settings, command) {
            Ok(out) => {
                println!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string()),
        },
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("{}", json!({"status": "error", "message": message}));
    ExitCode::FAILURE
}

fn serve(mut settings: Settings, demo: bool) -> ExitCode {
    if demo {
        settings.server.demo_chat_server = true;
        let db = match connect_database(&settings) {
            Ok(db) => db,
            Err(e) => return fail(&format!("database: {e}")),
        };
        match admin::ensure_demo(&db) {
            Ok(d) => {
                println!(
                    "{}",
                    json!({"demo": true, "tenantId": d.tenant_id, "apiKey": d.api_key,
                           "chatAccountToken": d.chat_account_token,
                           "listening": format!("http://{}:{}", settings.server.host, settings.server.port),
                           "console": console_url(&settings),
                           "chatServer": format!("{}demo/chat", console_url(&settings)),
                           "agentEmail": d.agent_email, "agentPassword": d.agent_password})
                );
                // For people: the two values as a line to paste into another shell.
                eprintln!(
                    "export API_KEY={} CHAT_ACCOUNT_TOKEN={} CHAT_SERVER={}demo/chat",
                    d.api_key,
                    d.chat_account_token,
                    console_url(&settings)
                );
                eprintln!(
                    "The agent console: {} (sign in as {} with the password {})",
                    console_url(&settings),
                    d.agent_email,
                    d.agent_password
                );
            }
            Err(e) => return fail(&format!("demo: {e}")),
        }
    }
    let result = actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings)?;
        log::info!("omnibridge listening on port {}", app.port());
        app.run_until_stopped().await?;
        Ok::<_, omnibridge::startup::StartupError>(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

/// Where people open the console: `server.public_url`, else the address it listens on.
fn console_url(settings: &Settings) -> String {
    match settings.server.public_url.trim_end_matches('/') {
        "" => format!("http://{}:{}/", settings.server.host, settings.server.port),
        url => format!("{url}/"),
    }
}

fn admin_command(settings: &Settings, command: Command) -> Result<Value, ApiError> {
    let db = connect_database(settings)?;
    Ok(match command {
        Command::Serve { .. } | Command::Backup { .. } | Command::Restore { .. } => {
            unreachable!("handled by main")
        }
        Command::Migrate => {
            json!({"migrated": true, "database": settings.database.url.split('@').next_back()})
        }
        Command::Tenant {
            action: TenantAction::Create { name },
        } => {
            json!({"tenantId": admin::create_tenant(&db, &name)?})
        }
        Command::ChatAccount {
            action: ChatAccountAction::Create(args),
        } => {
            let defaults = ChatAccountOptions::named(&args.name);
            let options = ChatAccountOptions {
                token: args.token,
                language: args.language,
                greeting: args.greeting.unwrap_or(defaults.greeting.clone()),
                offline_message: args
                    .offline_message
                    .unwrap_or(defaults.offline_message.clone()),
                required_fields: args.required_fields,
                time_zone: args.time_zone,
                service_hours: args.service_hours,
                attachment_max_bytes: args.attachment_max_bytes,
                attachment_types: args.attachment_types,
                default_wait_seconds: args.default_wait_seconds,
                queue_max_length: args.queue_max_length,
                ..defaults
            };
            let created = admin::create_chat_account(&db, args.tenant, &options)?;
            json!({
                "chatAccountId": created.id,
                "chatAccountToken": created.token,
                "secret": created.secret,
                "webhookToken": created.webhook_token,
            })
        }
        Command::ChatAccount {
            action: ChatAccountAction::Set(args),
        } => {
            let nonempty = |list: Option<Vec<String>>| {
                list.map(|l| l.into_iter().filter(|s| !s.trim().is_empty()).collect())
            };
            let changes = ChatAccountChanges {
                name: args.name,
                language: args.language,
                greeting: args.greeting,
                offline_message: args.offline_message,
                required_fields: nonempty(args.required_fields),
                time_zone: args.time_zone,
                service_hours: args.service_hours,
                attachment_max_bytes: args.attachment_max_bytes,
                attachment_types: nonempty(args.attachment_types),
                queue_enabled: args.queue_enabled,
                queue_max_length: args.queue_max_length,
                default_wait_seconds: args.default_wait_seconds,
                transcripts: args.transcripts,
                purge_after_days: args.purge_after_days,
                close_solved_after_days: args.close_solved_after_days,
                group_id: args.group.map(|g| (g > 0).then_some(g)),
                rotate_secret: args.rotate_secret,
                rotate_webhook_token: args.rotate_webhook_token,
            };
            serde_json::to_value(chat_accounts::update_blocking(
                &db,
                args.tenant,
                args.id,
                &changes,
            )?)
            .map_err(|e| ApiError::Internal(e.to_string()))?
        }
        Command::ApiKey {
            action:
                ApiKeyAction::Create {
                    tenant,
                    permissions,
                    user,
                },
        } => {
            let created = admin::create_agent_api_key(&db, tenant, user, &permissions)?;
            json!({"apiKeyId": created.id, "apiKey": created.key})
        }
        Command::ApiKey {
            action: ApiKeyAction::Revoke { tenant, id },
        } => {
            let revoked = admin::revoke_api_key(&db, tenant, id)?;
            json!({"apiKeyId": id, "revoked": revoked})
        }
        Command::Seed {
            tenant,
            tickets,
            agents,
        } => {
            let started = std::time::Instant::now();
            let seeded = omnibridge::services::seed::seed(&db, tenant, tickets, agents)?;
            json!({"seeded": seeded, "seconds": started.elapsed().as_secs_f64()})
        }
        Command::User {
            action:
                UserAction::Create {
                    tenant,
                    name,
                    email,
                    password,
                    permissions,
                },
        } => {
            let id = admin::create_user(&db, tenant, &name, &email)?;
            if !permissions.is_empty() {
                admin::set_user_permissions(&db, tenant, id, &permissions)?;
            }
            if let Some(password) = password {
                admin::set_user_password(&db, tenant, id, &password)?;
            }
            json!({"userId": id})
        }
        Command::Group {
            action:
                GroupAction::Create {
                    tenant,
                    name,
                    users,
                },
        } => {
            let group = omnibridge::services::groups::create_blocking(&db, tenant, &name, &users)?;
            serde_json::to_value(group).map_err(|e| ApiError::Internal(e.to_string()))?
        }
        Command::User {
            action: UserAction::SetPassword { tenant, id },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| ApiError::Internal(format!("reading the password: {e}")))?;
            let password = password.trim_end_matches(['\r', '\n']);
            admin::set_user_password(&db, tenant, id, password)?;
            json!({"userId": id, "passwordSet": true})
        }
        Command::Domain {
            action: DomainAction::Allow { tenant, domain },
        } => {
            json!({"tenantId": tenant, "allowedDomain": admin::allow_domain(&db, tenant, &domain)?})
        }
        Command::Ip {
            action: IpAction::Block { tenant, cidr },
        } => {
            json!({"tenantId": tenant, "blockedIP": admin::block_ip(&db, tenant, &cidr)?})
        }
    })
}
