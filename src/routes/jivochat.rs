//! `POST /api/v2/jivochat/{webhookToken}`: JivoChat's webhooks. JivoChat signs nothing, so
//! the token in the path is the credential (see `ChatAccount::find_by_webhook_token`); the
//! access log leaves it out.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::channels::jivochat::{receive, Answer};
use crate::config::Settings;
use crate::db::models::chat_account::ChatAccount;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::body::read_raw_body;
use crate::services::events::Events;

pub const PATH_PREFIX: &str = "/api/v2/jivochat/";

/// Receive a JivoChat webhook
///
/// Point JivoChat's webhook at `{server.public_url}/api/v2/jivochat/{webhookToken}` (the
/// chat account's `webhookToken`). Events: `chat_accepted` (answered with what omnibridge
/// knows of the customer: `contact_info`, `custom_data`, `crm_link`), `chat_assigned`,
/// `chat_updated`, `chat_finished`, `offline_message`, `call_event`; others are answered
/// `{"result": "ok"}` and logged. The same event twice changes nothing the second time.
/// Errors are in JivoChat's form: `{"result": "error: …"}`.
#[utoipa::path(
    post,
    path = "/api/v2/jivochat/{webhookToken}",
    operation_id = "receiveJivoChatWebhook",
    tag = "jivochat",
    params(("webhookToken" = String, Path, description = "The chat account's webhookToken.")),
    request_body(content = Object, content_type = "application/json",
        description = "A JivoChat webhook event."),
    responses(
        (status = 200, description = "Stored: `{\"result\": \"ok\"}` (with the customer's card \
            for `chat_accepted`).", body = Answer),
        (status = 400, description = "Not a JivoChat event: `{\"result\": \"error: …\"}`.",
            body = Answer),
        (status = 404, description = "No chat account has this webhook token.", body = Answer),
        (status = 413, description = "Larger than `server.max_body_bytes`.", body = Answer),
    ),
)]
pub async fn handle(
    req: HttpRequest,
    token: web::Path<String>,
    payload: web::Payload,
    db: web::Data<Db>,
    events: web::Data<Events>,
    settings: web::Data<Settings>,
) -> HttpResponse {
    let answer = async {
        let token = token.into_inner();
        let account = db
            .read(move |conn| ChatAccount::find_by_webhook_token(conn, &token))
            .await?
            .ok_or_else(|| ApiError::Missing("no chat account has this webhook token".into()))?;
        let limit = settings.server.max_body_bytes;
        let body = read_raw_body(&req, payload, &settings.server, limit).await?;
        receive(&db, &events, account, &body, &settings.server.public_url).await
    }
    .await;
    match answer {
        Ok(answer) => HttpResponse::Ok().json(answer),
        Err(e) => Answer::error(&e),
    }
}
