//! `GET /console/file/{id}`: a file of a ticket, always as an attachment to save — or, with
//! `?inline=1`, shown in the page when its bytes are an image (whatever its name claims).

use std::io::SeekFrom;

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::routes::file::send;
use crate::routes::path_id;
use crate::services::attachments;

use super::page::ConsoleError;
use super::session::Agent;

#[derive(Deserialize)]
pub struct FileQuery {
    inline: Option<String>,
}

pub async fn download(
    agent: Agent,
    id: web::Path<String>,
    query: web::Query<FileQuery>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.auth.require(Permission::TicketRead)?;
    let id = path_id(&id, "file")?;
    let (file, mut handle) =
        attachments::open(&db, &settings.attachments.dir, agent.auth.tenant_id, id).await?;
    let mut inline = false;
    if query.inline.as_deref() == Some("1") {
        let mut head = vec![0u8; 8192];
        let n = handle
            .read(&mut head)
            .await
            .map_err(|e| ApiError::Internal(format!("reading file {id}: {e}")))?;
        handle
            .seek(SeekFrom::Start(0))
            .await
            .map_err(|e| ApiError::Internal(format!("reading file {id}: {e}")))?;
        inline = infer::get(&head[..n]).is_some_and(|kind| {
            kind.matcher_type() == infer::MatcherType::Image && kind.mime_type() != "image/svg+xml"
        });
    }
    Ok(send(file, handle, inline))
}
