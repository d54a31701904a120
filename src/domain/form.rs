//! How the API reads a request's fields: one typed struct per body or query string, the same
//! struct that the OpenAPI document describes (`ToSchema`) and that carries the rules
//! (`validator`), read from multipart, urlencoded or JSON bodies alike.
//!
//! Forms carry text only, so a field's text is first turned into the JSON value its schema
//! names: an `integer` from decimal text (`"7"`, `"7.0"`), a `boolean` from `true`, `false`,
//! `1` or `0`, an `array` from a JSON array or comma-separated text. Text that is not such a
//! value fails the field (`integer`, `boolean`, `list`); empty text (or `null`) for a number
//! or a boolean is absent, for a list it is the empty list. Text fields keep what was sent: an optional one that
//! treats empty as absent says so with [`non_empty`]. Then the struct is deserialized and
//! validated, and every failing field is named in one `400`.

use std::any::TypeId;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, RwLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Number, Value};
use utoipa::openapi::{RefOr, Schema};
use utoipa::PartialSchema;
use validator::Validate;

use crate::error::{ApiError, FieldErrors};

/// The text fields of a request, whatever its content type was.
/// A body's text fields in the order they came; a name may come more than once (a form's
/// checkboxes): a list field then holds every value, any other field the last.
pub type Fields = Vec<(String, String)>;

/// Takes every value of a field out of the fields; the last one.
pub fn take(fields: &mut Fields, name: &str) -> Option<String> {
    let mut found = None;
    while let Some(at) = fields.iter().position(|(n, _)| n == name) {
        found = Some(fields.remove(at).1);
    }
    found
}

/// What a field's text becomes, from the type its schema gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    /// A list of text or of integers.
    List(bool),
}

type Kinds = HashMap<String, Kind>;

/// A list as forms carry it: a JSON array, or comma-separated text. Fields of this type (in
/// the document) are read as lists of text.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum TextList {
    List(Vec<String>),
    /// Comma-separated.
    Text(String),
}

/// A list of ids as forms carry it: a JSON array, or comma-separated text.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum IdList {
    List(Vec<i64>),
    /// Comma-separated.
    Text(String),
}

/// Omnidesk paging: `itemStart` (default 0) and `itemLimit` (default 15), checked already.
pub fn page(item_start: Option<i64>, item_limit: Option<i64>) -> (i64, i64) {
    (item_start.unwrap_or(0), item_limit.unwrap_or(15))
}

/// `true`, `false`, `1` or `0`.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// An optional text field sent empty is absent and gets its default.
pub fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// An e-mail address as typed: trimmed and in lower case before its rules apply; empty is
/// absent.
pub fn email<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty()))
}

/// Reads, checks and types a request's fields as `T`: every failing field in one error.
pub fn parse<T>(fields: Fields) -> Result<T, ApiError>
where
    T: DeserializeOwned + Validate + PartialSchema + 'static,
{
    let kinds = kinds_of::<T>();
    let mut errors = FieldErrors::default();
    let mut object = Map::new();
    for (name, text) in fields {
        // No database stores a NUL in text (Postgres refuses it).
        if text.contains('\0') {
            errors.add(&name, "nul");
            errors
                .hints
                .insert(name.clone(), "contains a NUL character".into());
            continue;
        }
        // Unknown fields are ignored.
        let Some(kind) = kinds.get(&name) else {
            continue;
        };
        match typed(*kind, text) {
            // A list given several times (a form's checkboxes) holds every one.
            Ok(Value::Array(more)) if object.get(&name).is_some_and(Value::is_array) => {
                if let Some(Value::Array(list)) = object.get_mut(&name) {
                    list.extend(more);
                }
            }
            Ok(value) => {
                object.insert(name, value);
            }
            Err((code, hint)) => {
                errors.add(&name, code);
                errors.hints.insert(name, hint.into());
            }
        }
    }
    let form: T = serde_json::from_value(Value::Object(object))
        .map_err(|e| ApiError::MalformedBody(format!("unreadable fields: {e}")))?;
    if let Err(invalid) = form.validate() {
        // A field already refused for its form is not judged again (as absent, say).
        let invalid = FieldErrors::from(invalid);
        for (field, codes) in invalid.codes {
            if errors.codes.contains_key(&field) {
                continue;
            }
            for code in codes {
                errors.add(&field, &code);
            }
            if let Some(hint) = invalid.hints.get(&field) {
                errors.hints.insert(field, hint.clone());
            }
        }
    }
    if errors.is_empty() {
        Ok(form)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A query string's fields as `T`, like a body's.
pub fn parse_query<T>(query: &str) -> Result<T, ApiError>
where
    T: DeserializeOwned + Validate + PartialSchema + 'static,
{
    let fields: Fields = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::MalformedBody(format!("unreadable query string: {e}")))?;
    parse(fields)
}

fn typed(kind: Kind, text: String) -> Result<Value, (&'static str, &'static str)> {
    let blank = matches!(text.trim(), "" | "null");
    match kind {
        Kind::Text => Ok(Value::String(text)),
        // An empty list is a list: it clears.
        Kind::List(_) if text.trim().is_empty() => Ok(Value::Array(Vec::new())),
        _ if blank => Ok(Value::Null),
        Kind::Integer => integer(&text)
            .map(Value::from)
            .ok_or(("integer", "a whole number")),
        Kind::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or(("number", "a number")),
        Kind::Boolean => parse_bool(&text)
            .map(Value::Bool)
            .ok_or(("boolean", "true, false, 1 or 0")),
        Kind::List(of_integers) => {
            list(&text, of_integers).ok_or(("list", "a JSON array or comma-separated text"))
        }
    }
}

/// `7`, ` 7 ` or `7.0`; not `7.5`, not `7e400`.
fn integer(text: &str) -> Option<i64> {
    let text = text.trim();
    text.parse::<i64>().ok().or_else(|| {
        let float = text.parse::<f64>().ok()?;
        (float.fract() == 0.0 && float.abs() < 9.0e15).then_some(float as i64)
    })
}

/// A JSON array, or comma-separated text; items trimmed, empty ones left out.
fn list(text: &str, of_integers: bool) -> Option<Value> {
    let items: Vec<Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).ok()?
    } else {
        text.split(',')
            .map(|s| Value::String(s.to_owned()))
            .collect()
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let value = match (item, of_integers) {
            (Value::String(s), false) if s.trim().is_empty() => continue,
            (Value::String(s), false) => Value::String(s.trim().to_owned()),
            (Value::String(s), true) if s.trim().is_empty() => continue,
            (Value::String(s), true) => Value::from(integer(&s)?),
            (Value::Number(n), true) => Value::from(integer(&n.to_string())?),
            _ => return None,
        };
        out.push(value);
    }
    Some(Value::Array(out))
}

/// Each field's kind, read once per type from its schema.
fn kinds_of<T: PartialSchema + 'static>() -> Arc<Kinds> {
    static CACHE: LazyLock<RwLock<HashMap<TypeId, Arc<Kinds>>>> = LazyLock::new(Default::default);
    let id = TypeId::of::<T>();
    if let Some(kinds) = CACHE.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return kinds.clone();
    }
    let kinds = Arc::new(kinds_of_schema(&T::schema()));
    CACHE
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, kinds.clone());
    kinds
}

fn kinds_of_schema(schema: &RefOr<Schema>) -> Kinds {
    let schema = serde_json::to_value(schema).unwrap_or_default();
    let properties: BTreeMap<String, Value> = schema
        .get("properties")
        .cloned()
        .and_then(|p| serde_json::from_value(p).ok())
        .unwrap_or_default();
    properties
        .into_iter()
        .map(|(name, property)| {
            let kind = match ref_name(&property) {
                Some("TextList") => Kind::List(false),
                Some("IdList") => Kind::List(true),
                _ => match type_of(&property) {
                    Some("integer") => Kind::Integer,
                    Some("number") => Kind::Number,
                    Some("boolean") => Kind::Boolean,
                    // A list of objects travels as JSON text, read by its own parser.
                    Some("array") => match property.get("items").and_then(type_of) {
                        Some("integer") => Kind::List(true),
                        Some("string") => Kind::List(false),
                        _ => Kind::Text,
                    },
                    _ => Kind::Text,
                },
            };
            (name, kind)
        })
        .collect()
}

/// The schema a property refers to, directly or as one of its choices (`Option<T>`).
fn ref_name(schema: &Value) -> Option<&str> {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        return target.rsplit('/').next();
    }
    ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|k| schema.get(*k)?.as_array())
        .flatten()
        .find_map(ref_name)
}

/// `"type": "integer"` or `"type": ["integer", "null"]`; a reference (an enum) is text.
fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
    #[allow(non_snake_case)]
    struct Sample {
        #[validate(required, length(min = 2))]
        #[schema(value_type = String)]
        name: Option<String>,
        #[validate(range(min = 1, max = 10))]
        count: Option<i64>,
        flag: Option<bool>,
        tags: Option<Vec<String>>,
        ids: Option<Vec<i64>>,
        #[schema(value_type = Option<TextList>)]
        names: Option<Vec<String>>,
        #[serde(default, deserialize_with = "non_empty")]
        note: Option<String>,
    }

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn codes(err: ApiError) -> BTreeMap<String, Vec<String>> {
        match err {
            ApiError::Validation(errors) => errors.codes,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn text_becomes_the_types_the_schema_names() {
        let s: Sample = parse(fields(&[
            ("name", "Ann"),
            ("count", "7.0"),
            ("flag", "1"),
            ("tags", " a, b ,,"),
            ("ids", r#"[1, "2"]"#),
            ("note", ""),
            ("names", "x,y"),
            ("unknown", "ignored"),
        ]))
        .unwrap();
        assert_eq!(s.name.as_deref(), Some("Ann"));
        assert_eq!(s.count, Some(7));
        assert_eq!(s.flag, Some(true));
        assert_eq!(s.tags, Some(vec!["a".into(), "b".into()]));
        assert_eq!(s.ids, Some(vec![1, 2]));
        assert_eq!(s.note, None);
        assert_eq!(s.names, Some(vec!["x".into(), "y".into()]));
    }

    #[test]
    fn every_failing_field_is_named_once() {
        let errors = codes(
            parse::<Sample>(fields(&[
                ("name", "A"),
                ("count", "7.5"),
                ("flag", "yes"),
                ("ids", "1,x"),
                ("note", "a\0b"),
            ]))
            .unwrap_err(),
        );
        assert_eq!(errors["name"], ["length"]);
        assert_eq!(errors["count"], ["integer"]);
        assert_eq!(errors["flag"], ["boolean"]);
        assert_eq!(errors["ids"], ["list"]);
        assert_eq!(errors["note"], ["nul"]);
        let errors = codes(parse::<Sample>(fields(&[("count", "11"), ("flag", "")])).unwrap_err());
        assert_eq!(errors["name"], ["required"]);
        assert_eq!(errors["count"], ["range"]);
        assert!(!errors.contains_key("flag"), "empty is absent");
    }
}
