//! A raw RFC 5322 message, parsed with `mail-parser` (MIME, encoded words, charsets), as the
//! inbound mail service takes it: who sent it, what it answers, its text (HTML made text when
//! there is no plain part), its files, and whether it is an auto-reply or a bounce.

use std::sync::LazyLock;

use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use regex::Regex;
use sha2::{Digest, Sha256};

use crate::domain::email::bare_message_id;
use crate::error::ApiError;
use crate::services::inbound_mail::{MailFile, ReceivedKind, ReceivedMail};

/// A `Message-ID:` line in a report's copy of the bounced mail's headers.
static REPORTED_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^Message-ID:\s*<([^>\s]+)>").expect("a valid pattern"));
/// Why a delivery failed: the report's `Diagnostic-Code`, else its `Status`.
static DIAGNOSTIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^Diagnostic-Code:\s*(.+(?:\r?\n[ \t]+.+)*)").expect("a valid pattern")
});
/// Whom the report is about: `Final-Recipient: rfc822; someone@example.org` (or Original-).
static RECIPIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^(?:Final|Original)-Recipient:\s*[^;\r\n]*;\s*<?([^>\s]+)>?")
        .expect("a valid pattern")
});
static STATUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^Status:\s*(\S+)").expect("a valid pattern"));

/// The most ids a mail is threaded by: `In-Reply-To` and the nearest of `References`.
const MAX_ANSWERS: usize = 20;
/// The most mails one delivery report can fail.
const MAX_BOUNCED: usize = 10;
/// The most files one mail brings.
pub const MAX_FILES: usize = 100;
/// The longest `Message-ID` kept as it is; a longer one is kept as its hash.
const MAX_ID_BYTES: usize = 255;
/// The longest address (RFC 5321 allows 254).
const MAX_ADDRESS_BYTES: usize = 254;
const MAX_SUBJECT_CHARS: usize = 998;
const MAX_NAME_CHARS: usize = 255;

fn malformed(why: &str) -> ApiError {
    ApiError::invalid("message", "malformed", why)
}

/// Text as stored: no NUL (Postgres' text takes none, and no mail needs one).
fn clean(text: &str) -> String {
    text.replace('\0', "")
}

/// A `Message-ID` as stored and looked up: without brackets or NUL, and a long one as its
/// hash (an index entry has its limits; a real id is far shorter).
pub fn stored_id(id: &str) -> String {
    let id = clean(&bare_message_id(id));
    if id.len() <= MAX_ID_BYTES {
        return id;
    }
    format!("sha256-{}", hex::encode(Sha256::digest(id.as_bytes())))
}

/// Parses the message; a `400` names what is missing (no headers, no sender).
pub fn parse(raw: &[u8]) -> Result<ReceivedMail, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed("the message is empty"));
    }
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.headers().is_empty())
        .ok_or_else(|| malformed("the message has no header lines"))?;
    let from = message
        .from()
        .and_then(|a| a.first())
        .ok_or_else(|| malformed("the message has no From address"))?;
    let from_address = from
        .address()
        .map(str::trim)
        .filter(|a| {
            a.contains('@')
                && a.len() <= MAX_ADDRESS_BYTES
                && !a.chars().any(|c| c.is_whitespace() || c.is_control())
        })
        .ok_or_else(|| malformed("the From header holds no e-mail address"))?
        .to_lowercase();
    let from_name = from
        .name()
        .map(|n| {
            clean(n.trim())
                .chars()
                .take(MAX_NAME_CHARS)
                .collect::<String>()
        })
        .filter(|n| !n.is_empty());
    let message_id = match message.message_id().map(stored_id) {
        Some(id) if !id.is_empty() => id,
        // A mail without an id is still received once only: its bytes name it.
        _ => format!("sha256-{}", hex::encode(Sha256::digest(raw))),
    };
    // The ids it answers, nearest first, a few: a References header of thousands of ids
    // threads no better than its last ones.
    let mut answers = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let references = ids(message.references());
    let nearest = references.iter().rev().take(MAX_ANSWERS);
    for id in ids(message.in_reply_to())
        .iter()
        .take(MAX_ANSWERS)
        .chain(nearest)
    {
        if answers.len() < MAX_ANSWERS && seen.insert(id.clone()) {
            answers.push(id.clone());
        }
    }
    let subject = clean(message.subject().unwrap_or_default().trim())
        .chars()
        .take(MAX_SUBJECT_CHARS)
        .collect();
    let kind = match bounce(&message) {
        Some(kind) => kind,
        None if auto_reply(&message) => ReceivedKind::AutoReply,
        None => ReceivedKind::Message,
    };
    let text = message
        .body_text(0)
        .map(|t| clean(t.trim_end()).replace("\r\n", "\n"))
        .unwrap_or_default();
    let files = match kind {
        ReceivedKind::Bounce { .. } => Vec::new(),
        _ => files(&message),
    };
    if files.len() > MAX_FILES {
        return Err(ApiError::invalid(
            "message",
            "too_many_files",
            format!(
                "a mail brings at most {MAX_FILES} files; this one has {}",
                files.len()
            ),
        ));
    }
    Ok(ReceivedMail {
        message_id,
        answers,
        from_address,
        from_name,
        subject,
        text,
        kind,
        files,
    })
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(ids) => ids.iter().map(|i| i.as_ref()).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .map(stored_id)
        .filter(|id| !id.is_empty())
        .collect()
}

/// RFC 3834's `Auto-Submitted` (anything but `no`), and what older responders write instead.
fn auto_reply(message: &Message<'_>) -> bool {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if header("Auto-Submitted").is_some_and(|v| v != "no") {
        return true;
    }
    if header("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list")) {
        return true;
    }
    ["X-Autoreply", "X-Autorespond", "X-Auto-Reply"]
        .iter()
        .any(|name| header(name).is_some_and(|v| v != "no"))
}

/// A delivery status notification (RFC 3464, `multipart/report; report-type=delivery-status`):
/// the ids of the mails it reports on (from its copy of them or of their headers), whom it
/// could not reach, and why.
fn bounce(message: &Message<'_>) -> Option<ReceivedKind> {
    let root = message.root_part();
    let report = root.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct
                .attribute("report-type")
                .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    });
    if !report {
        return None;
    }
    let (mut bounced, mut recipients, mut reason) = (Vec::new(), Vec::new(), String::new());
    for part in message.parts.iter() {
        let ct = part.content_type();
        let is = |t: &str, s: &str| {
            ct.is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case(t)
                    && ct.subtype().is_some_and(|x| x.eq_ignore_ascii_case(s))
            })
        };
        match &part.body {
            PartType::Message(copy) => bounced.extend(copy.message_id().map(stored_id)),
            _ if is("message", "delivery-status") || is("message", "global-delivery-status") => {
                let text = String::from_utf8_lossy(part.contents());
                recipients.extend(
                    RECIPIENT
                        .captures_iter(&text)
                        .map(|c| c[1].to_lowercase())
                        .take(MAX_BOUNCED),
                );
                if let Some(c) = DIAGNOSTIC
                    .captures(&text)
                    .or_else(|| STATUS.captures(&text))
                {
                    reason = c[1].split_whitespace().collect::<Vec<_>>().join(" ");
                }
            }
            _ if is("text", "rfc822-headers") || is("message", "rfc822-headers") => {
                let text = String::from_utf8_lossy(part.contents());
                bounced.extend(REPORTED_ID.captures_iter(&text).map(|c| stored_id(&c[1])));
            }
            _ => {}
        }
    }
    if reason.is_empty() {
        reason = "the receiving mail server reported the mail undeliverable".into();
    }
    bounced.truncate(MAX_BOUNCED);
    recipients.sort_unstable();
    recipients.dedup();
    Some(ReceivedKind::Bounce {
        bounced,
        recipients,
        reason: clean(&format!("bounced: {reason}"))
            .chars()
            .take(500)
            .collect(),
    })
}

/// The message's files: attachments and inline images, not its text parts.
fn files(message: &Message<'_>) -> Vec<MailFile> {
    message
        .attachments()
        .filter_map(|part| {
            let bytes = match &part.body {
                PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
                PartType::Text(t) | PartType::Html(t) => t.as_bytes().to_vec(),
                PartType::Message(m) => m.raw_message().to_vec(),
                PartType::Multipart(_) => return None,
            };
            Some(MailFile {
                name: part.attachment_name().map(str::to_owned),
                bytes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_without_headers_or_sender_is_refused() {
        assert!(parse(b"").is_err());
        assert!(parse(b"just some text without any header").is_err());
        let no_from = b"Subject: hi\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n";
        assert!(parse(no_from).is_err());
    }

    #[test]
    fn a_message_without_an_id_is_named_by_its_bytes() {
        let raw = b"From: A <a@example.net>\r\nSubject: hi\r\n\r\nbody\r\n";
        let mail = parse(raw).unwrap();
        assert!(mail.message_id.starts_with("sha256-"));
        assert_eq!(mail.message_id, parse(raw).unwrap().message_id);
        assert_eq!(mail.from_address, "a@example.net");
        assert_eq!(mail.text, "body");
    }

    #[test]
    fn a_mail_is_threaded_by_a_few_ids_however_many_it_names() {
        let many: Vec<String> = (0..10_000).map(|i| format!("<id-{i}@x>")).collect();
        let raw = format!(
            "From: a@example.net\r\nMessage-ID: <{}@x>\r\nReferences: {}\r\n\r\nhi\0there\r\n",
            "a".repeat(400),
            many.join(" ")
        );
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.answers.len(), 20);
        assert_eq!(mail.answers[0], "id-9999@x");
        assert!(
            mail.message_id.starts_with("sha256-"),
            "{}",
            mail.message_id
        );
        assert_eq!(mail.text, "hithere");
    }

    #[test]
    fn answers_come_nearest_first() {
        let raw = b"From: a@example.net\r\nIn-Reply-To: <c@x>\r\nReferences: <a@x> <b@x> <c@x>\r\n\r\nhi\r\n";
        let mail = parse(raw).unwrap();
        assert_eq!(mail.answers, ["c@x", "b@x", "a@x"]);
    }

    #[test]
    fn auto_replies_are_told_by_their_headers() {
        let with = |h: &str| {
            parse(format!("From: a@example.net\r\n{h}\r\n\r\nhi\r\n").as_bytes())
                .unwrap()
                .kind
        };
        assert_eq!(
            with("Auto-Submitted: auto-replied"),
            ReceivedKind::AutoReply
        );
        assert_eq!(with("Auto-Submitted: no"), ReceivedKind::Message);
        assert_eq!(with("Precedence: bulk"), ReceivedKind::AutoReply);
        assert_eq!(with("X-Autoreply: yes"), ReceivedKind::AutoReply);
        assert_eq!(with("Precedence: first-class"), ReceivedKind::Message);
    }
}

#[cfg(test)]
mod fixture_tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/email/{name}", env!("CARGO_MANIFEST_DIR"));
        String::from_utf8(std::fs::read(path).unwrap())
            .unwrap()
            .replace("{{BOUNCED}}", "ticket-7.abc@acme.example")
            .replace("{{TICKET}}", "7")
            .into_bytes()
    }

    #[test]
    fn bounces_name_the_mail_they_report_on_and_why() {
        for name in ["bounce.eml", "bounce_message_rfc822.eml"] {
            let mail = parse(&fixture(name)).unwrap();
            let ReceivedKind::Bounce {
                bounced,
                recipients,
                reason,
            } = mail.kind
            else {
                panic!("{name}: not a bounce: {:?}", mail.kind);
            };
            assert_eq!(bounced, ["ticket-7.abc@acme.example"], "{name}");
            assert_eq!(recipients, ["nobody@example.org"], "{name}");
            assert!(
                reason.contains("5.1.1") && reason.contains("User unknown"),
                "{reason}"
            );
            assert!(mail.files.is_empty());
        }
    }
}
