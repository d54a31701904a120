use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::chat_requests::NotifyUserNewChatEventForm;
use crate::domain::form::parse;
use crate::error::ApiError;
use crate::extract::{read_fields, ChatAuth};
use crate::openapi::answers::{
    BadRequest, EventRecorded, Forbidden, Outcome, PayloadTooLarge, Unauthorized,
    UnknownChatSession, UnsupportedMediaType,
};
use crate::routes::result;
use crate::services::chat;
use crate::services::events::{Event, Events};

/// Something the customer did in the chat
///
/// `startedtyping`, `stoppedtyping`, `expandedchat` or `minimizedchat`, recorded on the
/// session (its typing state and time) and on the ticket's timeline.
///
/// Permission: `API_CHAT`.
#[utoipa::path(
    post,
    path = "/api/v2/chat/notifyUserNewChatEvent",
    operation_id = "notifyUserNewChatEvent",
    tag = "chat",
    request_body(content(
        (NotifyUserNewChatEventForm = "multipart/form-data"),
        (NotifyUserNewChatEventForm = "application/x-www-form-urlencoded"),
        (NotifyUserNewChatEventForm = "application/json"),
    )),
    responses(
        (status = 200, description = "Recorded; the message is `Event recorded.`",
            body = Outcome<EventRecorded>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = UnknownChatSession),
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
    let fields = read_fields(&req, payload, settings.server.max_body_bytes).await?;
    let (session, event) = parse::<NotifyUserNewChatEventForm>(fields)?.into_parts();
    let session_id = session.chat_session_id.clone();
    let ticket_id = chat::record_event(&db, auth.tenant_id, session, event.clone()).await?;
    if event == "startedtyping" || event == "stoppedtyping" {
        events.publish(Event::new(
            auth.tenant_id,
            "typing",
            json!({"ticketID": ticket_id, "chatSessionID": session_id, "event": event}),
        ));
    }
    Ok(result(
        "Event recorded.",
        json!({"ticketID": ticket_id, "event": event}),
    ))
}
