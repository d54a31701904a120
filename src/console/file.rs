//! `GET /console/file/{id}`: a file of a ticket, always as an attachment to save — or, with
//! `?inline=1`, shown in the page when its bytes are an image (whatever its name claims).

use std::io::SeekFrom;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::read_query;
use crate::routes::file::send;
use crate::routes::path_id;
use crate::services::attachments;

use super::page::ConsoleError;
use super::session::Agent;

#[derive(Deserialize, Validate, ToSchema)]
pub struct FileQuery {
    inline: Option<String>,
}

pub async fn download(
    agent: Agent,
    req: HttpRequest,
    id: web::Path<String>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ConsoleError> {
    agent.auth.require(Permission::TicketRead)?;
    let id = path_id(&id, "file")?;
    let query: FileQuery = read_query(&req)?;
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
    let mut answer = send(file, handle, inline);
    // A customer's file: never kept by the browser after the agent leaves, and never a
    // document that could run anything, whatever it is.
    let headers = answer.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(answer)
}
