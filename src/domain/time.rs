//! How the API writes a time: RFC 3339, UTC, milliseconds (`2026-11-30T03:10:56.000Z`).

/// Milliseconds since the epoch, as the API writes them.
pub fn iso(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// For `#[serde(serialize_with)]` on a column of milliseconds.
pub fn serialize_iso<S: serde::Serializer>(millis: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&iso(*millis))
}
