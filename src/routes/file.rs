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
use crate::routes::path_id;

const CHUNK: usize = 64 * 1024;

pub async fn download(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::TicketRead)?;
    let (id, tenant) = (path_id(&id, "file")?, auth.tenant_id);
    let file = db
        .read(move |conn| Attachment::find(conn, tenant, id))
        .await?;
    let path = settings.attachments.dir.join(&file.storage_key);
    let handle = tokio::fs::File::open(&path).await.map_err(|e| {
        log::error!("attachment {id} has no bytes at {}: {e}", path.display());
        ApiError::Missing(format!("the bytes of file {id} are gone"))
    })?;
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
        disposition: DispositionType::Attachment,
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
    Ok(HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header(disposition)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .no_chunking(file.size_bytes as u64)
        .streaming(body))
}
