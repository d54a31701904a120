//! `/metrics`, scraped as Prometheus does: off by default, behind its bearer token, and every
//! figure the README lists is there and moves with what happens.

use omnibridge::domain::permission::Permission;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, EventStream, Options, TestApp};

const TOKEN: &str = "scrape-token-0123456789abcdef";

async fn scrape(app: &TestApp, token: Option<&str>) -> (u16, String, String) {
    let mut request = app.client.get(format!("{}/metrics", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The value of the sample with exactly this name and these labels, if the scrape has it.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.rsplit_once(' ').is_some_and(|(s, _)| s == series))
        .and_then(|l| l.rsplit_once(' ').unwrap().1.parse().ok())
}

#[tokio::test]
async fn metrics_are_off_by_default_and_behind_their_token() {
    let app = spawn_app().await;
    assert_eq!(scrape(&app, Some(TOKEN)).await.0, 404);
    let app = spawn_app_with(Options {
        metrics_token: TOKEN.into(),
        ..Options::default()
    })
    .await;
    assert_eq!(scrape(&app, None).await.0, 401);
    assert_eq!(scrape(&app, Some("wrong-token")).await.0, 401);
    let (status, content_type, _) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
}

#[tokio::test]
async fn a_scrape_shows_requests_the_database_the_queues_and_the_process() {
    let app = spawn_app_with(Options {
        metrics_token: TOKEN.into(),
        ..Options::default()
    })
    .await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    // A waiting chat, a reply to another chat queued for its (absent) chat server, a mail.
    let waiting = app
        .send_message("session-metrics-01", "Hello, anyone?")
        .await;
    assert_eq!(waiting.status, 200);
    let answered = app.send_message("session-metrics-02", "Hello again").await;
    let ticket = answered.body["ticketID"].as_i64().unwrap();
    let reply = json!({"ticketID": ticket, "type": 8, "message": "We are here."});
    let a = app
        .agent_call(Method::POST, "message", &key, Some(reply))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    for _ in 0..3 {
        app.agent_call(Method::GET, &format!("ticket/{ticket}"), &key, None)
            .await;
    }
    let _stream = EventStream::open(&app.address, &key).await;

    let (_, _, text) = scrape(&app, Some(TOKEN)).await;
    let requests = sample(
        &text,
        r#"omnibridge_http_requests_total{method="GET",route="/api/v2/ticket/{id}",status="200"}"#,
    );
    assert_eq!(requests, Some(3.0), "{text}");
    let latency = sample(
        &text,
        r#"omnibridge_http_request_duration_seconds_count{method="GET",route="/api/v2/ticket/{id}"}"#,
    );
    assert_eq!(latency, Some(3.0), "{text}");
    let account = app.count("SELECT MIN(id) AS n FROM chat_accounts");
    let series = format!(r#"omnibridge_chats_waiting{{chat_account="{account}"}}"#);
    assert_eq!(sample(&text, &series), Some(1.0), "{text}");
    assert_eq!(
        sample(&text, "omnibridge_event_streams_open"),
        Some(1.0),
        "{text}"
    );
    // The reply's delivery: queued, or already failed over to a retry (its chat server is
    // nowhere): either way one of them counts it.
    let deliveries: f64 = text
        .lines()
        .filter(|l| l.starts_with("omnibridge_deliveries{"))
        .filter_map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().ok())
        .sum();
    assert_eq!(deliveries, 1.0, "{text}");
    assert!(text.contains("omnibridge_mails"), "{text}");
    let waits = sample(&text, "omnibridge_db_pool_wait_seconds_count").unwrap_or(0.0);
    assert!(waits > 0.0, "{text}");
    assert!(sample(&text, "omnibridge_db_pool_connections").unwrap_or(0.0) >= 1.0);
    if !app.is_postgres() {
        let batches = sample(&text, "omnibridge_sqlite_write_batch_size_count").unwrap_or(0.0);
        assert!(batches >= 3.0, "{text}");
        // Writes waiting for the writer: none once it has caught up (the delivery worker may
        // have one queued at any moment, so scrape until it reads 0; a depth never given back
        // would never get there).
        let mut depth = sample(&text, "omnibridge_sqlite_write_queue_depth");
        for _ in 0..50 {
            if depth == Some(0.0) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let (_, _, again) = scrape(&app, Some(TOKEN)).await;
            depth = sample(&again, "omnibridge_sqlite_write_queue_depth");
        }
        assert_eq!(depth, Some(0.0));
    }
    assert!(
        sample(&text, "process_resident_memory_bytes").unwrap_or(0.0) > 1e6,
        "{text}"
    );
    assert!(
        sample(&text, "process_open_fds").unwrap_or(0.0) > 0.0,
        "{text}"
    );
    // Paths no route takes are one series, whatever they are.
    for path in ["/nothing/1", "/nothing/2"] {
        app.client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
    }
    let (_, _, text) = scrape(&app, Some(TOKEN)).await;
    let unmatched = sample(
        &text,
        r#"omnibridge_http_requests_total{method="GET",route="unmatched",status="404"}"#,
    );
    assert_eq!(unmatched, Some(2.0), "{text}");
}
