//! Attachments in: streamed to disk chunk by chunk (never whole in memory), hashed and
//! measured on the way, their type sniffed from their first bytes, their name sanitized,
//! and linked to the session's ticket. Files live under `attachments.dir` by a random key;
//! a client's file name never becomes a path.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::db::models::attachment::{Attachment, NewAttachment};
use crate::db::models::chat_account::ChatAccount;
use crate::db::models::customer::ContactDetails;
use crate::db::{now_millis, Db};
use crate::domain::chat_requests::NewAttachmentTarget;
use crate::error::ApiError;
use crate::services::chat::{open_session, ticket_title, FirstContact};
use crate::services::chat_config::type_allowed;
use crate::services::events::{AttachmentReceived, Events};

const SNIFF_BYTES: usize = 8192;
const MAX_NAME_CHARS: usize = 200;

/// Removes its file when dropped, unless the file was kept.
struct TempFile {
    path: Option<PathBuf>,
}

impl TempFile {
    fn keep(&mut self) -> PathBuf {
        self.path.take().unwrap_or_default()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    rt.spawn(async move {
                        let _ = tokio::fs::remove_file(path).await;
                    });
                }
                Err(_) => {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
    }
}

/// A file being received.
pub struct FileSink {
    file: tokio::fs::File,
    temp: TempFile,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    limit: u64,
}

/// A file received whole, still at its temporary path.
pub struct ReceivedFile {
    temp: TempFile,
    pub size: u64,
    pub sha256: String,
    pub content_type: String,
}

impl FileSink {
    pub async fn create(dir: &Path, limit: u64) -> Result<FileSink, ApiError> {
        let tmp = dir.join("tmp");
        tokio::fs::create_dir_all(&tmp).await?;
        let path = tmp.join(uuid::Uuid::new_v4().to_string());
        let file = tokio::fs::File::create(&path).await?;
        Ok(FileSink {
            file,
            temp: TempFile { path: Some(path) },
            hasher: Sha256::new(),
            size: 0,
            head: Vec::new(),
            limit,
        })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(ApiError::PayloadTooLarge(self.limit));
        }
        if self.head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        if let Err(e) = self.file.write_all(chunk).await {
            return Err(self.discard(e).await);
        }
        Ok(())
    }

    /// Flushes the file to stable storage: a 200 must not point at bytes still in a cache.
    pub async fn finish(mut self) -> Result<ReceivedFile, ApiError> {
        if let Err(e) = self.file.flush().await {
            return Err(self.discard(e).await);
        }
        if let Err(e) = self.file.sync_all().await {
            return Err(self.discard(e).await);
        }
        Ok(ReceivedFile {
            content_type: sniff(&self.head),
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
            temp: self.temp,
        })
    }
}

impl FileSink {
    /// After a failed write (a full disk, say): the partial file is removed before the caller
    /// answers, so its room is free again (its handle closes when the sink is dropped).
    async fn discard(&mut self, e: std::io::Error) -> ApiError {
        if let Some(path) = self.temp.path.take() {
            let _ = tokio::fs::remove_file(path).await;
        }
        e.into()
    }
}

/// The content type from the bytes themselves, never from what the client claimed.
pub fn sniff(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    // A UTF-8 cut in the middle of a character at the sniff boundary is still text.
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
    };
    if text && !head.contains(&0) {
        "text/plain".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// A file name safe to show and to offer for download; never used as a path.
pub fn sanitize_name(claimed: Option<&str>, content_type: &str) -> String {
    let cleaned = claimed
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(""))
        .map(|n| sanitize_filename::sanitize(n.trim()))
        .map(|n| {
            n.trim_start_matches('.')
                .trim()
                .chars()
                .take(MAX_NAME_CHARS)
                .collect::<String>()
        })
        .unwrap_or_default();
    if !cleaned.is_empty() {
        return cleaned;
    }
    match mime_extension(content_type) {
        Some(ext) => format!("attachment.{ext}"),
        None => "attachment".to_owned(),
    }
}

fn mime_extension(content_type: &str) -> Option<&'static str> {
    match content_type {
        "text/plain" => Some("txt"),
        "image/png" => Some("png"),
        "image/jpeg" => Some("jpg"),
        "image/gif" => Some("gif"),
        "image/webp" => Some("webp"),
        "application/pdf" => Some("pdf"),
        "application/zip" => Some("zip"),
        _ => None,
    }
}

/// A received file in its permanent place under `attachments.dir`, not yet recorded.
#[derive(Debug, Clone)]
pub struct PlacedFile {
    pub storage_key: String,
    pub path: PathBuf,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    pub content_type: String,
}

impl PlacedFile {
    /// For when the record that would point at the file was not written.
    pub async fn remove(&self) {
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

/// Removes placed files that nothing will point at (their record was not written).
pub async fn remove_all(files: &[PlacedFile]) {
    for file in files {
        file.remove().await;
    }
}

/// Moves a received file to `{dir}/{tenant}/{random key}`: the client's name is kept only as
/// the (sanitized) name to show.
pub async fn place(
    dir: &Path,
    tenant_id: i64,
    mut received: ReceivedFile,
    file_name: String,
) -> Result<PlacedFile, ApiError> {
    let storage_key = format!("{tenant_id}/{}", uuid::Uuid::new_v4());
    let path = dir.join(&storage_key);
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let temp_path = received.temp.path.clone().unwrap_or_default();
    tokio::fs::rename(&temp_path, &path).await?;
    received.temp.keep();
    Ok(PlacedFile {
        storage_key,
        path,
        file_name,
        size: received.size,
        sha256: received.sha256,
        content_type: received.content_type,
    })
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentOutcome {
    #[serde(rename = "ticketID")]
    pub ticket_id: i64,
    #[serde(rename = "attachmentID")]
    pub attachment_id: i64,
    /// The file's session was new: this call created customer, ticket and session.
    pub ticket_created: bool,
    /// The sanitized name.
    pub file_name: String,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub size: u64,
    /// Hex.
    pub sha256: String,
}

/// A file of the tenant, opened for reading: its record and its bytes.
pub async fn open(
    db: &Db,
    dir: &Path,
    tenant_id: i64,
    id: i64,
) -> Result<(Attachment, tokio::fs::File), ApiError> {
    let file = db
        .read(move |conn| Attachment::find(conn, tenant_id, id))
        .await?;
    let path = dir.join(&file.storage_key);
    let handle = tokio::fs::File::open(&path).await.map_err(|e| {
        log::error!("attachment {id} has no bytes at {}: {e}", path.display());
        ApiError::Missing(format!("the bytes of file {id} are gone"))
    })?;
    Ok((file, handle))
}

/// The chat account a customer's file is for, and the most bytes that file may have: the
/// server's limit or the account's smaller one.
pub async fn upload_limit(
    db: &Db,
    tenant_id: i64,
    token: String,
    server_limit: u64,
) -> Result<(ChatAccount, u64), ApiError> {
    let account = db
        .read(move |conn| ChatAccount::find_by_token(conn, tenant_id, &token))
        .await?;
    let limit = server_limit.min(account.attachment_max_bytes.max(0) as u64);
    Ok((account, limit))
}

/// A customer's file, received: refused (`415`) if the chat account does not take its type,
/// else named, stored on the session's ticket and announced to the tenant's streams.
pub async fn receive_from_customer(
    db: &Db,
    events: &Events,
    dir: &Path,
    account: ChatAccount,
    target: NewAttachmentTarget,
    received: ReceivedFile,
    claimed_name: Option<String>,
) -> Result<AttachmentOutcome, ApiError> {
    if !type_allowed(&account.attachment_types, &received.content_type) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "attachments of type {} are not accepted by this chat account (allowed: {})",
            received.content_type, account.attachment_types
        )));
    }
    let (tenant_id, session_id) = (account.tenant_id, target.chat_session_id.clone());
    let file_name = sanitize_name(claimed_name.as_deref(), &received.content_type);
    let outcome = store(db, dir, account, target, received, file_name).await?;
    events.send(
        tenant_id,
        &AttachmentReceived {
            ticket_id: outcome.ticket_id,
            chat_session_id: session_id,
            attachment_id: outcome.attachment_id,
            file_name: outcome.file_name.clone(),
            content_type: outcome.content_type.clone(),
            size: outcome.size,
        },
    );
    Ok(outcome)
}

/// Moves the received file to its permanent place and records it on the session's ticket,
/// creating customer, ticket and session if this is the session's first contact. The file
/// is removed again if the database does not take the record.
async fn store(
    db: &Db,
    dir: &Path,
    account: ChatAccount,
    target: NewAttachmentTarget,
    received: ReceivedFile,
    file_name: String,
) -> Result<AttachmentOutcome, ApiError> {
    let placed = place(dir, account.tenant_id, received, file_name).await?;
    let (size, sha256, content_type, storage_key) = (
        placed.size,
        placed.sha256.clone(),
        placed.content_type.clone(),
        placed.storage_key.clone(),
    );
    let file_name = placed.file_name.clone();
    let name = file_name.clone();
    let outcome = db
        .write(move |conn| {
            let now = now_millis();
            let contact = ContactDetails {
                phone: target.phone_number.clone(),
                ..ContactDetails::default()
            };
            let title = ticket_title(&format!("Attachment: {name}"));
            let first = FirstContact {
                title: &title,
                channel_id: 8,
                source_url: "",
                contact: &contact,
                external: None,
                renew_if_deleted: false,
                group: None,
            };
            let opened = open_session(
                conn,
                &account,
                &target.chat_server,
                &target.chat_session_id,
                &first,
                now,
            )?;
            let id = Attachment::create(
                conn,
                &NewAttachment {
                    tenant_id: account.tenant_id,
                    ticket_id: opened.session.ticket_id,
                    session_id: Some(opened.session.id),
                    message_number: target.message_number,
                    file_name: &name,
                    content_type: &content_type,
                    size_bytes: size as i64,
                    sha256: &sha256,
                    storage_key: &storage_key,
                    created_at: now,
                    author: "customer",
                    message_id: None,
                },
            )?;
            Ok((opened.session.ticket_id, id, opened.created))
        })
        .await;
    // The file goes only when the write certainly failed. Were this future dropped while the
    // write is under way, the write may still commit: the file must then stay.
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            placed.remove().await;
            return Err(e);
        }
    };
    Ok(AttachmentOutcome {
        ticket_id: outcome.0,
        attachment_id: outcome.1,
        ticket_created: outcome.2,
        file_name,
        content_type: placed.content_type,
        size: placed.size,
        sha256: placed.sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_dangerous_characters() {
        assert_eq!(
            sanitize_name(Some("../../etc/passwd"), "text/plain"),
            "passwd"
        );
        assert_eq!(
            sanitize_name(Some("C:\\Users\\x\\photo.png"), "image/png"),
            "photo.png"
        );
        assert_eq!(sanitize_name(Some("..."), "image/png"), "attachment.png");
        assert_eq!(sanitize_name(None, "application/x-unknown"), "attachment");
        assert_eq!(
            sanitize_name(Some("a<b>c|d?.txt"), "text/plain"),
            "abcd.txt"
        );
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff(b"%PDF-1.7 hello"), "application/pdf");
        assert_eq!(sniff("plain words, ünïcode".as_bytes()), "text/plain");
        assert_eq!(sniff(&[0, 159, 146, 150]), "application/octet-stream");
    }
}
