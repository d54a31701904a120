//! Each documented example request (fixtures/chat/), sent as the documentation sends it.

use base64::Engine;
use serde_json::Value;

use crate::helpers::{answer, spawn_app, Encoding, TestApp, ENCODINGS};

fn fixtures(token: &str) -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/chat");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures/chat")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 9, "one fixture per endpoint");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p)
                .unwrap()
                .replace("{{chatAccountToken}}", token);
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn send(app: &TestApp, fixture: &Value, encoding: Encoding) -> crate::helpers::Answer {
    let endpoint = fixture["endpoint"].as_str().unwrap();
    if fixture["method"] == "GET" {
        let r = app
            .client
            .get(app.url(endpoint))
            .header("apiKey", &app.api_key)
            .send()
            .await
            .unwrap();
        return answer(r).await;
    }
    let body = fixture["body"].as_object().unwrap();
    if let Some(query) = fixture["query"].as_object() {
        // addAttachment: the file as a multipart file part, or base64 as documented.
        let query: Vec<(String, String)> =
            query.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        let request = app
            .client
            .post(app.url(endpoint))
            .header("apiKey", &app.api_key)
            .query(&query);
        let file = text(&body["file"]);
        let request = match encoding {
            Encoding::Multipart => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(&file)
                    .unwrap();
                let part = reqwest::multipart::Part::bytes(bytes).file_name("example.bin");
                request.multipart(reqwest::multipart::Form::new().part("file", part))
            }
            Encoding::UrlEncoded => request.form(&[("file", file)]),
            Encoding::Json => request.json(fixture["body"].as_object().unwrap()),
        };
        return answer(request.send().await.unwrap()).await;
    }
    if encoding == Encoding::Json {
        let r = app
            .client
            .post(app.url(endpoint))
            .header("apiKey", &app.api_key)
            .json(body)
            .send()
            .await
            .unwrap();
        return answer(r).await;
    }
    let form: Vec<(&str, String)> = body.iter().map(|(k, v)| (k.as_str(), text(v))).collect();
    app.post(endpoint, &form, encoding).await
}

#[tokio::test]
async fn every_documented_example_request_succeeds_on_every_content_type() {
    for encoding in ENCODINGS {
        let app = spawn_app().await;
        for (name, fixture) in fixtures(&app.chat_token) {
            let a = send(&app, &fixture, encoding).await;
            assert_eq!(a.status, 200, "{name} as {encoding:?}: {}", a.body);
            assert!(a.body["type"].is_string(), "{name}: {}", a.body);
        }
        // The example chat became one ticket with its message, event, visit, file and end.
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 1);
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 1);
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM attachments WHERE size_bytes = 5"),
            1
        );
        assert_eq!(app.count("SELECT COUNT(*) AS n FROM chat_events"), 3);
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM chat_sessions WHERE state = 'ended'"),
            1
        );
    }
}
