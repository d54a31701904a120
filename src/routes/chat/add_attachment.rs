use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::{AddAttachmentQuery, NewAttachmentTarget};
use crate::error::ApiError;
use crate::extract::body::{read_body_parts, FileRules, MULTIPART_OVERHEAD};
use crate::extract::{read_query, ChatAuth};
use crate::openapi::answers::{FileErrors, FormErrors, Outcome, UnknownChatAccount};
use crate::routes::result;
use crate::services::attachments::{self, AttachmentOutcome};
use crate::services::events::Events;

/// `addAttachment` as `multipart/form-data`: the file part, streamed to disk.
#[derive(ToSchema)]
#[allow(dead_code)]
struct AttachmentPart {
    /// The file; its part's `filename` becomes the (sanitized) name. Other parts are ignored.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// `addAttachment` as JSON or urlencoded: the file as base64 text.
#[derive(ToSchema)]
#[allow(dead_code, non_snake_case)]
struct AttachmentBase64 {
    /// The file's bytes, base64 (standard alphabet; whitespace is ignored).
    #[schema(content_encoding = "base64", example = "aGVsbG8=")]
    file: String,
    /// The file's name (sanitized before it is stored).
    #[schema(example = "receipt.pdf")]
    fileName: Option<String>,
}

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
        FormErrors,
        FileErrors,
        (status = 404, response = UnknownChatAccount),
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
    let target: NewAttachmentTarget = read_query::<AddAttachmentQuery>(&req)?.into();
    let token = target.chat_account_token.clone();
    let (account, limit) =
        attachments::upload_limit(&db, auth.tenant_id, token, settings.attachments.max_bytes)
            .await?;
    let dir = &settings.attachments.dir;
    let rules = FileRules {
        dir,
        max_bytes: limit,
        max_files: 1,
        part: Some("file"),
        base64: true,
    };
    let body = read_body_parts(
        &req,
        payload,
        &settings.server,
        MULTIPART_OVERHEAD,
        Some(rules),
    )
    .await?;
    let Some(upload) = body.files.into_iter().next() else {
        return Err(ApiError::invalid(
            "file",
            "required",
            "a multipart file part named file",
        ));
    };
    let outcome = attachments::receive_from_customer(
        &db,
        &events,
        dir,
        account,
        target,
        upload.file,
        upload.claimed_name,
    )
    .await?;
    Ok(result("Attachment added.", outcome))
}
