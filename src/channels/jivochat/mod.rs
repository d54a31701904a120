//! JivoChat's webhooks (`POST /api/v2/jivochat/{webhookToken}`): each event, parsed, goes to
//! its service call, and the answer is in JivoChat's form — `{"result": "ok"}`, with the
//! customer's card for `chat_accepted`, or `{"result": "error: …"}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::models::chat_account::ChatAccount;
use crate::db::Db;
use crate::domain::jivochat::Webhook;
use crate::error::ApiError;
use crate::services::events::Events;
use crate::services::jivochat::{self, CustomerCard};

/// A field of `custom_data`: shown to the agent in JivoChat's information panel.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = JivoChatCustomField)]
pub struct CustomField {
    pub title: String,
    pub content: String,
}

/// The customer's name and contacts, as JivoChat shows a visitor's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = JivoChatContactInfo)]
pub struct ContactInfo {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// What JivoChat is answered: `{"result": "ok"}`, with the customer's card for
/// `chat_accepted`; `{"result": "error: …"}` when the event was not taken.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = JivoChatAnswer)]
pub struct Answer {
    /// `ok`, or `error: ` and why.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_info: Option<ContactInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<Vec<CustomField>>,
    /// The customer's tickets in the console (with `server.public_url` set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crm_link: Option<String>,
}

impl Answer {
    fn ok() -> Self {
        Answer {
            result: "ok".into(),
            contact_info: None,
            custom_data: None,
            crm_link: None,
        }
    }

    /// The customer's card: their name and contacts, their open tickets, and the link to
    /// their tickets in the console (with `server.public_url` set).
    fn card(card: CustomerCard, public_url: &str) -> Self {
        let mut fields = vec![CustomField {
            title: "omnibridge ticket".into(),
            content: format!("#{}", card.ticket_id),
        }];
        let others: Vec<String> = card
            .open_tickets
            .into_iter()
            .filter(|t| !t.starts_with(&format!("#{} ", card.ticket_id)))
            .collect();
        fields.push(CustomField {
            title: "Open tickets".into(),
            content: match others.is_empty() {
                true => "none besides this chat".into(),
                false => others.join("; "),
            },
        });
        let base = public_url.trim_end_matches('/');
        Answer {
            result: "ok".into(),
            contact_info: Some(ContactInfo {
                name: card.name,
                phone: card.phone,
                email: card.email,
            }),
            custom_data: Some(fields),
            crm_link: (!base.is_empty())
                .then(|| format!("{base}/tickets?customer={}", card.customer_id)),
        }
    }

    /// An error in JivoChat's form, with the status it would have in the API.
    pub fn error(e: &ApiError) -> HttpResponse {
        let text = match e {
            ApiError::ServiceUnavailable(_) | ApiError::Conflict => {
                "the database is unavailable, try again".to_owned()
            }
            ApiError::Internal(detail) => {
                log::error!("internal error: {detail}");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(e.status_code());
        if e.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", "1"));
        }
        response.json(Answer {
            result: format!("error: {text}"),
            ..Answer::ok()
        })
    }
}

/// Parses the body and hands the event to its service call.
pub async fn receive(
    db: &Db,
    events: &Events,
    account: ChatAccount,
    body: &[u8],
    public_url: &str,
) -> Result<Answer, ApiError> {
    let hook: Webhook = serde_json::from_slice(body)
        .map_err(|e| ApiError::MalformedBody(format!("the body is not a JivoChat event: {e}")))?;
    match hook.event_name.as_str() {
        "chat_accepted" => {
            let card = jivochat::accept(db, events, account, hook).await?;
            Ok(Answer::card(card, public_url))
        }
        "chat_assigned" | "chat_updated" => {
            jivochat::update(db, events, account, hook).await?;
            Ok(Answer::ok())
        }
        "chat_finished" => {
            jivochat::finish(db, events, account, hook).await?;
            Ok(Answer::ok())
        }
        // The reference's table calls it `offline_messages`, its example `offline_message`.
        "offline_message" | "offline_messages" => {
            jivochat::offline_message(db, events, account, hook).await?;
            Ok(Answer::ok())
        }
        "call_event" => {
            jivochat::call(db, events, account, hook).await?;
            Ok(Answer::ok())
        }
        "" => Err(ApiError::invalid(
            "event_name",
            "required",
            "the event has no event_name",
        )),
        other => {
            log::info!(
                "JivoChat event {:?} for chat account {} ignored: omnibridge does not use it",
                other.chars().take(64).collect::<String>(),
                account.id
            );
            Ok(Answer::ok())
        }
    }
}
