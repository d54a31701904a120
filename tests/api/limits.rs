use omnibridge::config::LimitSettings;
use omnibridge::domain::permission::Permission;
use serde_json::Value;

use crate::helpers::{spawn_app_with, Encoding, Options, TestApp};

fn limits(key: (u32, u32), address: (u32, u32), chat_servers: bool) -> Options {
    Options {
        limits: LimitSettings {
            key_per_second: key.0,
            key_burst: key.1,
            address_per_second: address.0,
            address_burst: address.1,
            chat_servers,
        },
        ..Options::default()
    }
}

/// `GET /api/v2/ticket` with this key: its status, `Retry-After` and body.
async fn tickets(app: &TestApp, key: &str) -> (u16, Option<u64>, Value) {
    let response = app
        .client
        .get(format!("{}/api/v2/ticket", app.address))
        .header("apiKey", key)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("Retry-After")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, response.json().await.unwrap())
}

/// Sends until the first `429` (at most 20 requests): how many went through before it, and
/// the `429`'s `Retry-After` and body.
async fn until_refused(app: &TestApp, key: &str, admitted: u16) -> (usize, u64, Value) {
    for sent in 0..20 {
        let (status, retry, body) = tickets(app, key).await;
        if status == 429 {
            return (sent, retry.expect("Retry-After on a 429"), body);
        }
        assert_eq!(status, admitted, "{body}");
    }
    panic!("20 requests and no 429");
}

#[tokio::test]
async fn a_key_past_its_burst_is_answered_429_with_retry_after_and_other_keys_go_on() {
    // 1 per second, 3 at once; the addresses are not limited here.
    let app = spawn_app_with(limits((1, 3), (0, 0), true)).await;
    let (_, alice) = app.agent("Alice", &Permission::ALL);
    let (_, bob) = app.agent("Bob", &Permission::ALL);

    let (admitted, retry, body) = until_refused(&app, &alice, 200).await;
    // The burst, and one more if a second went by meanwhile.
    assert!((3..=4).contains(&admitted), "{admitted} admitted");
    assert_eq!(retry, 1);
    assert_eq!(body["status"], "error");
    assert_eq!(body["code"], "too_many_requests");
    assert!(
        body["message"].as_str().unwrap().contains("API key"),
        "{body}"
    );
    // Another key has a bucket of its own.
    assert_eq!(tickets(&app, &bob).await.0, 200);

    // A chat server's key is limited like any other.
    let form = |n: usize| {
        vec![
            ("chatServer", "chat.example.com".to_owned()),
            ("chatSessionID", "session-limits-01".to_owned()),
            ("chatAccountToken", app.chat_token.clone()),
            ("message", format!("Message number {n}")),
        ]
    };
    let mut statuses = Vec::new();
    for n in 0..6 {
        let a = app
            .post("notifyUserNewChatMessage", &form(n), Encoding::Multipart)
            .await;
        statuses.push(a.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(statuses[0], 200);
}

#[tokio::test]
async fn an_address_past_its_burst_is_answered_429_even_with_wrong_keys() {
    let app = spawn_app_with(limits((0, 0), (1, 2), true)).await;
    let (admitted, retry, body) = until_refused(&app, "wrong-key", 401).await;
    assert!((2..=3).contains(&admitted), "{admitted} admitted");
    assert_eq!(retry, 1);
    assert_eq!(body["code"], "too_many_requests");
    assert!(
        body["message"].as_str().unwrap().contains("client address"),
        "{body}"
    );
}

#[tokio::test]
async fn chat_servers_keys_can_be_let_through_while_agents_keys_are_limited() {
    let app = spawn_app_with(limits((1, 2), (1, 2), false)).await;
    for n in 0..8 {
        let form = vec![
            ("chatServer", "chat.example.com".to_owned()),
            ("chatSessionID", "session-limits-02".to_owned()),
            ("chatAccountToken", app.chat_token.clone()),
            ("message", format!("Message number {n}")),
        ];
        let a = app
            .post("notifyUserNewChatMessage", &form, Encoding::Multipart)
            .await;
        assert_eq!(a.status, 200, "message {n}: {}", a.body);
    }
    // The agent's requests are limited (its key's bucket holds 2, and the address's bucket
    // gave one request to the chat server's first, before its key was known).
    let (_, alice) = app.agent("Alice", &Permission::ALL);
    let (admitted, _, _) = until_refused(&app, &alice, 200).await;
    assert!((1..=3).contains(&admitted), "{admitted} admitted");
}
