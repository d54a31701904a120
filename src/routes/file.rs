//! `GET /api/v2/file/{id}`: an attachment's bytes, streamed from disk.

use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{web, HttpResponse};
use futures_util::stream;
use tokio::io::AsyncReadExt;

use crate::config::Settings;
use crate::db::models::attachment::Attachment;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::openapi::answers::{KeyErrors, NotFound};
use crate::routes::path_id;
use crate::services::attachments;

/// A file's bytes.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
struct FileBytes(Vec<u8>);

const CHUNK: usize = 64 * 1024;

/// An attachment's bytes
///
/// Streamed, with the stored content type, `Content-Disposition: attachment` with the
/// sanitized name, and `X-Content-Type-Options: nosniff`.
///
/// Permission: `TICKET_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/file/{id}",
    operation_id = "downloadFile",
    tag = "file",
    params(
        ("id" = i64, Path, minimum = 1, description = "The attachment's id."),
    ),
    responses(
        (status = 200, description = "The file, in its stored content type.",
            content_type = "*/*", body = inline(FileBytes),
            headers(
                ("Content-Disposition" = String,
                    description = "`attachment` with the file's sanitized name"),
                ("X-Content-Type-Options" = String, description = "`nosniff`"),
            )),
        KeyErrors,
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
pub async fn download(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let id = path_id(&id, "file")?;
    let (file, handle) =
        attachments::open(&db, &settings.attachments.dir, auth.tenant_id, id).await?;
    Ok(send(file, handle, false))
}

/// A stored file's bytes, streamed: as an attachment to save (`inline` only for what the
/// caller has checked is safe to show, such as an image), never sniffed by the browser.
pub fn send(file: Attachment, handle: tokio::fs::File, inline: bool) -> HttpResponse {
    let body = stream::unfold(handle, |mut handle| async move {
        let mut buf = vec![0u8; CHUNK];
        match handle.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(web::Bytes::from(buf)), handle))
            }
            Err(e) => Some((Err(e), handle)),
        }
    });
    let disposition = ContentDisposition {
        disposition: if inline {
            DispositionType::Inline
        } else {
            DispositionType::Attachment
        },
        parameters: vec![
            DispositionParam::Filename(
                file.file_name
                    .replace(|c: char| !c.is_ascii() || c == '"', "_"),
            ),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: file.file_name.clone().into_bytes(),
            }),
        ],
    };
    HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header(disposition)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .no_chunking(file.size_bytes as u64)
        .streaming(body)
}
