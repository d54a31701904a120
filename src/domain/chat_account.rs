//! The rules every chat account's settings follow, on create and on change. Field names are
//! the API's.

use crate::domain::service_hours::ServiceHours;
use crate::error::ApiError;

/// The contact fields a chat account may require the widget to ask for.
pub const CONTACT_FIELDS: [&str; 3] = ["customerName", "emailAddress", "phoneNumber"];

pub fn check_time_zone(time_zone: &str) -> Result<(), ApiError> {
    time_zone.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
        ApiError::invalid(
            "timeZone",
            "unknown",
            format!("unknown time zone {time_zone:?}"),
        )
    })
}

/// Service hours in their normal text form.
pub fn check_service_hours(hours: &str) -> Result<String, ApiError> {
    hours
        .parse::<ServiceHours>()
        .map(|h| h.to_string())
        .map_err(|e| ApiError::invalid("serviceHours", "pattern", e))
}

pub fn check_required_fields(fields: &[String]) -> Result<(), ApiError> {
    match fields
        .iter()
        .find(|f| !CONTACT_FIELDS.contains(&f.as_str()))
    {
        Some(bad) => Err(ApiError::invalid(
            "requiredFields",
            "one_of",
            format!("{bad:?} is not one of {}", CONTACT_FIELDS.join(", ")),
        )),
        None => Ok(()),
    }
}
