//! A request's text fields from `multipart/form-data`, `application/x-www-form-urlencoded`
//! or `application/json` alike, never reading more than the limit.

use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{web, HttpRequest};
use std::cell::{Cell, RefCell};
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;

use crate::config::ServerSettings;
use crate::domain::form::{take, Fields};
use crate::error::ApiError;
use crate::services::attachments::{FileSink, ReceivedFile};

/// Most text fields a multipart body may carry (hostile bodies send thousands).
pub const MAX_MULTIPART_FIELDS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Multipart,
    UrlEncoded,
    Json,
    Empty,
}

pub fn body_kind(req: &HttpRequest) -> Result<BodyKind, ApiError> {
    let content_type = match req.headers().get(header::CONTENT_TYPE) {
        Some(value) => value
            .to_str()
            .map_err(|_| ApiError::UnsupportedMediaType("unreadable Content-Type".into()))?,
        None if declared_length(req.headers()) == Some(0)
            || declared_length(req.headers()).is_none() =>
        {
            return Ok(BodyKind::Empty)
        }
        None => "",
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "multipart/form-data" => Ok(BodyKind::Multipart),
        "application/x-www-form-urlencoded" => Ok(BodyKind::UrlEncoded),
        "application/json" => Ok(BodyKind::Json),
        _ => Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type {content_type:?} is not accepted; send multipart/form-data, \
             application/x-www-form-urlencoded or application/json"
        ))),
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Refuses a body whose declared length is over the limit before reading any of it.
pub fn check_declared_length(req: &HttpRequest, limit: u64) -> Result<(), ApiError> {
    match declared_length(req.headers()) {
        Some(len) if len > limit => Err(ApiError::PayloadTooLarge(limit)),
        _ => Ok(()),
    }
}

/// Reads the whole body, but never more than `limit` bytes.
pub async fn read_body(mut payload: web::Payload, limit: u64) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::MalformedBody(format!("unreadable body: {e}")))?;
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Turns a JSON object's values into the text a form would have carried.
pub fn json_fields(body: &[u8]) -> Result<Fields, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::MalformedBody(format!("invalid JSON: {e}")))?;
    let serde_json::Value::Object(object) = value else {
        return Err(ApiError::MalformedBody(
            "the JSON body must be an object".into(),
        ));
    };
    Ok(object
        .into_iter()
        .filter_map(|(key, value)| {
            let text = match value {
                serde_json::Value::Null => return None,
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(b) => b.to_string(),
                other => other.to_string(),
            };
            Some((key, text))
        })
        .collect())
}

pub fn urlencoded_fields(body: &[u8]) -> Result<Fields, ApiError> {
    // serde_urlencoded would put U+FFFD where bytes are no UTF-8: such a body is refused, as
    // multipart and JSON refuse it.
    let text = |raw: &[u8], what: &str| -> Result<String, ApiError> {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
        String::from_utf8(bytes)
            .map_err(|_| ApiError::MalformedBody(format!("urlencoded {what} is not UTF-8 text")))
    };
    let mut fields = Fields::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let mut parts = pair.splitn(2, |b| *b == b'=');
        let name = text(parts.next().unwrap_or_default(), "field name")?;
        let value = text(parts.next().unwrap_or_default(), &format!("field {name:?}"))?;
        fields.push((name, value));
    }
    Ok(fields)
}

/// What a body may carry besides text fields: files, streamed to disk as they arrive.
pub struct FileRules<'a> {
    /// Where files are received (under its `tmp/`).
    pub dir: &'a Path,
    /// Each file at most.
    pub max_bytes: u64,
    /// Files on one request at most; one more is `400` (`too_many`).
    pub max_files: usize,
    /// Only the first part of this name is a file (with a file name or not), and every other
    /// part is read past; `None`: every part with a file name is a file, the others fields.
    pub part: Option<&'a str>,
    /// A JSON or urlencoded body may carry that one file as base64 text in the field `part`,
    /// its name in `fileName`.
    pub base64: bool,
}

/// A file part received whole.
pub struct UploadedFile {
    /// The part's name.
    pub field: String,
    pub file: ReceivedFile,
    /// The file name the client gave, not to be trusted.
    pub claimed_name: Option<String>,
}

/// A request's fields and files.
#[derive(Default)]
pub struct Body {
    pub fields: Fields,
    pub files: Vec<UploadedFile>,
}

/// Room for multipart headers and boundaries around the fields and files.
pub const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// The one reader of request bodies: the text fields of a multipart, urlencoded or JSON body
/// (at most `text_limit` bytes of them; a body other than multipart at most that in all),
/// and, by `files`, the multipart file parts streamed to disk; all of it within its deadline
/// (else `408`): `server.body_timeout_seconds`, plus a second for every 64 KiB the body
/// declares (or, undeclared, may have), so an upload as slow as 512 kbit/s still arrives
/// while a body that stops arriving is let go. `0` turns the deadline off.
pub async fn read_body_parts(
    req: &HttpRequest,
    payload: web::Payload,
    server: &ServerSettings,
    text_limit: u64,
    files: Option<FileRules<'_>>,
) -> Result<Body, ApiError> {
    if server.body_timeout_seconds == 0 {
        return read_within(req, payload, text_limit, files).await;
    }
    let most = text_limit
        .saturating_add(files.as_ref().map_or(0, |f| {
            f.max_bytes.saturating_mul(f.max_files as u64) / 3 * 4
        }))
        .saturating_add(MULTIPART_OVERHEAD);
    let expected = declared_length(req.headers()).unwrap_or(most).min(most);
    let deadline = Duration::from_secs(
        server
            .body_timeout_seconds
            .saturating_add(expected / SLOWEST_BYTES_PER_SECOND),
    );
    tokio::time::timeout(deadline, read_within(req, payload, text_limit, files))
        .await
        .map_err(|_| ApiError::RequestTimeout(deadline.as_secs()))?
}

/// A body taken whole as bytes (a raw mail, a webhook's JSON): at most `limit` bytes (`413`,
/// also when its declared length says so before it is read), within the same deadline as
/// every body (`408`).
pub async fn read_raw_body(
    req: &HttpRequest,
    payload: web::Payload,
    server: &ServerSettings,
    limit: u64,
) -> Result<web::BytesMut, ApiError> {
    check_declared_length(req, limit)?;
    if server.body_timeout_seconds == 0 {
        return read_body(payload, limit).await;
    }
    let expected = declared_length(req.headers()).unwrap_or(limit).min(limit);
    let deadline = Duration::from_secs(
        server
            .body_timeout_seconds
            .saturating_add(expected / SLOWEST_BYTES_PER_SECOND),
    );
    tokio::time::timeout(deadline, read_body(payload, limit))
        .await
        .map_err(|_| ApiError::RequestTimeout(deadline.as_secs()))?
}

/// The slowest upload a body's deadline allows for: 64 KiB/s (512 kbit/s).
const SLOWEST_BYTES_PER_SECOND: u64 = 64 * 1024;

async fn read_within(
    req: &HttpRequest,
    payload: web::Payload,
    text_limit: u64,
    files: Option<FileRules<'_>>,
) -> Result<Body, ApiError> {
    let kind = body_kind(req)?;
    if kind != BodyKind::Multipart {
        let base64 = files.as_ref().filter(|f| f.base64 && f.max_files > 0);
        // Base64 takes four bytes for three.
        let limit = match base64 {
            Some(f) => text_limit.saturating_add(f.max_bytes.div_ceil(3) * 4),
            None => text_limit,
        };
        check_declared_length(req, limit)?;
        let body = read_body(payload, limit).await?;
        let mut fields = match kind {
            BodyKind::Json => json_fields(&body)?,
            BodyKind::UrlEncoded => urlencoded_fields(&body)?,
            _ => Fields::new(),
        };
        let mut files = Vec::new();
        if let Some(rules) = base64 {
            let field = rules.part.unwrap_or("file");
            if let Some(encoded) = take(&mut fields, field).filter(|f| !f.is_empty()) {
                files.push(UploadedFile {
                    field: field.to_owned(),
                    file: decode_file(&encoded, field, rules).await?,
                    claimed_name: take(&mut fields, "fileName"),
                });
            }
        }
        return Ok(Body { fields, files });
    }
    // The raw bytes: the text, the files, and (with files) room for their part headers.
    let limit = match &files {
        None => text_limit,
        Some(f) => text_limit
            .saturating_add(f.max_bytes.saturating_mul(f.max_files as u64))
            .saturating_add(MULTIPART_OVERHEAD),
    };
    check_declared_length(req, limit)?;
    let mut multipart = BoundedMultipart::new(req, payload, limit);
    let (mut body, mut parts, mut text_bytes) = (Body::default(), 0, 0);
    while let Some(mut part) = multipart.next_part().await? {
        parts += 1;
        if parts > MAX_MULTIPART_FIELDS {
            return Err(ApiError::MalformedBody(format!(
                "more than {MAX_MULTIPART_FIELDS} multipart parts"
            )));
        }
        let name = part.name().unwrap_or_default().to_owned();
        let claimed_name = part
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(str::to_owned));
        let is_file = match files.as_ref().and_then(|f| f.part) {
            Some(only) => name == only,
            // `filename=""` is a browser's file input with no file chosen: read past it.
            None => claimed_name.as_deref().is_some_and(|n| !n.is_empty()),
        };
        match files.as_ref().filter(|_| is_file) {
            Some(rules) if rules.part.is_some() && !body.files.is_empty() => {}
            // A body of one named file part: every other part is read past.
            None if files.as_ref().is_some_and(|f| f.part.is_some()) => {}
            Some(rules) => {
                if body.files.len() == rules.max_files {
                    return Err(ApiError::invalid(
                        &name,
                        "too_many",
                        format!("at most {} files", rules.max_files),
                    ));
                }
                let mut sink = FileSink::create(rules.dir, rules.max_bytes).await?;
                while let Some(chunk) = part.next().await {
                    sink.write(&chunk.map_err(|e| multipart.error(e))?).await?;
                }
                body.files.push(UploadedFile {
                    field: name,
                    file: sink.finish().await?,
                    claimed_name,
                });
                continue;
            }
            None if claimed_name.is_some() || name.is_empty() => {}
            None => {
                let mut value = Vec::new();
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(|e| multipart.error(e))?;
                    text_bytes += chunk.len() as u64;
                    if text_bytes > text_limit {
                        return Err(ApiError::PayloadTooLarge(text_limit));
                    }
                    value.extend_from_slice(&chunk);
                }
                let value = String::from_utf8(value).map_err(|_| {
                    ApiError::MalformedBody(format!("multipart field {name:?} is not UTF-8 text"))
                })?;
                body.fields.push((name, value));
                continue;
            }
        }
        // A part nobody reads: read past (the raw limit bounds it).
        while let Some(chunk) = part.next().await {
            chunk.map_err(|e| multipart.error(e))?;
        }
    }
    Ok(body)
}

/// A file sent as base64 text (standard alphabet; whitespace is ignored).
async fn decode_file(
    encoded: &str,
    field: &str,
    rules: &FileRules<'_>,
) -> Result<ReceivedFile, ApiError> {
    let compact: String = encoded.split_ascii_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| ApiError::invalid(field, "base64", "base64-encoded bytes"))?;
    let mut sink = FileSink::create(rules.dir, rules.max_bytes).await?;
    sink.write(&bytes).await?;
    sink.finish().await
}

/// A multipart body read under a limit on its raw bytes, part headers and preamble included
/// (actix-multipart buffers those whole, so counting only field contents is not enough).
pub struct BoundedMultipart {
    multipart: actix_multipart::Multipart,
    head: Rc<RefCell<Vec<u8>>>,
    overflowed: Rc<Cell<bool>>,
    boundary: Option<String>,
    limit: u64,
    parts: usize,
}

impl BoundedMultipart {
    pub fn new(req: &HttpRequest, payload: web::Payload, limit: u64) -> BoundedMultipart {
        let head = Rc::new(RefCell::new(Vec::new()));
        let overflowed = Rc::new(Cell::new(false));
        let (seen, over) = (head.clone(), overflowed.clone());
        let mut total: u64 = 0;
        let payload = payload.map(move |chunk| {
            let bytes = chunk?;
            total += bytes.len() as u64;
            if total > limit {
                over.set(true);
                return Err(PayloadError::Overflow);
            }
            let mut seen = seen.borrow_mut();
            let room = EMPTY_MULTIPART_PEEK.saturating_sub(seen.len());
            seen.extend_from_slice(&bytes[..room.min(bytes.len())]);
            Ok(bytes)
        });
        let boundary = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|ct| {
                ct.split(';')
                    .find_map(|p| p.trim().strip_prefix("boundary="))
            })
            .map(|b| b.trim_matches('"').to_owned());
        BoundedMultipart {
            multipart: actix_multipart::Multipart::new(req.headers(), payload),
            head,
            overflowed,
            boundary,
            limit,
            parts: 0,
        }
    }

    /// The next part; `None` at the end, also for a valid empty form (no bytes at all, or
    /// only `--boundary--`), which actix-multipart reports as incomplete.
    pub async fn next_part(&mut self) -> Result<Option<actix_multipart::Field>, ApiError> {
        match self.multipart.next().await {
            None => Ok(None),
            Some(Ok(part)) => {
                self.parts += 1;
                Ok(Some(part))
            }
            Some(Err(_)) if self.parts == 0 && !self.overflowed.get() && self.is_empty_form() => {
                Ok(None)
            }
            Some(Err(e)) => Err(self.error(e)),
        }
    }

    pub fn error(&self, err: actix_multipart::MultipartError) -> ApiError {
        if self.overflowed.get() {
            ApiError::PayloadTooLarge(self.limit)
        } else {
            multipart_error(err)
        }
    }

    fn is_empty_form(&self) -> bool {
        let head = self.head.borrow();
        let head = head.trim_ascii();
        head.is_empty()
            || self
                .boundary
                .as_ref()
                .is_some_and(|b| !b.is_empty() && head == format!("--{b}--").as_bytes())
    }
}

const EMPTY_MULTIPART_PEEK: usize = 128;

pub fn multipart_error(err: actix_multipart::MultipartError) -> ApiError {
    ApiError::MalformedBody(format!("broken multipart body: {err}"))
}
