use actix_web::{web, HttpResponse};

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{KeyErrors, List};
use crate::routes::list;
use crate::services::chat_accounts::{self, ChatAccountView};

/// The tenant's chat accounts
///
/// All of them, oldest first, in one page. The signing secrets are never shown here.
///
/// Permission: `SETTINGS_CRUD`.
#[utoipa::path(
    get,
    path = "/api/v2/chatAccount",
    operation_id = "listChatAccounts",
    tag = "chatAccount",
    responses(
        (status = 200, description = "Every chat account of the tenant.",
            body = List<ChatAccountView>),
        KeyErrors,
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(Auth(auth): Auth, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::SettingsCrud)?;
    let accounts = chat_accounts::list(&db, auth.tenant_id).await?;
    let total = accounts.len() as i64;
    Ok(list(accounts, 0, total, total))
}
