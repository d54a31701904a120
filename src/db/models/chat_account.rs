use diesel::prelude::*;

use crate::db::schema::chat_accounts;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

/// One chat widget / channel configuration of a tenant, named by its token.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = chat_accounts)]
pub struct ChatAccount {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub token: String,
    pub secret: String,
    pub language: String,
    pub greeting: String,
    pub offline_message: String,
    /// Comma-separated chat field names the widget must ask for.
    pub required_fields: String,
    pub time_zone: String,
    /// `ServiceHours` text form, e.g. `mon-fri 09:00-17:00; sat 10:00-14:00`; empty = always.
    pub service_hours: String,
    pub attachment_max_bytes: i64,
    /// Comma-separated content types (`image/*` allowed); empty = any.
    pub attachment_types: String,
    pub queue_enabled: bool,
    pub queue_max_length: i32,
    pub default_wait_seconds: i32,
    pub transcripts: bool,
    pub created_at: i64,
    /// The secret part of the account's JivoChat webhook URL (see [`ChatAccount::webhook_token`]).
    pub webhook_token: String,
    /// Customers quiet this many days have their personal data purged; 0 = kept.
    pub purge_after_days: i32,
    /// Solved tickets untouched this many days are closed; 0 = never.
    pub close_solved_after_days: i32,
    /// The group its new chats go to.
    pub group_id: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = chat_accounts)]
pub struct NewChatAccount {
    pub tenant_id: i64,
    pub name: String,
    pub token: String,
    pub secret: String,
    pub language: String,
    pub greeting: String,
    pub offline_message: String,
    pub required_fields: String,
    pub time_zone: String,
    pub service_hours: String,
    pub attachment_max_bytes: i64,
    pub attachment_types: String,
    pub queue_enabled: bool,
    pub queue_max_length: i32,
    pub default_wait_seconds: i32,
    pub transcripts: bool,
    pub created_at: i64,
    pub webhook_token: String,
}

/// What a change of a chat account's settings writes; `None` leaves a column as it is.
#[derive(Debug, AsChangeset, Default, PartialEq)]
#[diesel(table_name = chat_accounts)]
pub struct ChatAccountChangeset {
    pub name: Option<String>,
    pub language: Option<String>,
    pub greeting: Option<String>,
    pub offline_message: Option<String>,
    /// Comma-separated.
    pub required_fields: Option<String>,
    pub time_zone: Option<String>,
    pub service_hours: Option<String>,
    pub attachment_max_bytes: Option<i64>,
    /// Comma-separated.
    pub attachment_types: Option<String>,
    pub queue_enabled: Option<bool>,
    pub queue_max_length: Option<i32>,
    pub default_wait_seconds: Option<i32>,
    pub transcripts: Option<bool>,
    pub secret: Option<String>,
    pub webhook_token: Option<String>,
    pub purge_after_days: Option<i32>,
    pub close_solved_after_days: Option<i32>,
    /// `Some(None)` sends its chats to no group.
    pub group_id: Option<Option<i64>>,
}

impl ChatAccount {
    /// Every tenant's chat accounts that purge or close anything (for the retention job).
    pub fn with_retention(conn: &mut DbConnection) -> Result<Vec<ChatAccount>, ApiError> {
        Ok(on_backend!(conn, |c| chat_accounts::table
            .filter(
                chat_accounts::purge_after_days
                    .gt(0)
                    .or(chat_accounts::close_solved_after_days.gt(0)),
            )
            .order(chat_accounts::id)
            .select(ChatAccount::as_select())
            .load(c))?)
    }

    /// What JivoChat is given, in its webhook URL: `{id}-{secret}`. The id finds the account,
    /// the secret is compared in constant time, so the time an answer takes tells nothing
    /// about the secret.
    pub fn webhook_token(&self) -> String {
        format!("{}-{}", self.id, self.webhook_token)
    }

    /// The chat account whose webhook token this is, of any tenant (the token is the only
    /// credential JivoChat sends); `None` for a token no account has.
    pub fn find_by_webhook_token(
        conn: &mut DbConnection,
        token: &str,
    ) -> Result<Option<ChatAccount>, ApiError> {
        use subtle::ConstantTimeEq;
        let Some((id, secret)) = token.split_once('-') else {
            return Ok(None);
        };
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let account: Option<ChatAccount> = on_backend!(conn, |c| chat_accounts::table
            .filter(chat_accounts::id.eq(id))
            .select(ChatAccount::as_select())
            .first(c)
            .optional())?;
        Ok(account.filter(|a| {
            !a.webhook_token.is_empty()
                && bool::from(a.webhook_token.as_bytes().ct_eq(secret.as_bytes()))
        }))
    }

    pub fn create(conn: &mut DbConnection, new: &NewChatAccount) -> Result<i64, ApiError> {
        let id = on_backend!(conn, |c| diesel::insert_into(chat_accounts::table)
            .values(new)
            .returning(chat_accounts::id)
            .get_result(c))?;
        Ok(id)
    }

    /// The tenant's chat account with this token; another tenant's token finds nothing.
    pub fn find_by_token(
        conn: &mut DbConnection,
        tenant_id: i64,
        token: &str,
    ) -> Result<ChatAccount, ApiError> {
        on_backend!(conn, |c| chat_accounts::table
            .filter(chat_accounts::tenant_id.eq(tenant_id))
            .filter(chat_accounts::token.eq(token))
            .select(ChatAccount::as_select())
            .first(c)
            .optional())?
        .ok_or(ApiError::UnknownChatAccount)
    }

    pub fn find(conn: &mut DbConnection, tenant_id: i64, id: i64) -> Result<ChatAccount, ApiError> {
        on_backend!(conn, |c| chat_accounts::table
            .filter(chat_accounts::id.eq(id))
            .filter(chat_accounts::tenant_id.eq(tenant_id))
            .select(ChatAccount::as_select())
            .first(c)
            .optional())?
        .ok_or_else(|| ApiError::Missing(format!("no chat account {id}")))
    }

    pub fn first_of_tenant(
        conn: &mut DbConnection,
        tenant_id: i64,
    ) -> Result<Option<ChatAccount>, ApiError> {
        Ok(chat_accounts::table
            .filter(chat_accounts::tenant_id.eq(tenant_id))
            .order(chat_accounts::id)
            .select(ChatAccount::as_select())
            .first(conn)
            .optional()?)
    }

    /// Every chat account of the tenant, oldest first.
    pub fn of_tenant(
        conn: &mut DbConnection,
        tenant_id: i64,
    ) -> Result<Vec<ChatAccount>, ApiError> {
        Ok(on_backend!(conn, |c| chat_accounts::table
            .filter(chat_accounts::tenant_id.eq(tenant_id))
            .order(chat_accounts::id)
            .select(ChatAccount::as_select())
            .load(c))?)
    }

    /// Writes the changes to the tenant's chat account (nothing to change is no error).
    pub fn update(
        conn: &mut DbConnection,
        tenant_id: i64,
        id: i64,
        changes: &ChatAccountChangeset,
    ) -> Result<(), ApiError> {
        if *changes == ChatAccountChangeset::default() {
            return Ok(());
        }
        let target = chat_accounts::table
            .filter(chat_accounts::id.eq(id))
            .filter(chat_accounts::tenant_id.eq(tenant_id));
        on_backend!(conn, |c| diesel::update(target).set(changes).execute(c))?;
        Ok(())
    }
}
