//! JivoChat's webhook payloads, as its reference documents them (`fixtures/jivochat/`).
//! JivoChat is loose with types (an agent's `id` is a number in the table and a string in
//! the examples), so ids are taken either way, and every object may lack any field.

use serde::{Deserialize, Deserializer};

/// A number or a string, kept as its text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(i64),
            Float(f64),
        }
        Ok(Id(match Raw::deserialize(d)? {
            Raw::Text(s) => s.trim().to_owned(),
            Raw::Int(n) => n.to_string(),
            Raw::Float(f) => f.to_string(),
        }))
    }
}

/// Every event's fields; which of them an event has depends on its `event_name`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Webhook {
    pub event_name: String,
    pub chat_id: Option<Id>,
    pub widget_id: Option<Id>,
    pub visitor: Visitor,
    /// `chat_accepted`, `chat_assigned`, `chat_updated`, `call_event`.
    pub agent: Option<Agent>,
    /// `chat_finished`.
    pub agents: Vec<Agent>,
    pub department: Option<Department>,
    pub session: Option<Session>,
    pub page: Option<Page>,
    /// `chat_finished`.
    pub chat: Option<FinishedChat>,
    /// `chat_assigned`: the CRM link omnibridge answered to `chat_accepted`.
    pub assign_to: Option<String>,
    /// `offline_message`.
    pub offline_message_id: Option<Id>,
    pub message: Option<String>,
    /// `call_event`.
    pub call: Option<Call>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Visitor {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// JivoChat's own number for the visitor: 1, 2, 3, ...
    pub number: Option<Id>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Agent {
    pub id: Option<Id>,
    pub name: Option<String>,
    pub email: Option<String>,
}

impl Agent {
    /// `Name <e-mail>`, or whichever of the two there is.
    pub fn label(&self) -> Option<String> {
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let email = self
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty());
        match (name, email) {
            (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
            (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Department {
    pub id: Option<Id>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Session {
    pub geoip: Option<GeoIp>,
    /// Deprecated by JivoChat for `utm_json`, read when that is missing.
    pub utm: Option<String>,
    pub utm_json: Option<Utm>,
    pub ip_addr: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GeoIp {
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub organization: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Utm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub content: Option<String>,
    pub term: Option<String>,
}

impl Session {
    /// One line for the ticket's timeline: address, place, browser, campaign.
    pub fn summary(&self) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        if let Some(ip) = some(&self.ip_addr) {
            parts.push(format!("IP {ip}"));
        }
        if let Some(geo) = &self.geoip {
            let place: Vec<&str> = [&geo.city, &geo.region, &geo.country]
                .into_iter()
                .filter_map(some)
                .collect();
            if !place.is_empty() {
                parts.push(place.join(", "));
            }
            if let Some(org) = some(&geo.organization) {
                parts.push(format!("network: {org}"));
            }
        }
        let utm: Vec<String> = match &self.utm_json {
            Some(u) => [
                ("source", &u.source),
                ("medium", &u.medium),
                ("campaign", &u.campaign),
                ("content", &u.content),
                ("term", &u.term),
            ]
            .into_iter()
            .filter_map(|(k, v)| some(v).map(|v| format!("{k}={v}")))
            .collect(),
            None => some(&self.utm)
                .map(|u| u.split('|').map(str::to_owned).collect())
                .unwrap_or_default(),
        };
        if !utm.is_empty() {
            parts.push(format!("utm: {}", utm.join(" ")));
        }
        if let Some(ua) = some(&self.user_agent) {
            parts.push(ua.to_owned());
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

/// The value, trimmed, unless it is empty.
fn some(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Page {
    pub url: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FinishedChat {
    pub messages: Vec<ChatMessage>,
    /// `positive`, `negative` or null.
    pub rate: Option<String>,
    pub blacklisted: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChatMessage {
    /// Unix seconds.
    pub timestamp: Option<i64>,
    /// `visitor` or `agent`.
    #[serde(rename = "type")]
    pub kind: String,
    pub agent_id: Option<Id>,
    /// The text: JivoChat sends it, though the reference's table leaves it out.
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Call {
    /// `callback`, `incoming`, `outgoing`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub phone: Option<String>,
    /// `start`, `end`, `agent_connected`, `client_connected`, `error`.
    pub status: Option<String>,
    pub reason: Option<String>,
    pub record_url: Option<String>,
}

impl Call {
    /// One line for the ticket's timeline: `callback end http://…/record.mp3`.
    pub fn summary(&self) -> String {
        [&self.kind, &self.status, &self.reason, &self.record_url]
            .into_iter()
            .filter_map(|v| v.as_deref().map(str::trim).filter(|s| !s.is_empty()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numbers_or_strings() {
        let a: Agent = serde_json::from_str(r#"{"id": "2224"}"#).unwrap();
        let b: Agent = serde_json::from_str(r#"{"id": 2224}"#).unwrap();
        assert_eq!(a.id, b.id);
    }

    #[test]
    fn a_session_is_one_line() {
        let s: Session = serde_json::from_str(
            r#"{"geoip": {"city": "San Francisco", "country": "United States"},
                "utm": "source=google|medium=cpc", "ip_addr": "208.80.152.201",
                "user_agent": "Mozilla/5.0"}"#,
        )
        .unwrap();
        assert_eq!(
            s.summary().unwrap(),
            "IP 208.80.152.201 · San Francisco, United States · utm: source=google medium=cpc · Mozilla/5.0"
        );
        assert_eq!(Session::default().summary(), None);
    }
}
