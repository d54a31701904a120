use actix_web::{web, HttpResponse};

use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{Item, KeyErrors, NotFound};
use crate::routes::{item, path_id};
use crate::services::chat_accounts::{self, ChatAccountView};

/// One chat account's settings
///
/// Permission: `SETTINGS_CRUD`.
#[utoipa::path(
    get,
    path = "/api/v2/chatAccount/{id}",
    operation_id = "getChatAccount",
    tag = "chatAccount",
    params(("id" = i64, Path, minimum = 1, description = "The chat account's id.")),
    responses(
        (status = 200, description = "Its settings.", body = Item<ChatAccountView>),
        KeyErrors,
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::SettingsCrud)?;
    let id = path_id(&id, "chat account")?;
    Ok(item(chat_accounts::get(&db, auth.tenant_id, id).await?))
}
