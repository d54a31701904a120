//! The IMAP poller: with `mail.imap_url` set, each instance reads the mailbox's folder
//! (`mail.imap_folder`) for new messages, waiting with IDLE where the server has it (else
//! every `mail.imap_poll_seconds`), and hands each message to the same service the inbound
//! endpoint calls. A message is marked `\Seen` (or moved to `mail.imap_done_folder`) only
//! after it is committed; one that cannot be taken (malformed, too large) stays where it is,
//! flagged `$OmnibridgeRejected`, and is logged. Several instances may poll one mailbox: a
//! message is stored once (by its `Message-ID`), whoever reads it first.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::channels::email::parse::parse;
use crate::config::MailSettings;
use crate::db::Db;
use crate::error::ApiError;
use crate::services::events::Events;
use crate::services::inbound_mail::{receive, tenant_exists, Mailroom};
use crate::services::mail::own_address;

/// The keyword on a message that cannot be taken: it is not read again.
pub const REJECTED: &str = "$OmnibridgeRejected";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// After a lost connection or a refused login, the next try waits this long, then twice
/// as long, up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// A message whose storing fails this often for a reason of its own (not the database being
/// away) is left in the mailbox, flagged, so that it cannot hold up the ones after it.
const MAX_TRIES: u32 = 3;

/// What the poller keeps between connections: how often each message failed.
#[derive(Default)]
struct Tries(std::collections::HashMap<u32, u32>);

/// What the poller needs to know, from the settings.
#[derive(Debug, Clone)]
pub struct Mailbox {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub user: String,
    pub password: String,
    pub folder: String,
    pub done_folder: String,
    pub tenant_id: i64,
    pub poll: Duration,
    pub max_bytes: u64,
    pub own_address: String,
}

impl Mailbox {
    /// `None` when no mailbox is set; an error names what is wrong with `mail.imap_url`.
    pub fn from_settings(mail: &MailSettings) -> Result<Option<Mailbox>, String> {
        if mail.imap_url.trim().is_empty() {
            return Ok(None);
        }
        let url = url::Url::parse(mail.imap_url.trim())
            .map_err(|e| format!("mail.imap_url is not a URL: {e}"))?;
        let tls = match url.scheme() {
            "imap" => false,
            "imaps" => true,
            other => {
                return Err(format!(
                    "mail.imap_url: {other}:// is neither imap:// nor imaps://"
                ))
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("mail.imap_url names no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| "mail.imap_url: its user or password is not UTF-8".to_owned())
        };
        let user = decode(url.username())?;
        let password = decode(url.password().unwrap_or(""))?;
        if user.is_empty() {
            return Err("mail.imap_url names no user (imap://user:password@host)".into());
        }
        Ok(Some(Mailbox {
            host,
            port: url.port().unwrap_or(if tls { 993 } else { 143 }),
            tls,
            user,
            password,
            folder: mail.imap_folder.clone(),
            done_folder: mail.imap_done_folder.clone(),
            tenant_id: mail.imap_tenant,
            poll: Duration::from_secs(mail.imap_poll_seconds.max(1)),
            max_bytes: mail.inbound_max_bytes,
            own_address: own_address(mail),
        }))
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}
type Connection = Session<Box<dyn Stream>>;

#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error("{0}")]
    Imap(#[from] async_imap::error::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Store(ApiError),
    #[error("mail.imap_tenant {0} is no tenant: the mailbox waits until it is")]
    NoTenant(i64),
}

/// Starts the poller on the current actix system; it stops with the server.
pub fn spawn(mailbox: Mailbox, db: Db, events: Events, files_dir: PathBuf) {
    if !mailbox.tls && !is_loopback(&mailbox.host) {
        log::warn!(
            "mail.imap_url is imap://{}: the password and the mail cross the network \
             unencrypted; use imaps://",
            mailbox.host
        );
    }
    actix_web::rt::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        let mut tries = Tries::default();
        loop {
            match poll(&mailbox, &db, &events, &files_dir, &mut backoff, &mut tries).await {
                Ok(()) => {}
                Err(e) => log::warn!(
                    "IMAP {}:{} {}: {e}; trying again in {} s",
                    mailbox.host,
                    mailbox.port,
                    mailbox.folder,
                    backoff.as_secs()
                ),
            }
            actix_web::rt::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    });
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

async fn connect(mailbox: &Mailbox) -> Result<Connection, PollError> {
    let address = (mailbox.host.as_str(), mailbox.port);
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    let stream: Box<dyn Stream> = if mailbox.tls {
        let roots = rustls_roots();
        let config = tokio_rustls::rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(mailbox.host.clone())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let mut client = Client::new(stream);
    // The server's greeting comes first.
    client
        .read_response()
        .await?
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no greeting"))?;
    let session = client
        .login(&mailbox.user, &mailbox.password)
        .await
        .map_err(|(e, _)| e)?;
    Ok(session)
}

fn rustls_roots() -> tokio_rustls::rustls::RootCertStore {
    tokio_rustls::rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// One connection's life: read what is new, then wait for more, until the connection fails.
async fn poll(
    mailbox: &Mailbox,
    db: &Db,
    events: &Events,
    files_dir: &std::path::Path,
    backoff: &mut Duration,
    tries: &mut Tries,
) -> Result<(), PollError> {
    if !tenant_exists(db, mailbox.tenant_id)
        .await
        .map_err(PollError::Store)?
    {
        return Err(PollError::NoTenant(mailbox.tenant_id));
    }
    let mut session = connect(mailbox).await?;
    session.select(&mailbox.folder).await?;
    if !mailbox.done_folder.is_empty() {
        // Made on first use; a folder that is there already makes this fail, harmlessly.
        let _ = session.create(&mailbox.done_folder).await;
    }
    let capabilities = session.capabilities().await?;
    let (idle, moves) = (capabilities.has_str("IDLE"), capabilities.has_str("MOVE"));
    let expunges = capabilities.has_str("UIDPLUS");
    log::info!(
        "IMAP: reading {} at {}:{} as {} ({})",
        mailbox.folder,
        mailbox.host,
        mailbox.port,
        mailbox.user,
        if idle { "IDLE" } else { "polling" }
    );
    loop {
        let can = Can { moves, expunges };
        // Until a search finds nothing: a message that came while the last ones were taken
        // was announced in those commands' answers, and IDLE would not announce it again.
        // (A few rounds at most: what is left waits for the next.)
        for _ in 0..10 {
            if take_new(&mut session, mailbox, can, db, events, files_dir, tries).await? == 0 {
                break;
            }
        }
        // Connected and read: a later failure starts its retries from the beginning.
        *backoff = FIRST_BACKOFF;
        if idle {
            let mut handle = session.idle();
            handle.init().await?;
            let (wait, _stop) = handle.wait_with_timeout(mailbox.poll);
            if let IdleResponse::NewData(_) = wait.await? {
                log::debug!("IMAP: the mailbox changed");
            }
            session = handle.done().await?;
        } else {
            actix_web::rt::time::sleep(mailbox.poll).await;
            session.noop().await?;
        }
    }
}

/// What the server can do besides plain IMAP4rev1: MOVE, and UIDPLUS's `UID EXPUNGE`.
#[derive(Clone, Copy)]
struct Can {
    moves: bool,
    expunges: bool,
}

/// Every new message of the folder, oldest first, stored and then marked (or moved); answers
/// how many there were.
async fn take_new(
    session: &mut Connection,
    mailbox: &Mailbox,
    can: Can,
    db: &Db,
    events: &Events,
    files_dir: &std::path::Path,
    tries: &mut Tries,
) -> Result<usize, PollError> {
    let mut query = format!("UNDELETED UNKEYWORD {REJECTED}");
    if mailbox.done_folder.is_empty() {
        query.push_str(" UNSEEN");
    }
    let found: HashSet<u32> = session.uid_search(&query).await?;
    let mut uids: Vec<u32> = found.into_iter().collect();
    uids.sort_unstable();
    let found = uids.len();
    let room = Mailroom {
        tenant_id: mailbox.tenant_id,
        // The instance's mailbox: every tenant's customers answer to it.
        any_tenant: true,
        own_address: &mailbox.own_address,
        files_dir,
    };
    for uid in uids {
        // Its size first: a message too large is never downloaded.
        let sizes: Vec<_> = session
            .uid_fetch(uid.to_string(), "RFC822.SIZE")
            .await?
            .try_collect()
            .await?;
        let Some(size) = sizes.iter().find_map(|f| f.size) else {
            continue; // gone meanwhile (another instance moved it)
        };
        if size as u64 > mailbox.max_bytes {
            reject(session, uid, "it is larger than mail.inbound_max_bytes").await?;
            continue;
        }
        let raw = {
            let fetches: Vec<_> = session
                .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                .await?
                .try_collect()
                .await?;
            let Some(body) = fetches.iter().find_map(|f| f.body()) else {
                continue;
            };
            if body.len() as u64 > mailbox.max_bytes {
                reject(session, uid, "it is larger than mail.inbound_max_bytes").await?;
                continue;
            }
            body.to_vec()
        };
        let stored = match web_block_parse(raw).await {
            Ok(mail) => receive(db, events, &room, mail).await,
            Err(e) => Err(e),
        };
        match stored {
            Ok(outcome) => {
                log::info!(
                    "IMAP: message {uid} {}{}",
                    outcome.outcome,
                    outcome
                        .ticket_id
                        .map(|t| format!(" on ticket {t}"))
                        .unwrap_or_default()
                );
                tries.0.remove(&uid);
                done(session, mailbox, can, uid).await?;
            }
            // The message itself is wrong: it stays, flagged, and the rest go on.
            Err(e) if is_the_messages_fault(&e) => {
                reject(session, uid, &e.to_string()).await?;
            }
            // The database is away: the message stays new, to be read again, however often.
            Err(e) if is_passing(&e) => return Err(PollError::Store(e)),
            // Anything else may be this message's doing: a few more tries, then it is set
            // aside, so that it cannot hold up every message after it.
            Err(e) => {
                let n = tries.0.entry(uid).or_default();
                *n += 1;
                if *n < MAX_TRIES {
                    return Err(PollError::Store(e));
                }
                tries.0.remove(&uid);
                reject(
                    session,
                    uid,
                    &format!("{MAX_TRIES} tries failed, the last: {e}"),
                )
                .await?;
            }
        }
    }
    Ok(found)
}

async fn web_block_parse(
    raw: Vec<u8>,
) -> Result<crate::services::inbound_mail::ReceivedMail, ApiError> {
    actix_web::web::block(move || parse(&raw)).await?
}

fn is_the_messages_fault(e: &ApiError) -> bool {
    use actix_web::ResponseError;
    e.status_code().is_client_error()
}

/// The database away or busy: trying again later succeeds.
fn is_passing(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::ServiceUnavailable(_) | ApiError::Conflict | ApiError::Busy(_)
    )
}

async fn reject(session: &mut Connection, uid: u32, why: &str) -> Result<(), PollError> {
    log::warn!("IMAP: message {uid} is left in the mailbox, flagged {REJECTED}: {why}");
    let _: Vec<_> = session
        .uid_store(uid.to_string(), format!("+FLAGS ({REJECTED})"))
        .await?
        .try_collect()
        .await?;
    Ok(())
}

async fn done(
    session: &mut Connection,
    mailbox: &Mailbox,
    can: Can,
    uid: u32,
) -> Result<(), PollError> {
    let set = uid.to_string();
    if mailbox.done_folder.is_empty() {
        let _: Vec<_> = session
            .uid_store(&set, "+FLAGS (\\Seen)")
            .await?
            .try_collect()
            .await?;
    } else if can.moves {
        session.uid_mv(&set, &mailbox.done_folder).await?;
    } else {
        session.uid_copy(&set, &mailbox.done_folder).await?;
        let _: Vec<_> = session
            .uid_store(&set, "+FLAGS (\\Seen \\Deleted)")
            .await?
            .try_collect()
            .await?;
        // Without UIDPLUS it stays, \Deleted (and unread by the next search), until expunged.
        if can.expunges {
            let _: Vec<_> = session.uid_expunge(&set).await?.try_collect().await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> MailSettings {
        MailSettings {
            smtp_url: String::new(),
            from: "Acme <support@acme.example>".into(),
            dir: "mail".into(),
            inbound_max_bytes: 1024,
            imap_url: url.into(),
            imap_folder: "INBOX".into(),
            imap_done_folder: String::new(),
            imap_tenant: 1,
            imap_poll_seconds: 60,
        }
    }

    #[test]
    fn the_mailbox_url_is_read_with_its_encoded_user() {
        let m = Mailbox::from_settings(&settings(
            "imaps://support%40acme.example:p%3Ass@mail.acme.example",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            (m.user.as_str(), m.password.as_str()),
            ("support@acme.example", "p:ss")
        );
        assert_eq!(
            (m.host.as_str(), m.port, m.tls),
            ("mail.acme.example", 993, true)
        );
        assert_eq!(m.own_address, "support@acme.example");
        assert!(Mailbox::from_settings(&settings("")).unwrap().is_none());
        assert!(Mailbox::from_settings(&settings("pop3://u:p@h")).is_err());
        assert!(Mailbox::from_settings(&settings("imap://h")).is_err());
    }
}
