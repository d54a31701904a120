//! Chat accounts' settings as administrators read and change them
//! (`GET|PUT /api/v2/chatAccount/{id}`, `omnibridge chat-account set`).
//!
//! The signing secret is never read back: it is shown once, when the account is created or
//! when `rotateSecret` replaces it.

use serde::Serialize;

use crate::db::models::agent_group::AgentGroup;
use crate::db::models::chat_account::{ChatAccount, ChatAccountChangeset};
use crate::db::{Db, DbConnection};
use crate::domain::chat_account::{check_required_fields, check_service_hours, check_time_zone};
use crate::domain::time::iso;
use crate::error::ApiError;
use crate::services::keys;

/// What may change; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct ChatAccountChanges {
    pub name: Option<String>,
    pub language: Option<String>,
    pub greeting: Option<String>,
    pub offline_message: Option<String>,
    pub required_fields: Option<Vec<String>>,
    pub time_zone: Option<String>,
    pub service_hours: Option<String>,
    pub attachment_max_bytes: Option<i64>,
    pub attachment_types: Option<Vec<String>>,
    pub queue_enabled: Option<bool>,
    pub queue_max_length: Option<i32>,
    pub default_wait_seconds: Option<i32>,
    pub transcripts: Option<bool>,
    pub purge_after_days: Option<i32>,
    pub close_solved_after_days: Option<i32>,
    /// The group its new chats go to; `Some(None)`: none.
    pub group_id: Option<Option<i64>>,
    /// Replace the signing secret with a new random one (answered once).
    pub rotate_secret: bool,
    /// Replace the JivoChat webhook token: the old URL stops working at once.
    pub rotate_webhook_token: bool,
}

/// A chat account as administrators see it (everything but the secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatAccountView {
    pub id: i64,
    pub name: String,
    /// The `chatAccountToken` chat servers send.
    pub token: String,
    pub language: String,
    pub greeting: String,
    pub offline_message: String,
    /// Contact fields the widget must ask for: `customerName`, `emailAddress`, `phoneNumber`.
    pub required_fields: Vec<String>,
    /// An IANA time zone; service hours are in it.
    pub time_zone: String,
    /// e.g. `mon-fri 09:00-17:00; sat 10:00-14:00`; empty = always open.
    pub service_hours: String,
    pub attachment_max_bytes: i64,
    /// Accepted attachment types (`image/*` allowed); empty = any.
    pub attachment_types: Vec<String>,
    pub queue_enabled: bool,
    /// 0 = no limit.
    pub queue_max_length: i32,
    pub default_wait_seconds: i32,
    /// Mail the transcript to the customer when a chat ends (if they gave an e-mail).
    pub transcripts: bool,
    /// Customers of this account's chats quiet this many days (no ticket of theirs touched)
    /// have their personal data purged, as `purgeData` does; 0 = kept.
    pub purge_after_days: i32,
    /// Solved tickets of this account's chats untouched this many days are closed; 0 = never.
    pub close_solved_after_days: i32,
    /// The agent group its new chats go to (their tickets' `assigned_group_id`); `null`: none.
    pub group_id: Option<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The last part of the account's JivoChat webhook URL:
    /// `{server.public_url}/api/v2/jivochat/{webhookToken}`. Anyone who has it can post
    /// chats to this account: it is shown to administrators only, and `rotateWebhookToken`
    /// replaces it.
    pub webhook_token: String,
    /// Only right after `rotateSecret`: the new signing secret, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl From<ChatAccount> for ChatAccountView {
    fn from(a: ChatAccount) -> ChatAccountView {
        ChatAccountView {
            id: a.id,
            webhook_token: a.webhook_token(),
            name: a.name,
            token: a.token,
            language: a.language,
            greeting: a.greeting,
            offline_message: a.offline_message,
            required_fields: split(&a.required_fields),
            time_zone: a.time_zone,
            service_hours: a.service_hours,
            attachment_max_bytes: a.attachment_max_bytes,
            attachment_types: split(&a.attachment_types),
            queue_enabled: a.queue_enabled,
            queue_max_length: a.queue_max_length,
            default_wait_seconds: a.default_wait_seconds,
            transcripts: a.transcripts,
            purge_after_days: a.purge_after_days,
            close_solved_after_days: a.close_solved_after_days,
            group_id: a.group_id,
            created_at: iso(a.created_at),
            secret: None,
        }
    }
}

impl ChatAccountChanges {
    fn changeset(&self) -> Result<(ChatAccountChangeset, Option<String>), ApiError> {
        if let Some(zone) = &self.time_zone {
            check_time_zone(zone)?;
        }
        let service_hours = self
            .service_hours
            .as_deref()
            .map(check_service_hours)
            .transpose()?;
        if let Some(fields) = &self.required_fields {
            check_required_fields(fields)?;
        }
        let secret = self.rotate_secret.then(|| keys::random_token(48));
        Ok((
            ChatAccountChangeset {
                name: self.name.clone(),
                language: self.language.clone(),
                greeting: self.greeting.clone(),
                offline_message: self.offline_message.clone(),
                required_fields: self.required_fields.as_ref().map(|f| f.join(",")),
                time_zone: self.time_zone.clone(),
                service_hours,
                attachment_max_bytes: self.attachment_max_bytes,
                attachment_types: self.attachment_types.as_ref().map(|t| t.join(",")),
                queue_enabled: self.queue_enabled,
                queue_max_length: self.queue_max_length,
                default_wait_seconds: self.default_wait_seconds,
                transcripts: self.transcripts,
                purge_after_days: self.purge_after_days,
                close_solved_after_days: self.close_solved_after_days,
                group_id: self.group_id,
                secret: secret.clone(),
                webhook_token: self.rotate_webhook_token.then(new_webhook_token),
            },
            secret,
        ))
    }
}

/// A webhook token's secret part: 48 random letters and digits (about 285 bits).
pub fn new_webhook_token() -> String {
    keys::random_token(48)
}

fn apply(
    conn: &mut DbConnection,
    tenant_id: i64,
    id: i64,
    changes: &ChatAccountChanges,
) -> Result<ChatAccountView, ApiError> {
    ChatAccount::find(conn, tenant_id, id)?;
    if let Some(Some(group)) = changes.group_id {
        if AgentGroup::find(conn, tenant_id, group).is_err() {
            return Err(ApiError::invalid(
                "groupID",
                "unknown",
                format!("no group of this tenant has the id {group}"),
            ));
        }
    }
    let (changeset, secret) = changes.changeset()?;
    ChatAccount::update(conn, tenant_id, id, &changeset)?;
    let mut view = ChatAccountView::from(ChatAccount::find(conn, tenant_id, id)?);
    view.secret = secret;
    Ok(view)
}

pub async fn list(db: &Db, tenant_id: i64) -> Result<Vec<ChatAccountView>, ApiError> {
    db.read(move |conn| {
        let rows = ChatAccount::of_tenant(conn, tenant_id)?;
        Ok(rows.into_iter().map(ChatAccountView::from).collect())
    })
    .await
}

pub async fn get(db: &Db, tenant_id: i64, id: i64) -> Result<ChatAccountView, ApiError> {
    db.read(move |conn| ChatAccount::find(conn, tenant_id, id).map(ChatAccountView::from))
        .await
}

pub async fn update(
    db: &Db,
    tenant_id: i64,
    id: i64,
    changes: ChatAccountChanges,
) -> Result<ChatAccountView, ApiError> {
    db.write(move |conn| apply(conn, tenant_id, id, &changes))
        .await
}

/// The same change from the command line (no async runtime there).
pub fn update_blocking(
    db: &Db,
    tenant_id: i64,
    id: i64,
    changes: &ChatAccountChanges,
) -> Result<ChatAccountView, ApiError> {
    db.write_blocking(|conn| apply(conn, tenant_id, id, changes))
}
