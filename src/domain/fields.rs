//! Reads the agent API's fields (from a body or a query string) into typed values, gathering
//! every failing field into one `400` like the chat API does.

use crate::domain::form::{parse_bool, Fields};
use crate::error::{ApiError, FieldErrors};

pub struct FieldReader {
    fields: Fields,
    errors: FieldErrors,
}

impl FieldReader {
    pub fn new(fields: Fields) -> FieldReader {
        FieldReader {
            fields,
            errors: FieldErrors::default(),
        }
    }

    pub fn from_query(query: &str) -> Result<FieldReader, ApiError> {
        let fields: Fields = serde_urlencoded::from_str(query)
            .map_err(|e| ApiError::MalformedBody(format!("unreadable query string: {e}")))?;
        Ok(FieldReader::new(fields))
    }

    fn fail(&mut self, name: &str, code: &str, hint: &str) {
        self.errors.add(name, code);
        self.errors.hints.insert(name.to_owned(), hint.to_owned());
    }

    fn raw(&mut self, name: &str, required: bool) -> Option<String> {
        match self.fields.remove(name).filter(|v| !v.is_empty()) {
            Some(v) if v.contains('\0') => {
                self.fail(name, "nul", "contains a NUL character");
                None
            }
            Some(v) => Some(v),
            None => {
                if required {
                    self.fail(name, "required", "required");
                }
                None
            }
        }
    }

    pub fn text(&mut self, name: &str, required: bool, min: usize, max: usize) -> Option<String> {
        let v = self.raw(name, required)?;
        let n = v.chars().count();
        if n < min || n > max {
            self.fail(name, "length", &format!("{min} to {max} characters"));
            return None;
        }
        Some(v)
    }

    /// Optional text that may be sent empty to clear it: `Some("")` then (not its default).
    pub fn clearable_text(&mut self, name: &str, max: usize) -> Option<String> {
        match self.fields.get(name).map(String::as_str) {
            None => None,
            Some("") => {
                self.fields.remove(name);
                Some(String::new())
            }
            Some(_) => self.text(name, false, 1, max),
        }
    }

    pub fn int(&mut self, name: &str, required: bool, min: i64, max: i64) -> Option<i64> {
        let v = self.raw(name, required)?;
        match v.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            Ok(_) => {
                self.fail(name, "range", &format!("from {min} to {max}"));
                None
            }
            Err(_) => {
                self.fail(name, "integer", "a whole number");
                None
            }
        }
    }

    pub fn one_of(&mut self, name: &str, required: bool, options: &[&str]) -> Option<String> {
        let v = self.raw(name, required)?;
        if options.contains(&v.as_str()) {
            Some(v)
        } else {
            self.fail(name, "one_of", &format!("one of {}", options.join(", ")));
            None
        }
    }

    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        let v = self.raw(name, false)?;
        let parsed = parse_bool(&v);
        if parsed.is_none() {
            self.fail(name, "boolean", "true, false, 1 or 0");
        }
        parsed
    }

    /// A field that may be sent empty or `null` to clear it: `Some(None)`.
    pub fn nullable_int(&mut self, name: &str, min: i64, max: i64) -> Option<Option<i64>> {
        match self.fields.get(name).map(String::as_str) {
            None => None,
            Some("" | "null" | "0") => {
                self.fields.remove(name);
                Some(None)
            }
            Some(_) => self.int(name, false, min, max).map(Some),
        }
    }

    /// A list sent as a JSON array or as comma-separated text, each item trimmed and
    /// lowercased (tags).
    pub fn list(&mut self, name: &str, max_items: usize, max_len: usize) -> Option<Vec<String>> {
        self.list_of(name, max_items, max_len, true)
    }

    /// A list like [`FieldReader::list`], its items kept in the case they were sent.
    pub fn list_as_sent(
        &mut self,
        name: &str,
        max_items: usize,
        max_len: usize,
    ) -> Option<Vec<String>> {
        self.list_of(name, max_items, max_len, false)
    }

    fn list_of(
        &mut self,
        name: &str,
        max_items: usize,
        max_len: usize,
        lowercase: bool,
    ) -> Option<Vec<String>> {
        let v = self.fields.remove(name)?;
        let items: Vec<String> = if v.trim_start().starts_with('[') {
            match serde_json::from_str::<Vec<String>>(&v) {
                Ok(items) => items,
                Err(_) => {
                    self.fail(
                        name,
                        "list",
                        "a JSON array of strings or comma-separated text",
                    );
                    return None;
                }
            }
        } else {
            v.split(',').map(str::to_owned).collect()
        };
        let items: Vec<String> = items
            .into_iter()
            .map(|t| {
                if lowercase {
                    t.trim().to_lowercase()
                } else {
                    t.trim().to_owned()
                }
            })
            .filter(|t| !t.is_empty())
            .collect();
        if items.len() > max_items
            || items
                .iter()
                .any(|t| t.chars().count() > max_len || t.contains('\0'))
        {
            self.fail(
                name,
                "length",
                &format!("at most {max_items} items of {max_len} characters"),
            );
            return None;
        }
        Some(items)
    }

    pub fn peek(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// Omnidesk paging: `itemStart` (default 0) and `itemLimit` (default 15, at most `max`).
pub fn paging(reader: &mut FieldReader, max: i64) -> (i64, i64) {
    let start = reader
        .int("itemStart", false, 0, i64::from(i32::MAX))
        .unwrap_or(0);
    let limit = reader.int("itemLimit", false, 1, max).unwrap_or(15);
    (start, limit)
}
