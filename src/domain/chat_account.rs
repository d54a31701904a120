//! The rules every chat account's settings follow, on create and on change. Field names are
//! the API's.

use crate::domain::service_hours::ServiceHours;
use crate::error::ApiError;

/// The contact fields a chat account may require the widget to ask for.
pub const CONTACT_FIELDS: [&str; 3] = ["customerName", "emailAddress", "phoneNumber"];

/// A name people read: no control characters (a newline or an escape in a widget's title).
pub fn name_rule(name: &str) -> Result<(), validator::ValidationError> {
    if name.trim().is_empty() {
        return Err(validator::ValidationError::new("length")
            .with_message("some visible characters".into()));
    }
    match name.chars().any(char::is_control) {
        true => {
            Err(validator::ValidationError::new("pattern")
                .with_message("no control characters".into()))
        }
        false => Ok(()),
    }
}

pub fn check_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid("name", "length", "1 to 200 characters"));
    }
    name_rule(name).map_err(|_| ApiError::invalid("name", "pattern", "no control characters"))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_have_no_control_characters() {
        assert!(check_name("Website chat").is_ok());
        assert!(check_name("Café «chat»").is_ok());
        assert!(check_name("Shop\nchat").is_err());
        assert!(check_name("Shop\u{1b}[31m").is_err());
        assert!(check_name("  ").is_err());
    }
}
