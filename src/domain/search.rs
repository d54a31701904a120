//! What a search box's text becomes: words of letters and digits (as the indexes split text),
//! each matched as a prefix, all of which must match.

use crate::error::ApiError;

const MAX_TERMS: usize = 10;

pub fn terms(query: &str) -> Result<Vec<String>, ApiError> {
    let terms: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| t.to_lowercase().chars().take(64).collect())
        .take(MAX_TERMS)
        .collect();
    if terms.is_empty() {
        return Err(ApiError::validation(
            "query",
            "length",
            Some("at least one letter or digit"),
        ));
    }
    Ok(terms)
}

/// SQLite FTS5: `"ann"* "example"*` (quoted, so no word is read as an operator).
pub fn fts5_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Postgres: `ann:* & example:*`.
pub fn tsquery(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("{t}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_safe_prefix_terms() {
        let t = terms("Ann@Example.com \"OR\" +3161*").unwrap();
        assert_eq!(t, ["ann", "example", "com", "or", "3161"]);
        assert_eq!(fts5_query(&t[..2]), "\"ann\"* \"example\"*");
        assert_eq!(tsquery(&t[..2]), "ann:* & example:*");
        assert!(terms(" -*- ").is_err());
    }
}
