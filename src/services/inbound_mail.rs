//! Mail in: a customer's mail, however it came (the inbound endpoint, IMAP), lands on its
//! ticket — the one whose mail it answers (`In-Reply-To`/`References`), else the one its
//! subject names (`[#42]`, if the sender is that ticket's customer), else a new e-mail ticket
//! for the sender — with its files stored like a chat's.
//!
//! Never a loop, never a duplicate: a mail is recorded by its `Message-ID`, so receiving it
//! twice changes nothing; an auto-reply is stored but tells nobody and reopens nothing; a
//! delivery status notification marks the mail it bounces `failed`; the instance's own mails
//! coming back are dropped.

use std::path::Path;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::attachment::{Attachment, NewAttachment};
use crate::db::models::customer::{ContactDetails, Customer};
use crate::db::models::inbound_mail::{
    InboundMail, KIND_AUTO_REPLY, KIND_BOUNCE, KIND_MESSAGE, KIND_OWN,
};
use crate::db::models::mail::Mail;
use crate::db::models::message::{Message, NewMessage};
use crate::db::models::tenant::Tenant;
use crate::db::models::ticket::{NewTicket, Ticket};
use crate::db::models::ticket_event::TicketEvent;
use crate::db::{now_millis, Db, DbConnection};
use crate::domain::email::{message_id_key, ticket_tag};
use crate::domain::ticket::CHANNEL_EMAIL;
use crate::error::ApiError;
use crate::services::attachments::{place, remove_all, sanitize_name, FileSink, PlacedFile};
use crate::services::chat::{find_or_create_customer, ticket_title};
use crate::services::events::{DeliveryChanged, Events, MessageReceived, TicketUpdated};
use crate::services::notify;

/// The most of a message an event carries.
const EVENT_TEXT_CHARS: usize = 2000;

/// A mail as the channels parse it.
#[derive(Debug, Clone, Default)]
pub struct ReceivedMail {
    /// Without angle brackets. A mail without one gets `sha256-<hash of its bytes>`.
    pub message_id: String,
    /// The ids it answers, nearest first: `In-Reply-To`, then `References` from the end.
    pub answers: Vec<String>,
    /// Lower-cased.
    pub from_address: String,
    pub from_name: Option<String>,
    pub subject: String,
    /// The text: the plain part, or the HTML part made text.
    pub text: String,
    pub kind: ReceivedKind,
    pub files: Vec<MailFile>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum ReceivedKind {
    #[default]
    Message,
    /// `Auto-Submitted` (but `no`), `Precedence: bulk|junk|list`, `X-Autoreply`, ...
    AutoReply,
    /// A delivery status notification: the ids of the mails it reports on, the addresses it
    /// could not reach (lower-cased), and why.
    Bounce {
        bounced: Vec<String>,
        recipients: Vec<String>,
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct MailFile {
    /// As the mail names it (sanitized before it is kept).
    pub name: Option<String>,
    pub bytes: Vec<u8>,
}

/// What became of a received mail.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboundOutcome {
    /// `created` (a new ticket), `appended` (to an existing one), `auto_reply` (stored, nobody
    /// told), `bounce` (the mail it reports on is now `failed`) or `dropped` (one of
    /// omnibridge's own mails come back).
    pub outcome: String,
    #[serde(rename = "ticketID")]
    pub ticket_id: Option<i64>,
    #[serde(rename = "messageID")]
    pub message_id: Option<i64>,
    /// The mail had been received before (same `Message-ID`): nothing changed.
    pub duplicate: bool,
}

impl InboundOutcome {
    fn of_record(record: &InboundMail, duplicate: bool) -> Self {
        let outcome = match record.kind.as_str() {
            KIND_OWN => "dropped",
            KIND_BOUNCE => "bounce",
            KIND_AUTO_REPLY => "auto_reply",
            _ => "appended",
        };
        InboundOutcome {
            outcome: outcome.to_owned(),
            ticket_id: record.ticket_id,
            message_id: record.message_id,
            duplicate,
        }
    }
}

/// Where received mail goes: the tenant, the instance's own address (`mail.from`'s), the
/// attachments folder.
pub struct Mailroom<'a> {
    /// The tenant of a mail that answers none of omnibridge's own.
    pub tenant_id: i64,
    /// Whether a mail that answers another tenant's mail goes to that tenant (the instance's
    /// own mailbox, which every tenant's customers answer), or is refused (a tenant's key).
    pub any_tenant: bool,
    pub own_address: &'a str,
    pub files_dir: &'a Path,
}

/// The tenant whose mail this one answers (or, a report, is about), if it is omnibridge's:
/// the keys of its `Message-ID`s are unique over every tenant.
fn owner(conn: &mut DbConnection, mail: &ReceivedMail) -> Result<Option<i64>, ApiError> {
    let ids = match &mail.kind {
        ReceivedKind::Bounce { bounced, .. } => bounced,
        _ => &mail.answers,
    };
    let keys: Vec<&str> = ids.iter().map(|id| message_id_key(id)).collect();
    Mail::tenant_of_keys(conn, &keys)
}

/// Whether this tenant exists (the mailbox's, `mail.imap_tenant`): until it does, mail waits
/// in the mailbox rather than fail one message after another.
pub async fn tenant_exists(db: &Db, tenant_id: i64) -> Result<bool, ApiError> {
    db.read(move |conn| Tenant::exists(conn, tenant_id)).await
}

/// Stores a received mail (see the module's comment). Answers once it is committed.
pub async fn receive(
    db: &Db,
    events: &Events,
    room: &Mailroom<'_>,
    mail: ReceivedMail,
) -> Result<InboundOutcome, ApiError> {
    let for_mail = mail.clone();
    let owner = db.read(move |conn| owner(conn, &for_mail)).await?;
    let tenant_id = match owner {
        Some(owner) if owner != room.tenant_id && room.any_tenant => owner,
        Some(owner) if owner != room.tenant_id => {
            log::warn!(
                "refused mail {} for tenant {}: it answers a mail of tenant {owner}",
                mail.message_id,
                room.tenant_id
            );
            return Err(ApiError::NotYours(
                "this mail answers a mail of another tenant: hand it over with that tenant's key"
                    .into(),
            ));
        }
        _ => room.tenant_id,
    };
    let message_id = mail.message_id.clone();
    let known = db
        .read(move |conn| InboundMail::find(conn, tenant_id, &message_id))
        .await?;
    if let Some(known) = known {
        return Ok(InboundOutcome::of_record(&known, true));
    }
    if !room.own_address.is_empty() && mail.from_address.eq_ignore_ascii_case(room.own_address) {
        log::info!(
            "dropped mail {}: it is from mail.from itself",
            mail.message_id
        );
        return record_only(db, tenant_id, mail.message_id, KIND_OWN, None).await;
    }
    if let ReceivedKind::Bounce {
        bounced,
        recipients,
        reason,
    } = &mail.kind
    {
        let report = Report {
            message_id: mail.message_id.clone(),
            bounced: bounced.clone(),
            recipients: recipients.clone(),
            reason: reason.clone(),
        };
        return bounce(db, events, tenant_id, report).await;
    }
    let files = store_files(room, tenant_id, &mail.files).await?;
    let text: String = mail.text.chars().take(EVENT_TEXT_CHARS).collect();
    let stored = {
        let files = files.clone();
        db.write(move |conn| append(conn, tenant_id, &mail, &files))
            .await
    };
    let stored = match stored {
        Ok(stored) => stored,
        Err(e) => {
            remove_all(&files).await;
            return Err(e);
        }
    };
    let Stored::New {
        outcome,
        ticket_created,
    } = stored
    else {
        // Received meanwhile through another way in: nothing points at these files.
        remove_all(&files).await;
        let Stored::Duplicate(outcome) = stored else {
            unreachable!()
        };
        return Ok(outcome);
    };
    if let (Some(ticket_id), Some(message_id)) = (outcome.ticket_id, outcome.message_id) {
        events.send(
            tenant_id,
            &MessageReceived {
                ticket_id,
                chat_session_id: String::new(),
                message_id,
                message: text,
                ticket_created,
            },
        );
    }
    Ok(outcome)
}

enum Stored {
    New {
        outcome: InboundOutcome,
        ticket_created: bool,
    },
    Duplicate(InboundOutcome),
}

/// Files go to disk (synced) before the transaction that points at them.
async fn store_files(
    room: &Mailroom<'_>,
    tenant_id: i64,
    files: &[MailFile],
) -> Result<Vec<PlacedFile>, ApiError> {
    let mut placed = Vec::with_capacity(files.len());
    for file in files {
        let result = async {
            let mut sink = FileSink::create(room.files_dir, u64::MAX).await?;
            for chunk in file.bytes.chunks(64 * 1024) {
                sink.write(chunk).await?;
            }
            let received = sink.finish().await?;
            let name = sanitize_name(file.name.as_deref(), &received.content_type);
            place(room.files_dir, tenant_id, received, name).await
        }
        .await;
        match result {
            Ok(file) => placed.push(file),
            Err(e) => {
                remove_all(&placed).await;
                return Err(e);
            }
        }
    }
    Ok(placed)
}

async fn record_only(
    db: &Db,
    tenant_id: i64,
    message_id: String,
    kind: &'static str,
    ticket_id: Option<i64>,
) -> Result<InboundOutcome, ApiError> {
    db.write(move |conn| {
        InboundMail::record(
            conn,
            tenant_id,
            &message_id,
            kind,
            ticket_id,
            None,
            now_millis(),
        )?;
        let record = InboundMail::find(conn, tenant_id, &message_id)?
            .ok_or_else(|| ApiError::Internal("inbound mail vanished after insert".into()))?;
        Ok(InboundOutcome::of_record(&record, false))
    })
    .await
}

/// A delivery status notification, as parsed.
struct Report {
    message_id: String,
    bounced: Vec<String>,
    recipients: Vec<String>,
    reason: String,
}

/// A delivery status notification: each of the tenant's mails it reports on is `failed` with
/// the report's reason, and the author of a bounced reply hears of it — when the report names
/// that mail's recipient as the one it could not reach. Anyone can send a report, but only
/// one that knows both a mail's id and its recipient fails it: the recipient themselves,
/// who could as well have refused it.
async fn bounce(
    db: &Db,
    events: &Events,
    tenant_id: i64,
    report: Report,
) -> Result<InboundOutcome, ApiError> {
    let (outcome, failed) = db
        .write(move |conn| {
            let Report {
                message_id,
                bounced,
                recipients,
                reason,
            } = &report;
            let now = now_millis();
            let mut failed = Vec::new();
            for id in bounced {
                let key = message_id_key(id);
                let Some(mail) = Mail::find_by_key(conn, tenant_id, key)? else {
                    continue;
                };
                if !recipients.contains(&mail.to_address.to_lowercase()) {
                    log::info!(
                        "a bounce of mail {} names other recipients: ignored",
                        mail.id
                    );
                    continue;
                }
                let Some(mail) = Mail::bounced(conn, mail.id, reason)? else {
                    continue;
                };
                if let (Some(ticket), Some(message)) = (mail.ticket_id, mail.message_id) {
                    notify::reply_failed(conn, tenant_id, ticket, message, now)?;
                }
                failed.push(mail);
            }
            let ticket_id = failed.iter().find_map(|m| m.ticket_id);
            if !InboundMail::record(
                conn,
                tenant_id,
                message_id,
                KIND_BOUNCE,
                ticket_id,
                None,
                now,
            )? {
                return Err(ApiError::Conflict);
            }
            let outcome = InboundOutcome {
                outcome: "bounce".into(),
                ticket_id,
                message_id: None,
                duplicate: false,
            };
            Ok((outcome, failed))
        })
        .await?;
    if failed.is_empty() {
        log::info!("a delivery status notification about no mail of tenant {tenant_id}");
    }
    for mail in failed {
        if let Some(ticket_id) = mail.ticket_id {
            events.send(
                tenant_id,
                &DeliveryChanged {
                    ticket_id,
                    delivery_id: mail.id,
                    message_id: mail.message_id,
                    attachment_id: None,
                    state: mail.state,
                    attempts: mail.attempts,
                    last_error: mail.last_error,
                },
            );
            events.send(
                tenant_id,
                &TicketUpdated {
                    ticket_id,
                    change: "delivery",
                    now: None,
                },
            );
        }
    }
    Ok(outcome)
}

/// The ticket a mail continues: the one of a mail it answers (omnibridge's own, or one it
/// received), else the one its subject names if the sender is that ticket's customer. A
/// deleted ticket is continued by none, nor one whose customer's data was purged (what the
/// customer writes now must not be tied to what was erased).
fn thread(
    conn: &mut DbConnection,
    tenant_id: i64,
    mail: &ReceivedMail,
) -> Result<Option<Ticket>, ApiError> {
    let live = |conn: &mut DbConnection, id: i64| {
        let ticket = match Ticket::find(conn, tenant_id, id) {
            Ok(ticket) => ticket,
            Err(ApiError::Missing(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let customer = Customer::find_including_deleted(conn, tenant_id, ticket.customer_id)?;
        Ok(customer.purged_at.is_none().then_some(ticket))
    };
    for id in &mail.answers {
        let ticket = match Mail::ticket_of_key(conn, tenant_id, message_id_key(id))? {
            Some(ticket) => Some(ticket),
            None => InboundMail::ticket_of(conn, tenant_id, id)?,
        };
        if let Some(ticket) = ticket {
            return live(conn, ticket);
        }
    }
    let Some(tagged) = ticket_tag(&mail.subject) else {
        return Ok(None);
    };
    let Some(ticket) = live(conn, tagged)? else {
        return Ok(None);
    };
    // A number in a subject is easy to guess: it threads only the ticket's own customer.
    let customer = Customer::find_including_deleted(conn, tenant_id, ticket.customer_id)?;
    let same = customer
        .email
        .is_some_and(|e| e.eq_ignore_ascii_case(&mail.from_address));
    Ok(same.then_some(ticket))
}

/// In one transaction: the mail's ticket found or made, its message and files stored, the
/// ticket reopened and its assignee told (unless it is an auto-reply), the mail recorded.
fn append(
    conn: &mut DbConnection,
    tenant_id: i64,
    mail: &ReceivedMail,
    files: &[PlacedFile],
) -> Result<Stored, ApiError> {
    if let Some(known) = InboundMail::find(conn, tenant_id, &mail.message_id)? {
        return Ok(Stored::Duplicate(InboundOutcome::of_record(&known, true)));
    }
    let now = now_millis();
    let auto = mail.kind == ReceivedKind::AutoReply;
    // A From header's name is the sender's to write: it names a new customer, or one who has
    // no name yet, but never renames one.
    let named = Customer::find_by_email(conn, tenant_id, &mail.from_address)?
        .is_some_and(|c| c.name.is_some());
    let contact = ContactDetails {
        name: mail.from_name.clone().filter(|_| !named),
        email: Some(mail.from_address.clone()),
        phone: None,
    };
    let (ticket_id, created) = match thread(conn, tenant_id, mail)? {
        // A closed ticket is done with: its customer's new mail is a new ticket.
        Some(ticket) if ticket.status != "closed" => {
            if !auto {
                let reopened = ticket.status == "solved";
                if reopened {
                    Ticket::reopen(conn, ticket.id, now)?;
                    TicketEvent::record(
                        conn,
                        tenant_id,
                        ticket.id,
                        "status",
                        Some("solved"),
                        Some("open"),
                        None,
                        now,
                    )?;
                }
                notify::customer_replied(conn, &ticket, reopened, now)?;
            }
            (ticket.id, false)
        }
        _ => {
            let customer_id = find_or_create_customer(conn, tenant_id, &contact, None)?;
            let title = match mail.subject.trim() {
                "" => ticket_title(&mail.text),
                subject => ticket_title(subject),
            };
            let id = Ticket::create(
                conn,
                &NewTicket {
                    tenant_id,
                    customer_id,
                    title: &title,
                    status: "new",
                    priority: "medium",
                    channel_id: CHANNEL_EMAIL,
                    direction: "inbound",
                    source_url: "",
                    created_at: now,
                    updated_at: now,
                    last_update_customer: Some(now),
                    chat_state: None,
                },
            )?;
            if !auto {
                notify::new_email(conn, tenant_id, id, now)?;
            }
            (id, true)
        }
    };
    let details = serde_json::json!({
        "email": {
            "from": mail.from_address,
            "subject": mail.subject,
            "messageID": mail.message_id,
            "autoReply": auto,
        }
    })
    .to_string();
    let message = Message::insert_once(
        conn,
        &NewMessage {
            tenant_id,
            ticket_id,
            session_id: None,
            author: "customer",
            body: &mail.text,
            message_number: 0,
            url: "",
            additional_data: &details,
            used_predefined_user_input: false,
            external_address_overwrite: "",
            idempotency_key: None,
            retry_key: None,
            created_at: now,
            user_id: None,
        },
    )?;
    if !auto {
        Ticket::touch_by_customer(conn, ticket_id, now)?;
    }
    for file in files {
        Attachment::create(
            conn,
            &NewAttachment {
                tenant_id,
                ticket_id,
                session_id: None,
                message_number: None,
                file_name: &file.file_name,
                content_type: &file.content_type,
                size_bytes: file.size as i64,
                sha256: &file.sha256,
                storage_key: &file.storage_key,
                created_at: now,
                author: "customer",
                message_id: Some(message.id),
            },
        )?;
    }
    let kind = if auto { KIND_AUTO_REPLY } else { KIND_MESSAGE };
    if !InboundMail::record(
        conn,
        tenant_id,
        &mail.message_id,
        kind,
        Some(ticket_id),
        Some(message.id),
        now,
    )? {
        // Recorded by a concurrent transaction: this one must change nothing; its retry
        // finds the other's record.
        return Err(ApiError::Conflict);
    }
    let outcome = match (auto, created) {
        (true, _) => "auto_reply",
        (false, true) => "created",
        (false, false) => "appended",
    };
    Ok(Stored::New {
        outcome: InboundOutcome {
            outcome: outcome.into(),
            ticket_id: Some(ticket_id),
            message_id: Some(message.id),
            duplicate: false,
        },
        ticket_created: created,
    })
}
