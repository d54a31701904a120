//! What a ticket's status, priority and channel are.

use serde::Serialize;
use utoipa::ToSchema;
use validator::ValidationError;

/// Every status, in the order a ticket usually goes through them.
pub const STATUSES: [&str; 5] = ["new", "open", "pending", "solved", "closed"];
/// Every priority, lowest first.
pub const PRIORITIES: [&str; 4] = ["low", "medium", "high", "urgent"];

/// A ticket's status (stored and answered as its lowercase name, one of [`STATUSES`]).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Open,
    Pending,
    Solved,
    Closed,
}

/// A ticket's priority (stored and answered as its lowercase name, one of [`PRIORITIES`]).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

fn one_of(value: &str, options: &[&str]) -> Result<(), ValidationError> {
    if options.contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::new("one_of")
            .with_message(format!("one of {}", options.join(", ")).into()))
    }
}

/// A rule for request fields: one of [`STATUSES`].
pub fn status_rule(value: &str) -> Result<(), ValidationError> {
    one_of(value, &STATUSES)
}

/// A rule for request fields: one of [`PRIORITIES`].
pub fn priority_rule(value: &str) -> Result<(), ValidationError> {
    one_of(value, &PRIORITIES)
}

/// Omnidesk's channel ids: 1 is e-mail, 8 live chat; anything else is kept as given.
pub const CHANNEL_EMAIL: i32 = 1;
pub const CHANNEL_CHAT: i32 = 8;

pub fn channel_name(channel_id: i32) -> &'static str {
    match channel_id {
        CHANNEL_EMAIL => "email",
        CHANNEL_CHAT => "chat",
        _ => "other",
    }
}

/// A ticket holds at most this many tags.
pub const MAX_TAGS: u64 = 50;

/// Each tag is at most 64 characters (the count is `MAX_TAGS`, checked beside it).
pub fn tags_rule(tags: &[String]) -> Result<(), validator::ValidationError> {
    match tags.iter().any(|t| t.chars().count() > 64) {
        true => Err(validator::ValidationError::new("length")
            .with_message("at most 50 tags of 64 characters".into())),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<T: Serialize>(values: &[T]) -> Vec<String> {
        values
            .iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn the_enums_name_exactly_the_constants() {
        use Priority::*;
        use Status::*;
        assert_eq!(names(&[New, Open, Pending, Solved, Closed]), STATUSES);
        assert_eq!(names(&[Low, Medium, High, Urgent]), PRIORITIES);
    }
}
