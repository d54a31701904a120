use actix_web::{web, HttpRequest, HttpResponse};

use crate::channels::email::parse::parse;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::permission::Permission;
use crate::error::ApiError;
use crate::extract::body::read_raw_body;
use crate::extract::Auth;
use crate::openapi::answers::{FormErrors, Item};
use crate::routes::item;
use crate::services::events::Events;
use crate::services::inbound_mail::{receive, InboundOutcome, Mailroom};
use crate::services::mail::own_address;

/// Receive an e-mail
///
/// The raw message (`Content-Type: message/rfc822`), as a mail relay hands it over: a Postfix
/// pipe, a provider's inbound webhook. It lands on the ticket whose mail it answers
/// (`In-Reply-To`/`References`), else on the ticket its subject names (`[#42]`, when the
/// sender is that ticket's customer), else on a new e-mail ticket for the sender. An
/// auto-reply is stored without telling anyone; a delivery status notification marks the
/// mail it bounces `failed`; mail from `mail.from` itself is dropped. The same `Message-ID`
/// twice changes nothing the second time. `200` means it is stored; a message larger than
/// `mail.inbound_max_bytes` is `413`, a body that is not `message/rfc822` `415`.
///
/// Permission: `API_EMAIL`.
#[utoipa::path(
    post,
    path = "/api/v2/email/inbound",
    operation_id = "receiveEmail",
    tag = "email",
    request_body(content = String, content_type = "message/rfc822",
        description = "The message as RFC 5322 bytes."),
    responses(
        (status = 200, description = "Stored (or received before: `duplicate`).",
            body = Item<InboundOutcome>),
        FormErrors,
    ),
    security(("apiKey" = [])),
)]
pub async fn handle(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    events: web::Data<Events>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::ApiEmail)?;
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("message/rfc822") {
        return Err(ApiError::UnsupportedMediaType(
            "the body is the raw message, sent as message/rfc822".into(),
        ));
    }
    let raw = read_raw_body(
        &req,
        payload,
        &settings.server,
        settings.mail.inbound_max_bytes,
    )
    .await?;
    let mail = web::block(move || parse(&raw)).await??;
    let room = Mailroom {
        tenant_id: auth.tenant_id,
        any_tenant: false,
        own_address: &own_address(&settings.mail),
        files_dir: &settings.attachments.dir,
    };
    Ok(item(receive(&db, &events, &room, mail).await?))
}
