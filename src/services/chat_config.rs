//! What requestChatConfig tells a chat widget, from its chat account's stored settings.

use serde::Serialize;

use crate::db::models::chat_account::ChatAccount;
use crate::db::models::chat_session::ChatSession;
use crate::db::{Db, DbConnection};
use crate::domain::service_hours::ServiceHours;
use crate::error::ApiError;
use crate::services::queue::WaitModel;

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatConfig {
    #[serde(rename = "chatAccountID")]
    pub chat_account_id: i64,
    pub name: String,
    pub language: String,
    pub greeting: String,
    pub offline_message: String,
    pub required_fields: Vec<String>,
    pub time_zone: String,
    pub service_hours: String,
    /// Within service hours right now, in the account's time zone.
    pub open: bool,
    /// Open, at least one agent online, and room in the queue.
    pub online: bool,
    pub agents_online: i64,
    pub attachments: AttachmentLimits,
    pub queue: QueueSettings,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentLimits {
    pub max_bytes: i64,
    pub allowed_types: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueSettings {
    pub enabled: bool,
    /// 0 = no limit.
    pub max_length: i32,
    pub length: i64,
    /// At its maximum length: the widget should offer the offline form instead.
    pub full: bool,
    /// What a chat starting now should expect to wait, in seconds.
    pub estimated_wait: i32,
}

/// The widget configuration of the tenant's chat account with this token.
pub async fn of_account(
    db: &Db,
    tenant_id: i64,
    token: String,
    max_attachment_bytes: u64,
) -> Result<ChatConfig, ApiError> {
    db.read(move |conn| {
        let account = ChatAccount::find_by_token(conn, tenant_id, &token)?;
        build(conn, account, max_attachment_bytes)
    })
    .await
}

pub fn build(
    conn: &mut DbConnection,
    account: ChatAccount,
    max_attachment_bytes: u64,
) -> Result<ChatConfig, ApiError> {
    let time_zone: chrono_tz::Tz = account.time_zone.parse().unwrap_or(chrono_tz::UTC);
    // Stored hours were validated when written; unreadable ones mean "always open".
    let hours: ServiceHours = account.service_hours.parse().unwrap_or_default();
    let open = hours.is_open_now(time_zone);
    let model = WaitModel::load(conn, &account)?;
    let length = ChatSession::count_waiting(conn, account.id)?;
    let full = account.queue_max_length > 0 && length >= i64::from(account.queue_max_length);
    Ok(ChatConfig {
        chat_account_id: account.id,
        required_fields: list(&account.required_fields),
        time_zone: time_zone.name().to_owned(),
        service_hours: account.service_hours,
        open,
        online: open && model.agents_online > 0 && !full,
        agents_online: model.agents_online,
        attachments: AttachmentLimits {
            max_bytes: account
                .attachment_max_bytes
                .min(max_attachment_bytes as i64),
            allowed_types: list(&account.attachment_types),
        },
        queue: QueueSettings {
            enabled: account.queue_enabled,
            max_length: account.queue_max_length,
            length,
            full,
            estimated_wait: model.initial_estimate(length + 1),
        },
        name: account.name,
        language: account.language,
        greeting: account.greeting,
        offline_message: account.offline_message,
    })
}

/// Whether a sniffed content type is on the account's list (`image/*` style entries allowed);
/// an empty list allows every type.
pub fn type_allowed(allowed: &str, content_type: &str) -> bool {
    let allowed = list(allowed);
    allowed.is_empty()
        || allowed.iter().any(|a| match a.strip_suffix("/*") {
            Some(family) => content_type
                .split('/')
                .next()
                .is_some_and(|f| f.eq_ignore_ascii_case(family)),
            None => a.eq_ignore_ascii_case(content_type),
        })
}

#[cfg(test)]
mod tests {
    use super::type_allowed;

    #[test]
    fn type_lists_accept_families_and_exact_types() {
        assert!(type_allowed("", "application/x-anything"));
        assert!(type_allowed("image/*, application/pdf", "image/png"));
        assert!(type_allowed("image/*,application/pdf", "application/pdf"));
        assert!(!type_allowed("image/*", "application/pdf"));
    }
}
