//! Views: saved ticket filters. A condition is `{field, operator, value}`; a view's
//! conditions must all hold. Parsing names the failing condition, so a bad view is a `400`
//! that says which condition and why.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::ticket::{PRIORITIES, STATUSES};
use crate::error::{ApiError, FieldErrors};

pub const CHAT_STATES: [&str; 3] = ["waiting", "active", "ended"];
pub const FIELDS: [&str; 9] = [
    "status",
    "priority",
    "channel_id",
    "assigned_user_id",
    "assigned_group_id",
    "tags",
    "chat_state",
    "created_at",
    "last_update",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Condition {
    /// `status`, `priority`, `chat_state`, `channel_id`, `assigned_user_id`,
    /// `assigned_group_id`, `tags`, `created_at` or `last_update`.
    #[schema(example = "chat_state")]
    pub field: String,
    /// `is`, `is_not`, `in`, `not_in` (status, priority, chat_state, channel_id);
    /// `is`, `is_not`, `is_set`, `is_not_set` (assigned_user_id, and assigned_group_id, which
    /// also takes `mine`: any group of the key's agent); `has`, `has_not` (tags);
    /// `newer_than`, `older_than` (created_at, last_update).
    #[schema(example = "is")]
    pub operator: String,
    /// One value or a list; a user id or `"me"` (the key's agent); a tag; a relative time
    /// such as `-30m`, `-24h`, `7d`, `2w`. None for `is_set` and `is_not_set`.
    #[serde(default)]
    #[schema(example = "waiting")]
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Who {
    Me,
    User(i64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeField {
    Created,
    LastUpdate,
}

/// One parsed condition, ready to become SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Status {
        negate: bool,
        values: Vec<String>,
    },
    Priority {
        negate: bool,
        values: Vec<String>,
    },
    Channel {
        negate: bool,
        values: Vec<i32>,
    },
    AssignedTo {
        negate: bool,
        who: Who,
    },
    Assigned(bool),
    /// In (or not in) this group.
    InGroup {
        negate: bool,
        group_id: i64,
    },
    /// In any group at all, or in none.
    Grouped(bool),
    /// In any group of this agent (`mine`).
    InGroupsOf(Who),
    Tag {
        negate: bool,
        tag: String,
    },
    ChatState {
        negate: bool,
        values: Vec<String>,
    },
    /// `newer`: at or after `now - ago_ms`; else before it.
    Time {
        field: TimeField,
        newer: bool,
        ago_ms: i64,
    },
    /// Full text: every term (a prefix) in the title, a message, or the customer's contact.
    Text {
        terms: Vec<String>,
    },
    /// The tickets of one customer (the console's customer panel; no view condition).
    Customer(i64),
    /// Tickets among these (a search's matches, when they are few, looked up first).
    Ids(Vec<i64>),
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    LastUpdate,
    CreatedAt,
    Id,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sort {
    pub field: SortField,
    pub direction: Direction,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            field: SortField::LastUpdate,
            direction: Direction::Desc,
        }
    }
}

impl Sort {
    /// `{"field": "created_at", "direction": "asc"}` or `created_at asc`.
    pub fn parse(text: &str) -> Result<Sort, ApiError> {
        let bad = || {
            ApiError::validation(
                "sort",
                "invalid",
                Some("field last_update, created_at or id, direction asc or desc"),
            )
        };
        if text.trim_start().starts_with('{') {
            return serde_json::from_str(text).map_err(|_| bad());
        }
        let mut parts = text.split_whitespace();
        let field = match parts.next() {
            Some("last_update") => SortField::LastUpdate,
            Some("created_at") => SortField::CreatedAt,
            Some("id") => SortField::Id,
            _ => return Err(bad()),
        };
        let direction = match parts.next() {
            None | Some("desc") => Direction::Desc,
            Some("asc") => Direction::Asc,
            _ => return Err(bad()),
        };
        Ok(Sort { field, direction })
    }
}

/// `-24h`, `24h`, `30m`, `7d`, `2w`: how long ago, in milliseconds.
fn duration_ms(value: &Value) -> Option<i64> {
    let text = value.as_str()?.trim().trim_start_matches('-');
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = number.parse().ok()?;
    let unit_ms = match unit {
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        _ => return None,
    };
    n.checked_mul(unit_ms).filter(|ms| *ms > 0)
}

fn strings(value: &Value, allowed: &[&str]) -> Option<Vec<String>> {
    let items: Vec<String> = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()?,
        _ => return None,
    };
    (!items.is_empty() && items.iter().all(|i| allowed.contains(&i.as_str()))).then_some(items)
}

fn numbers(value: &Value) -> Option<Vec<i32>> {
    let one = |v: &Value| -> Option<i32> {
        match v {
            Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    };
    let items: Vec<i32> = match value {
        Value::Array(items) => items.iter().map(one).collect::<Option<_>>()?,
        other => vec![one(other)?],
    };
    (!items.is_empty() && items.iter().all(|n| *n >= 1)).then_some(items)
}

fn who(value: &Value) -> Option<Who> {
    match value {
        Value::String(s) if s == "me" => Some(Who::Me),
        Value::String(s) => s.parse().ok().filter(|n| *n >= 1).map(Who::User),
        Value::Number(n) => n.as_i64().filter(|n| *n >= 1).map(Who::User),
        _ => None,
    }
}

/// Which operators each field takes, for the error that names a wrong one.
fn operators(field: &str) -> &'static [&'static str] {
    match field {
        "status" | "priority" | "channel_id" | "chat_state" => &["is", "is_not", "in", "not_in"],
        "assigned_user_id" => &["is", "is_not", "is_set", "is_not_set"],
        "assigned_group_id" => &["is", "is_not", "is_set", "is_not_set", "mine"],
        "tags" => &["has", "has_not"],
        _ => &["newer_than", "older_than"],
    }
}

fn parse_one(c: &Condition) -> Result<Filter, (&'static str, String)> {
    if !FIELDS.contains(&c.field.as_str()) {
        return Err((
            "unknown_field",
            format!("field {:?} is not one of {}", c.field, FIELDS.join(", ")),
        ));
    }
    let ops = operators(&c.field);
    if !ops.contains(&c.operator.as_str()) {
        return Err((
            "unknown_operator",
            format!(
                "operator {:?} does not apply to {}; use {}",
                c.operator,
                c.field,
                ops.join(", ")
            ),
        ));
    }
    let negate = matches!(c.operator.as_str(), "is_not" | "not_in" | "has_not");
    let bad_value = |expected: &str| ("invalid_value", format!("{} needs {expected}", c.field));
    Ok(match c.field.as_str() {
        "status" => Filter::Status {
            negate,
            values: strings(&c.value, &STATUSES).ok_or_else(|| bad_value("statuses"))?,
        },
        "priority" => Filter::Priority {
            negate,
            values: strings(&c.value, &PRIORITIES).ok_or_else(|| bad_value("priorities"))?,
        },
        "chat_state" => Filter::ChatState {
            negate,
            values: strings(&c.value, &CHAT_STATES)
                .ok_or_else(|| bad_value("waiting, active or ended"))?,
        },
        "channel_id" => Filter::Channel {
            negate,
            values: numbers(&c.value).ok_or_else(|| bad_value("channel numbers"))?,
        },
        "assigned_user_id" => match c.operator.as_str() {
            "is_set" => Filter::Assigned(true),
            "is_not_set" => Filter::Assigned(false),
            _ => Filter::AssignedTo {
                negate,
                who: who(&c.value).ok_or_else(|| bad_value("a user id or \"me\""))?,
            },
        },
        "assigned_group_id" => match c.operator.as_str() {
            "is_set" => Filter::Grouped(true),
            "is_not_set" => Filter::Grouped(false),
            "mine" => Filter::InGroupsOf(Who::Me),
            _ => Filter::InGroup {
                negate,
                group_id: match who(&c.value) {
                    Some(Who::User(id)) => id,
                    _ => return Err(bad_value("a group id")),
                },
            },
        },
        "tags" => Filter::Tag {
            negate,
            tag: c
                .value
                .as_str()
                .map(|t| t.trim().to_lowercase())
                .filter(|t| !t.is_empty() && t.chars().count() <= 64)
                .ok_or_else(|| bad_value("a tag"))?,
        },
        field => Filter::Time {
            field: if field == "created_at" {
                TimeField::Created
            } else {
                TimeField::LastUpdate
            },
            newer: c.operator == "newer_than",
            ago_ms: duration_ms(&c.value)
                .ok_or_else(|| bad_value("a relative time like -24h, 30m, 7d"))?,
        },
    })
}

/// Parses every condition; all failing ones are named in one error (`conditions[2]`).
pub fn parse_conditions(conditions: &[Condition]) -> Result<Vec<Filter>, ApiError> {
    let mut errors = FieldErrors::default();
    let mut filters = Vec::new();
    if conditions.len() > 50 {
        errors.add("conditions", "length");
    }
    for (i, c) in conditions.iter().enumerate() {
        match parse_one(c) {
            Ok(f) => filters.push(f),
            Err((code, hint)) => {
                let name = format!("conditions[{i}]");
                errors.add(&name, code);
                errors.hints.insert(name, hint);
            }
        }
    }
    if errors.is_empty() {
        Ok(filters)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The `conditions` field as sent: a JSON array of conditions.
pub fn conditions_from_text(text: &str) -> Result<Vec<Condition>, ApiError> {
    serde_json::from_str(text).map_err(|e| {
        ApiError::validation(
            "conditions",
            "invalid",
            Some(&format!("a JSON array of {{field, operator, value}}: {e}")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(field: &str, operator: &str, value: Value) -> Condition {
        Condition {
            field: field.into(),
            operator: operator.into(),
            value,
        }
    }

    #[test]
    fn conditions_parse_into_filters() {
        let filters = parse_conditions(&[
            c("status", "in", json!(["new", "open"])),
            c("assigned_user_id", "is", json!("me")),
            c("tags", "has_not", json!("Spam")),
            c("created_at", "newer_than", json!("-24h")),
            c("channel_id", "is", json!(8)),
        ])
        .unwrap();
        assert_eq!(
            filters[0],
            Filter::Status {
                negate: false,
                values: vec!["new".into(), "open".into()]
            }
        );
        assert_eq!(
            filters[1],
            Filter::AssignedTo {
                negate: false,
                who: Who::Me
            }
        );
        assert_eq!(
            filters[2],
            Filter::Tag {
                negate: true,
                tag: "spam".into()
            }
        );
        assert_eq!(
            filters[3],
            Filter::Time {
                field: TimeField::Created,
                newer: true,
                ago_ms: 86_400_000
            }
        );
        assert_eq!(
            filters[4],
            Filter::Channel {
                negate: false,
                values: vec![8]
            }
        );
    }

    #[test]
    fn every_bad_condition_is_named() {
        let err = parse_conditions(&[
            c("status", "is", json!("open")),
            c("colour", "is", json!("red")),
            c("status", "contains", json!("o")),
            c("priority", "is", json!("huge")),
            c("last_update", "older_than", json!("yesterday")),
        ])
        .unwrap_err();
        let ApiError::Validation(e) = err else {
            panic!("not a validation error")
        };
        assert_eq!(e.codes["conditions[1]"], vec!["unknown_field"]);
        assert_eq!(e.codes["conditions[2]"], vec!["unknown_operator"]);
        assert_eq!(e.codes["conditions[3]"], vec!["invalid_value"]);
        assert_eq!(e.codes["conditions[4]"], vec!["invalid_value"]);
        assert!(!e.codes.contains_key("conditions[0]"));
    }

    #[test]
    fn sorts_parse_from_text_or_json() {
        assert_eq!(
            Sort::parse("created_at asc").unwrap().direction,
            Direction::Asc
        );
        assert_eq!(
            Sort::parse(r#"{"field":"id","direction":"desc"}"#)
                .unwrap()
                .field,
            SortField::Id
        );
        assert!(Sort::parse("priority up").is_err());
    }
}
