//! Outgoing mail: an outbox table and a worker that sends it.
//!
//! Whatever causes a mail writes its row in the same transaction (`queue`), so a mail is
//! never lost and never sent for something that was not stored. The worker in each instance
//! claims due rows under a lease, sends them through SMTP (lettre) or, with no SMTP server
//! configured, writes them as `.eml` files, and records each outcome: `sent`, or a retry
//! with backoff after a transient failure, or `failed` with the server's answer after a
//! permanent one or too many attempts.
//!
//! A mail's `Message-ID` is fixed when it is queued (`<key@domain of mail.from>`), so every
//! attempt sends the same one and replies on a ticket thread (`In-Reply-To`, `References`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{DeliverySettings, MailSettings};
use crate::db::models::attachment::Attachment as AttachmentRecord;
use crate::db::models::mail::{
    Mail, NewMail, FAILED, KIND_PASSWORD_RESET, KIND_REPLY, QUEUED, SENT,
};
use crate::db::{now_millis, Db, DbConnection};
use crate::domain::retry::backoff_ms;
use crate::error::ApiError;

const CLAIM_BATCH: i64 = 16;
const MAX_ERROR_CHARS: usize = 500;

/// A mail to queue.
pub struct Outgoing<'a> {
    pub kind: &'a str,
    pub ticket_id: Option<i64>,
    pub message_id: Option<i64>,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// The key (`Message-ID` without its domain) of the mail this one answers.
    pub in_reply_to: Option<&'a str>,
}

/// Writes the mail into the outbox (in the caller's transaction) and returns its id and the
/// key of its `Message-ID`.
pub fn queue(
    conn: &mut DbConnection,
    tenant_id: i64,
    mail: &Outgoing<'_>,
    now: i64,
) -> Result<(i64, String), ApiError> {
    let key = match mail.ticket_id {
        Some(ticket) => format!("ticket-{ticket}.{}", uuid::Uuid::new_v4().simple()),
        None => uuid::Uuid::new_v4().simple().to_string(),
    };
    let id = Mail::create(
        conn,
        &NewMail {
            tenant_id,
            ticket_id: mail.ticket_id,
            message_id: mail.message_id,
            kind: mail.kind,
            to_address: mail.to,
            subject: mail.subject,
            text_body: mail.text,
            html_body: mail.html,
            message_id_header: &key,
            in_reply_to: mail.in_reply_to,
            state: QUEUED,
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        },
    )?;
    Ok((id, key))
}

/// Text as HTML: escaped, line breaks kept.
pub fn html_of(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        match c {
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '&' => html.push_str("&amp;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            '\n' => html.push_str("<br>\n"),
            c => html.push(c),
        }
    }
    format!("<!doctype html><html><body><div style=\"font-family: sans-serif\">{html}</div></body></html>")
}

/// `mail.from`'s address, lower-cased: mail from it coming in is the instance's own.
pub fn own_address(mail: &MailSettings) -> String {
    mail.from
        .parse::<Mailbox>()
        .map(|m| m.email.to_string().to_lowercase())
        .unwrap_or_default()
}

/// The domain that names this instance's `Message-ID`s: `mail.from`'s.
fn id_domain(from: &Mailbox) -> String {
    from.email.domain().to_owned()
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// Whether a failed attempt can succeed later.
enum Failure {
    Transient(String),
    Permanent(String),
}

impl Transport {
    fn from_settings(mail: &MailSettings, timeout: Duration) -> Result<Transport, String> {
        if mail.smtp_url.trim().is_empty() {
            std::fs::create_dir_all(&mail.dir)
                .map_err(|e| format!("mail.dir {}: {e}", mail.dir.display()))?;
            return Ok(Transport::Files(AsyncFileTransport::new(&mail.dir)));
        }
        let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(mail.smtp_url.trim())
            .map_err(|e| format!("mail.smtp_url: {e}"))?
            .timeout(Some(timeout))
            .build();
        Ok(Transport::Smtp(smtp))
    }

    async fn send(&self, message: Message) -> Result<(), Failure> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    Failure::Permanent(e.to_string())
                } else {
                    Failure::Transient(e.to_string())
                }
            }),
            Transport::Files(files) => files
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| Failure::Transient(e.to_string())),
        }
    }
}

/// A file to attach: its name, type and bytes.
struct File {
    name: String,
    content_type: String,
    bytes: Vec<u8>,
}

fn build(from: &Mailbox, mail: &Mail, files: Vec<File>) -> Result<Message, String> {
    let domain = id_domain(from);
    let to: Mailbox = mail
        .to_address
        .parse()
        .map_err(|e| format!("bad recipient {:?}: {e}", mail.to_address))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", mail.message_id_header)));
    if let Some(parent) = &mail.in_reply_to {
        let parent = format!("<{parent}@{domain}>");
        builder = builder.in_reply_to(parent.clone()).references(parent);
    }
    if let Some(ticket) = mail.ticket_id {
        builder = builder.header(TicketHeader(ticket.to_string()));
    }
    let text = MultiPart::alternative_plain_html(mail.text_body.clone(), mail.html_body.clone());
    let body = if files.is_empty() {
        text
    } else {
        let mut mixed = MultiPart::mixed().multipart(text);
        for file in files {
            let content_type = ContentType::parse(&file.content_type)
                .or_else(|_| ContentType::parse("application/octet-stream"))
                .map_err(|e| format!("content type: {e}"))?;
            mixed = mixed.singlepart(Attachment::new(file.name).body(file.bytes, content_type));
        }
        mixed
    };
    builder
        .multipart(body)
        .map_err(|e| format!("mail cannot be built: {e}"))
}

/// The files on the reply a mail carries, read from `attachments.dir` when it is sent.
async fn files_of(db: &Db, dir: &Path, mail: &Mail) -> Result<Vec<File>, Failure> {
    let Some(message) = mail.message_id.filter(|_| mail.kind == KIND_REPLY) else {
        return Ok(Vec::new());
    };
    let rows = db
        .read(move |conn| AttachmentRecord::of_message(conn, message))
        .await
        .map_err(|e| Failure::Transient(format!("attachments: {e}")))?;
    let mut files = Vec::with_capacity(rows.len());
    for row in rows {
        let bytes = tokio::fs::read(dir.join(&row.storage_key))
            .await
            .map_err(|e| {
                let text = format!("attachment {} cannot be read: {e}", row.id);
                if e.kind() == std::io::ErrorKind::NotFound {
                    Failure::Permanent(text)
                } else {
                    Failure::Transient(text)
                }
            })?;
        files.push(File {
            name: row.file_name,
            content_type: row.content_type,
            bytes,
        });
    }
    Ok(files)
}

/// `X-Omnibridge-Ticket: ID`, so mail filters can route by ticket.
#[derive(Clone)]
struct TicketHeader(String);

impl lettre::message::header::Header for TicketHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Omnibridge-Ticket")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(TicketHeader(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Starts the mail worker on the current actix system; it stops with the server. A bad
/// `mail.from` or `mail.smtp_url` stops startup instead (see `check_settings`).
pub fn spawn_worker(db: Db, mail: MailSettings, settings: DeliverySettings, files_dir: PathBuf) {
    actix_web::rt::spawn(async move {
        let from: Mailbox = match mail.from.parse() {
            Ok(from) => from,
            Err(e) => {
                log::error!("mail worker not started: mail.from: {e}");
                return;
            }
        };
        let transport =
            match Transport::from_settings(&mail, Duration::from_millis(settings.timeout_ms)) {
                Ok(t) => t,
                Err(e) => {
                    log::error!("mail worker not started: {e}");
                    return;
                }
            };
        loop {
            let owner = uuid::Uuid::new_v4().to_string();
            let lease = settings.lease_seconds as i64 * 1000;
            let token = owner.clone();
            let batch = db
                .write(move |conn| {
                    let now = now_millis();
                    Mail::claim(conn, &token, now, now + lease, CLAIM_BATCH)
                })
                .await
                .unwrap_or_else(|e| {
                    log::warn!("mail worker could not claim work: {e}");
                    Vec::new()
                });
            let full = batch.len() as i64 == CLAIM_BATCH;
            // One at a time: an SMTP server is one peer, and order within a ticket matters.
            // Each mail's lease is renewed just before it is sent: a batch that outlived its
            // lease (a slow server) sends nothing another instance has taken over.
            for mail in batch {
                let (id, token) = (mail.id, owner.clone());
                let still_ours = db
                    .write(move |conn| Mail::renew_lease(conn, id, &token, now_millis() + lease))
                    .await
                    .unwrap_or(false);
                if still_ours {
                    attempt(&db, &files_dir, &transport, &from, &settings, &owner, mail).await;
                } else {
                    log::info!("mail {id}: lease lost before sending; another instance has it");
                }
            }
            if !full {
                actix_web::rt::time::sleep(Duration::from_millis(settings.poll_interval_ms)).await;
            }
        }
    });
}

/// Refuses settings the worker could not use, before the server starts.
pub fn check_settings(mail: &MailSettings) -> Result<(), String> {
    mail.from
        .parse::<Mailbox>()
        .map_err(|e| format!("mail.from {:?}: {e}", mail.from))?;
    if !mail.smtp_url.trim().is_empty() {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(mail.smtp_url.trim())
            .map_err(|e| format!("mail.smtp_url: {e}"))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn attempt(
    db: &Db,
    dir: &Path,
    transport: &Transport,
    from: &Mailbox,
    settings: &DeliverySettings,
    owner: &str,
    mail: Mail,
) {
    let outcome = match files_of(db, dir, &mail).await {
        Ok(files) => match build(from, &mail, files) {
            Ok(message) => transport.send(message).await,
            Err(e) => Err(Failure::Permanent(e)),
        },
        Err(failure) => Err(failure),
    };
    let attempts = mail.attempts + 1;
    let now = now_millis();
    let (state, next, error, sent) = match outcome {
        Ok(()) => (SENT, now, None, Some(now)),
        Err(Failure::Permanent(e)) => (FAILED, now, Some(e), None),
        Err(Failure::Transient(e)) if attempts >= settings.max_attempts => {
            (FAILED, now, Some(e), None)
        }
        Err(Failure::Transient(e)) => (QUEUED, now + backoff_ms(attempts, settings), Some(e), None),
    };
    if let Some(e) = &error {
        log::info!("mail {} attempt {attempts}: {e}", mail.id);
    }
    let error = error.map(|e| e.chars().take(MAX_ERROR_CHARS).collect::<String>());
    let (owner, mail_id) = (owner.to_owned(), mail.id);
    // A "forgot password" link must not outlive its sending in the outbox.
    let erase = mail.kind == KIND_PASSWORD_RESET && state != QUEUED;
    let recorded = db
        .write(move |conn| {
            let ours = Mail::record_attempt(
                conn,
                mail_id,
                &owner,
                state,
                attempts,
                next,
                error.as_deref(),
                sent,
            )?;
            if ours && erase {
                Mail::erase_bodies(conn, mail_id)?;
            }
            Ok(ours)
        })
        .await;
    match recorded {
        Ok(true) => {}
        Ok(false) => log::warn!("mail {mail_id}: sent, but its lease had passed on"),
        // The lease runs out and the mail is tried again.
        Err(e) => log::warn!("mail {mail_id}: outcome not recorded: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_keeps_lines() {
        let html = html_of("a <b> & \"c\"\nnext");
        assert!(
            html.contains("a &lt;b&gt; &amp; &quot;c&quot;<br>\nnext"),
            "{html}"
        );
    }

    #[test]
    fn settings_are_checked() {
        let mail = |smtp: &str, from: &str| MailSettings {
            smtp_url: smtp.into(),
            from: from.into(),
            dir: "mail".into(),
            inbound_max_bytes: 1024,
            imap_url: String::new(),
            imap_folder: "INBOX".into(),
            imap_done_folder: String::new(),
            imap_tenant: 1,
            imap_poll_seconds: 60,
        };
        assert!(check_settings(&mail("", "Acme <support@acme.example>")).is_ok());
        assert!(check_settings(&mail("smtp://127.0.0.1:2525", "support@acme.example")).is_ok());
        assert!(check_settings(&mail("", "not an address")).is_err());
        assert!(check_settings(&mail("ftp://x", "support@acme.example")).is_err());
    }
}
