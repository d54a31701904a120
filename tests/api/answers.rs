//! The documented answers are the real ones: a walk through every operation checks that each
//! `200` answer has exactly the fields its documented schema names (none more, every required
//! one), down through nested objects and lists; and that each documented example does too.

use std::collections::{BTreeMap, BTreeSet};

use omnibridge::domain::permission::Permission;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, CHAT_SERVER};

/// Operations the walk does not call, and why.
const NOT_JSON: [(&str, &str, &str); 2] = [
    ("get", "/api/v2/file/{id}", "answers the file's bytes"),
    (
        "get",
        "/api/v2/notification/stream",
        "answers an event stream",
    ),
];

/// Checks values against the document's schemas, refusing any field a schema does not name.
struct Schemas<'a> {
    doc: &'a Value,
}

impl Schemas<'_> {
    fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(target) => {
                let found = self
                    .doc
                    .pointer(target.trim_start_matches('#'))
                    .unwrap_or_else(|| panic!("a reference to nothing: {target}"));
                self.resolve(found)
            }
            None => schema,
        }
    }

    /// The properties and required names of an object schema, `allOf` parts merged.
    fn object(&self, schema: &Value) -> Option<(BTreeMap<String, Value>, BTreeSet<String>)> {
        let schema = self.resolve(schema);
        let mut properties = BTreeMap::new();
        let mut required = BTreeSet::new();
        let mut found = false;
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            found = true;
            properties.extend(props.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(names) = schema.get("required").and_then(Value::as_array) {
            required.extend(names.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some((p, r)) = self.object(part) {
                found = true;
                properties.extend(p);
                required.extend(r);
            }
        }
        found.then_some((properties, required))
    }

    fn check(&self, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
        let schema = self.resolve(schema);
        for key in ["oneOf", "anyOf"] {
            if let Some(choices) = schema.get(key).and_then(Value::as_array) {
                let failures: Vec<String> = choices
                    .iter()
                    .filter_map(|c| self.check(c, value, at).err())
                    .collect();
                let matched = choices.len() - failures.len();
                return match (key, matched) {
                    (_, 0) => Err(format!("{at}: matches no choice: {failures:?}")),
                    // `oneOf` means exactly one: an answer two choices fit is ambiguous.
                    ("oneOf", n) if n > 1 => Err(format!("{at}: matches {n} choices of oneOf")),
                    _ => Ok(()),
                };
            }
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if value.is_null() {
            return match types.is_empty() || types.contains(&"null") {
                true => Ok(()),
                false => Err(format!("{at}: null, documented as {types:?}")),
            };
        }
        if let Some((properties, required)) = self.object(schema) {
            let object = value
                .as_object()
                .ok_or_else(|| format!("{at}: not an object: {value}"))?;
            for (name, field) in object {
                let documented = properties
                    .get(name)
                    .ok_or_else(|| format!("{at}.{name}: an undocumented field"))?;
                self.check(documented, field, &format!("{at}.{name}"))?;
            }
            if let Some(missing) = required.iter().find(|r| !object.contains_key(*r)) {
                return Err(format!("{at}.{missing}: documented as required, not sent"));
            }
            return Ok(());
        }
        let fits = |t: &str| match t {
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "object" => value.is_object(),
            "null" => value.is_null(),
            _ => true,
        };
        if !types.is_empty() && !types.iter().any(|t| fits(t)) {
            return Err(format!("{at}: {value} is not {types:?}"));
        }
        if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
            for (i, item) in values.iter().enumerate() {
                self.check(items, item, &format!("{at}[{i}]"))?;
            }
        }
        if let (Some(allowed), false) = (
            schema.get("enum").and_then(Value::as_array),
            value.is_null(),
        ) {
            if !allowed.contains(value) {
                return Err(format!("{at}: {value} is not one of {allowed:?}"));
            }
        }
        Ok(())
    }
}

/// Each call of the walk: the documented operation and its real answer.
struct Walk<'a> {
    app: &'a TestApp,
    key: String,
    answers: Vec<(String, String, Value)>,
}

impl Walk<'_> {
    /// `template` is the documented path, `path` the one called (below `/api/v2/`).
    async fn call(
        &mut self,
        method: Method,
        template: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let key = if template.starts_with("/api/v2/chat/") {
            self.app.api_key.clone()
        } else {
            self.key.clone()
        };
        let a = self.app.agent_call(method.clone(), path, &key, body).await;
        assert_eq!(a.status, 200, "{method} {path}: {}", a.body);
        let method = method.as_str().to_lowercase();
        self.answers
            .push((method, template.to_owned(), a.body.clone()));
        a.body
    }
}

#[tokio::test]
async fn every_answer_has_exactly_the_documented_fields() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let doc: Value = app
        .client
        .get(format!("{}/api/v2/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut w = Walk {
        app: &app,
        key,
        answers: Vec::new(),
    };
    let token = app.chat_token.clone();
    let session = "session-answers-1";
    let chat = |extra: Value| {
        let mut body = json!({"chatServer": CHAT_SERVER, "chatSessionID": session});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Some(body)
    };

    // The chat API.
    let config = json!({"chatServer": CHAT_SERVER, "chatAccountToken": token});
    w.call(
        Method::POST,
        "/api/v2/chat/requestChatConfig",
        "chat/requestChatConfig",
        Some(config),
    )
    .await;
    let message = chat(json!({
        "chatAccountToken": token, "message": "My order has not arrived",
        "customerName": "Ann Smith", "emailAddress": "ann@example.com",
    }));
    let sent = w
        .call(
            Method::POST,
            "/api/v2/chat/notifyUserNewChatMessage",
            "chat/notifyUserNewChatMessage",
            message,
        )
        .await;
    let ticket = sent["ticketID"].as_i64().unwrap();
    let typing = chat(json!({"event": "startedtyping"}));
    w.call(
        Method::POST,
        "/api/v2/chat/notifyUserNewChatEvent",
        "chat/notifyUserNewChatEvent",
        typing,
    )
    .await;
    let visited = chat(json!({"url": "https://shop.example/orders"}));
    w.call(
        Method::POST,
        "/api/v2/chat/notifyUserVisited",
        "chat/notifyUserVisited",
        visited,
    )
    .await;
    let upload = app
        .upload(session, "label.txt", b"tracking 123".to_vec())
        .await;
    assert_eq!(upload.status, 200, "{}", upload.body);
    w.answers.push((
        "post".into(),
        "/api/v2/chat/addAttachment".into(),
        upload.body,
    ));
    let check = json!({
        "chatServer": CHAT_SERVER, "chatAccountToken": token,
        "origin": "shop.example.com", "ip": "203.0.113.7",
    });
    w.call(
        Method::POST,
        "/api/v2/chat/checkOriginAndIP",
        "chat/checkOriginAndIP",
        Some(check),
    )
    .await;
    w.call(
        Method::GET,
        "/api/v2/chat/whitelistedDomainsAndBlacklistedIPs",
        "chat/whitelistedDomainsAndBlacklistedIPs",
        None,
    )
    .await;
    let queue = json!({"chatAccountToken": token});
    w.call(
        Method::POST,
        "/api/v2/chat/requestChatQueue",
        "chat/requestChatQueue",
        Some(queue),
    )
    .await;

    // Tickets and messages.
    let reply = json!({"ticketID": ticket, "type": 8, "message": "It ships tomorrow."});
    w.call(Method::POST, "/api/v2/message", "message", Some(reply))
        .await;
    let typing = json!({"ticketID": ticket, "event": "startedtyping"});
    w.call(
        Method::POST,
        "/api/v2/message/typing",
        "message/typing",
        Some(typing),
    )
    .await;
    w.call(
        Method::POST,
        "/api/v2/chat/notifyUserEndChat",
        "chat/notifyUserEndChat",
        chat(json!({})),
    )
    .await;
    let changes = json!({"title": "Order 1234", "tags": "vip, parcel", "priority": "high"});
    w.call(
        Method::PUT,
        "/api/v2/ticket/{id}",
        &format!("ticket/{ticket}"),
        Some(changes),
    )
    .await;
    let status = json!({"ticketID": ticket, "status": "open"});
    w.call(
        Method::POST,
        "/api/v2/ticket/setStatus",
        "ticket/setStatus",
        Some(status),
    )
    .await;
    let priority = json!({"ticketID": ticket, "priority": "urgent"});
    w.call(
        Method::POST,
        "/api/v2/ticket/setPriority",
        "ticket/setPriority",
        Some(priority),
    )
    .await;
    let customer = w
        .call(Method::GET, "/api/v2/customer", "customer", None)
        .await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let new = json!({"title": "Follow-up", "customerID": customer});
    let created = w
        .call(Method::POST, "/api/v2/ticket", "ticket", Some(new))
        .await["item"]["id"]
        .as_i64()
        .unwrap();
    let mail = json!({"ticketID": created, "type": 1, "message": "Here is your new parcel."});
    w.call(Method::POST, "/api/v2/message", "message", Some(mail))
        .await;
    let note = json!({"ticketID": created, "type": "note", "message": "Sent a second one."});
    w.call(Method::POST, "/api/v2/message", "message", Some(note))
        .await;
    w.call(Method::GET, "/api/v2/ticket", "ticket", None).await;
    for id in [ticket, created] {
        let history = w
            .call(
                Method::GET,
                "/api/v2/ticket/{id}",
                &format!("ticket/{id}?getTicketHistory=true"),
                None,
            )
            .await;
        assert!(
            history["item"]["timeline"].as_array().unwrap().len() >= 2,
            "{history}"
        );
    }

    // Customers, views, agents, chat accounts, notifications.
    w.call(
        Method::GET,
        "/api/v2/customer/{id}",
        &format!("customer/{customer}"),
        None,
    )
    .await;
    let phone = json!({"phone": "+31612345678"});
    w.call(
        Method::PUT,
        "/api/v2/customer/{id}",
        &format!("customer/{customer}"),
        Some(phone),
    )
    .await;
    let view = json!({
        "name": "Urgent", "sort": "created_at asc",
        "conditions": [{"field": "priority", "operator": "is", "value": "urgent"}],
    });
    let view = w
        .call(Method::POST, "/api/v2/view", "view", Some(view))
        .await["item"]["id"]
        .as_i64()
        .unwrap();
    w.call(Method::GET, "/api/v2/view", "view", None).await;
    w.call(
        Method::GET,
        "/api/v2/view/{id}",
        &format!("view/{view}"),
        None,
    )
    .await;
    let rename = json!({"name": "Very urgent"});
    w.call(
        Method::PUT,
        "/api/v2/view/{id}",
        &format!("view/{view}"),
        Some(rename),
    )
    .await;
    let user = json!({"name": "Bob", "email": "bob@example.com"});
    let user = w
        .call(Method::POST, "/api/v2/user", "user", Some(user))
        .await["item"]["id"]
        .as_i64()
        .unwrap();
    w.call(Method::GET, "/api/v2/user", "user", None).await;
    w.call(
        Method::GET,
        "/api/v2/user/{id}",
        &format!("user/{user}"),
        None,
    )
    .await;
    let online = json!({"isOnline": true});
    w.call(
        Method::PUT,
        "/api/v2/user/{id}",
        &format!("user/{user}"),
        Some(online),
    )
    .await;
    let group = json!({"name": "Sales", "userIDs": [user]});
    let group = w
        .call(Method::POST, "/api/v2/group", "group", Some(group))
        .await["item"]["id"]
        .as_i64()
        .unwrap();
    w.call(Method::GET, "/api/v2/group", "group", None).await;
    w.call(
        Method::GET,
        "/api/v2/group/{id}",
        &format!("group/{group}"),
        None,
    )
    .await;
    w.call(
        Method::PUT,
        "/api/v2/group/{id}",
        &format!("group/{group}"),
        Some(json!({"name": "Sales EU"})),
    )
    .await;
    let accounts = w
        .call(Method::GET, "/api/v2/chatAccount", "chatAccount", None)
        .await;
    let account = accounts["items"][0]["id"].as_i64().unwrap();
    w.call(
        Method::GET,
        "/api/v2/chatAccount/{id}",
        &format!("chatAccount/{account}"),
        None,
    )
    .await;
    let rotate = json!({"greeting": "Hello!", "rotateSecret": true});
    w.call(
        Method::PUT,
        "/api/v2/chatAccount/{id}",
        &format!("chatAccount/{account}"),
        Some(rotate),
    )
    .await;
    let notes = w
        .call(Method::GET, "/api/v2/notification", "notification", None)
        .await;
    let ids: Vec<&Value> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["id"])
        .collect();
    assert!(
        !ids.is_empty(),
        "a new chat is every agent's notification: {notes}"
    );
    let unread = json!({"notificationIDs": ids, "isRead": false});
    w.call(
        Method::PUT,
        "/api/v2/notification/setIsRead",
        "notification/setIsRead",
        Some(unread),
    )
    .await;

    // Mail in, and JivoChat's webhook: bodies of their own, no JSON request.
    let raw = "From: Maria <maria@example.net>\r\nSubject: Hello\r\nMessage-ID: <walk-1@example.net>\r\n\r\nHello!\r\n";
    let a = crate::inbound_mail::post_mail(&app, &w.key, raw.as_bytes().to_vec()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    w.answers
        .push(("post".into(), "/api/v2/email/inbound".into(), a.body));
    let accounts = app
        .agent_call(Method::GET, "chatAccount", &w.key, None)
        .await;
    let webhook = accounts.body["items"][0]["webhook_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let body: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/jivochat/chat_accepted.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let response = app
        .client
        .post(format!("{}/api/v2/jivochat/{webhook}", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    w.answers.push((
        "post".into(),
        "/api/v2/jivochat/{webhookToken}".into(),
        response.json().await.unwrap(),
    ));

    // What removes things, last.
    w.call(
        Method::DELETE,
        "/api/v2/view/{id}",
        &format!("view/{view}"),
        None,
    )
    .await;
    w.call(
        Method::DELETE,
        "/api/v2/group/{id}",
        &format!("group/{group}"),
        None,
    )
    .await;
    w.call(
        Method::DELETE,
        "/api/v2/user/{id}",
        &format!("user/{user}"),
        None,
    )
    .await;
    w.call(
        Method::DELETE,
        "/api/v2/ticket/{id}",
        &format!("ticket/{created}"),
        None,
    )
    .await;
    w.call(
        Method::DELETE,
        "/api/v2/customer/{id}/purgeData",
        &format!("customer/{customer}/purgeData"),
        None,
    )
    .await;
    w.call(
        Method::DELETE,
        "/api/v2/customer/{id}",
        &format!("customer/{customer}"),
        None,
    )
    .await;
    for path in ["/health", "/ready"] {
        let body: Value = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        w.answers.push(("get".into(), path.into(), body));
    }

    let schemas = Schemas { doc: &doc };
    let mut called = BTreeSet::new();
    for (method, template, body) in &w.answers {
        let schema = &doc["paths"][template][method]["responses"]["200"]["content"]
            ["application/json"]["schema"];
        assert!(
            !schema.is_null(),
            "{method} {template}: no documented JSON answer"
        );
        if let Err(e) = schemas.check(schema, body, &format!("{method} {template}")) {
            panic!("{e}\nthe answer: {body}");
        }
        called.insert((method.clone(), template.clone()));
    }
    // Every documented operation was called (or is named above with why not).
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let skipped = NOT_JSON.iter().any(|(m, p, _)| m == method && p == path);
            assert!(
                skipped || called.contains(&(method.clone(), path.clone())),
                "{method} {path} is documented but the walk never calls it"
            );
        }
    }
}

#[test]
fn every_documented_example_has_exactly_its_schemas_fields() {
    let doc: Value = serde_json::from_str(omnibridge::openapi::json()).unwrap();
    let schemas = Schemas { doc: &doc };
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses {
                let response = schemas.resolve(response);
                let Some(content) = response["content"]["application/json"].as_object() else {
                    continue;
                };
                let examples = content.get("example").into_iter().chain(
                    content
                        .get("examples")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flat_map(|e| e.values().map(|x| &x["value"])),
                );
                for example in examples {
                    let at = format!("{method} {path} {status}");
                    if let Err(e) = schemas.check(&content["schema"], example, &at) {
                        panic!("the documented example does not match: {e}");
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10, "only {checked} examples found");
}

#[test]
fn the_check_refuses_an_undocumented_or_missing_field() {
    let doc = json!({"components": {"schemas": {"Thing": {
        "type": "object", "required": ["id"],
        "properties": {"id": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}},
    }}}});
    let schemas = Schemas { doc: &doc };
    let thing = json!({"$ref": "#/components/schemas/Thing"});
    assert!(schemas
        .check(&thing, &json!({"id": 1, "tags": ["a"]}), "t")
        .is_ok());
    assert!(schemas
        .check(&thing, &json!({"id": 1, "extra": 2}), "t")
        .is_err());
    assert!(schemas.check(&thing, &json!({"tags": []}), "t").is_err());
    assert!(schemas.check(&thing, &json!({"id": "1"}), "t").is_err());
    assert!(schemas
        .check(&thing, &json!({"id": 1, "tags": [3]}), "t")
        .is_err());
}
