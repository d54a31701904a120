use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use futures_util::StreamExt;

use crate::config::Settings;
use crate::db::models::chat_account::ChatAccount;
use crate::db::Db;
use crate::domain::chat_requests::{AddAttachmentQuery, NewAttachmentTarget};
use crate::domain::form::parse;
use crate::domain::form::Fields;
use crate::error::ApiError;
use crate::extract::body::{
    body_kind, check_declared_length, json_fields, urlencoded_fields, BoundedMultipart,
};
use crate::extract::{read_body, BodyKind, ChatAuth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Outcome, PayloadTooLarge, Unauthorized, UnknownChatAccount,
    UnsupportedMediaType,
};
use crate::openapi::requests::{AttachmentBase64, AttachmentPart};
use crate::routes::result;
use crate::services::attachments::{self, AttachmentOutcome, FileSink, ReceivedFile};
use crate::services::chat_config::type_allowed;
use crate::services::events::{Event, Events};

/// Room for multipart headers and boundaries around the file itself.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// A file from the customer
///
/// The session is named in the query string; the first contact of a session creates
/// customer, ticket and session as a first message does. The file comes as a multipart part
/// named `file` (streamed to disk, never whole in memory), or as base64 text in a JSON or
/// urlencoded `file` field. It is stored with its SHA-256, its size, the content type sniffed
/// from its bytes and a sanitized name.
///
/// A file over the limit (`attachments.max_bytes`, or the chat account's smaller one) is
/// `413`; a type the chat account does not accept is `415`.
///
/// Permission: `API_CHAT`.
#[utoipa::path(
    post,
    path = "/api/v2/chat/addAttachment",
    operation_id = "addAttachment",
    tag = "chat",
    params(AddAttachmentQuery),
    request_body(content(
        (AttachmentPart = "multipart/form-data"),
        (AttachmentBase64 = "application/x-www-form-urlencoded"),
        (AttachmentBase64 = "application/json"),
    )),
    responses(
        (status = 200, description = "Stored; the message is `Attachment added.`",
            body = Outcome<AttachmentOutcome>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = UnknownChatAccount),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    ChatAuth(auth): ChatAuth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    events: web::Data<Events>,
) -> Result<HttpResponse, ApiError> {
    let query: Fields = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::MalformedBody(format!("unreadable query string: {e}")))?;
    let target: NewAttachmentTarget = parse::<AddAttachmentQuery>(query)?.into();
    let token = target.chat_account_token.clone();
    let tenant_id = auth.tenant_id;
    let account = db
        .read(move |conn| ChatAccount::find_by_token(conn, tenant_id, &token))
        .await?;
    let limit = settings
        .attachments
        .max_bytes
        .min(account.attachment_max_bytes.max(0) as u64);
    let dir = settings.attachments.dir.clone();

    let (received, claimed_name) = receive(&req, payload, &dir, limit).await?;
    if !type_allowed(&account.attachment_types, &received.content_type) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "attachments of type {} are not accepted by this chat account (allowed: {})",
            received.content_type, account.attachment_types
        )));
    }
    let file_name = attachments::sanitize_name(claimed_name.as_deref(), &received.content_type);
    let session_id = target.chat_session_id.clone();
    let outcome = attachments::store(&db, &dir, account, target, received, file_name).await?;
    events.publish(Event::new(
        tenant_id,
        "attachment",
        serde_json::json!({
            "ticketID": outcome.ticket_id, "chatSessionID": session_id,
            "attachmentID": outcome.attachment_id, "fileName": outcome.file_name,
            "contentType": outcome.content_type, "size": outcome.size,
        }),
    ));
    Ok(result("Attachment added.", outcome))
}

/// The `file` of the body: a multipart file part streamed to disk, or base64 text in a JSON
/// or urlencoded body (bounded in memory by the base64 size of the limit).
async fn receive(
    req: &HttpRequest,
    payload: web::Payload,
    dir: &std::path::Path,
    limit: u64,
) -> Result<(ReceivedFile, Option<String>), ApiError> {
    let missing =
        || ApiError::validation("file", "required", Some("a multipart file part named file"));
    match body_kind(req)? {
        BodyKind::Multipart => {
            check_declared_length(req, limit + MULTIPART_OVERHEAD)?;
            let mut body = BoundedMultipart::new(req, payload, limit + MULTIPART_OVERHEAD);
            let mut received = None;
            while let Some(mut part) = body.next_part().await? {
                if part.name() != Some("file") || received.is_some() {
                    // Other parts are read past (the raw limit bounds them).
                    while let Some(chunk) = part.next().await {
                        chunk.map_err(|e| body.error(e))?;
                    }
                    continue;
                }
                let claimed = part
                    .content_disposition()
                    .and_then(|cd| cd.get_filename().map(str::to_owned));
                let mut sink = FileSink::create(dir, limit).await?;
                while let Some(chunk) = part.next().await {
                    sink.write(&chunk.map_err(|e| body.error(e))?).await?;
                }
                received = Some((sink.finish().await?, claimed));
            }
            received.ok_or_else(missing)
        }
        kind @ (BodyKind::Json | BodyKind::UrlEncoded) => {
            let encoded_limit = limit.div_ceil(3) * 4 + MULTIPART_OVERHEAD;
            check_declared_length(req, encoded_limit)?;
            let body = read_body(payload, encoded_limit).await?;
            let mut fields = if kind == BodyKind::Json {
                json_fields(&body)?
            } else {
                urlencoded_fields(&body)?
            };
            let encoded = fields
                .remove("file")
                .filter(|f| !f.is_empty())
                .ok_or_else(missing)?;
            let compact: String = encoded.split_ascii_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map_err(|_| {
                    ApiError::validation("file", "base64", Some("base64-encoded bytes"))
                })?;
            let mut sink = FileSink::create(dir, limit).await?;
            sink.write(&bytes).await?;
            Ok((sink.finish().await?, fields.remove("fileName")))
        }
        BodyKind::Empty => Err(missing()),
    }
}
