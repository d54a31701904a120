//! The console's forms, read like the API's: through the one body reader (limits, the body
//! deadline, exact decoding, no NUL, no invalid UTF-8) and checked by their `validator` rules.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use utoipa::PartialSchema;
use validator::Validate;

use crate::config::Settings;
use crate::error::ApiError;
use crate::extract::read_form;

use super::page::ConsoleError;

/// A form that carries nothing but its CSRF token (a button that does one thing).
#[derive(serde::Deserialize, Validate, utoipa::ToSchema)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: Option<String>,
}

/// A console form, read and checked.
pub struct Form<T>(pub T);

impl<T> FromRequest for Form<T>
where
    T: DeserializeOwned + Validate + PartialSchema + 'static,
{
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = web::Payload::from_request(&req, payload);
        Box::pin(async move {
            let payload = payload
                .await
                .map_err(|e| ApiError::MalformedBody(e.to_string()))?;
            let settings = req
                .app_data::<web::Data<Settings>>()
                .cloned()
                .ok_or_else(|| ApiError::Internal("no settings in app data".into()))?;
            Ok(Form(read_form(&req, payload, &settings).await?))
        })
    }
}

/// A form's optional id field (a `<select>` whose first choice is none): empty for none; `None`
/// if the form did not send it, which leaves what it sets as it is.
pub fn optional_id(
    value: Option<&str>,
    field: &str,
    what: &str,
) -> Result<Option<Option<i64>>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.trim() {
        "" => Ok(Some(None)),
        id => id
            .parse::<i64>()
            .map(|id| Some(Some(id)))
            .map_err(|_| ApiError::invalid(field, "integer", what)),
    }
}
