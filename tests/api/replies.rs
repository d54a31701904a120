use std::time::{Duration, Instant};

use omnibridge::domain::permission::Permission;
use omnibridge::services::admin::{self, ChatAccountOptions};
use omnibridge::services::delivery::sign;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Encoding, FakeChatServer, TestApp};

/// A chat account whose secret the test knows, and a waiting chat on `chat_server`.
async fn chat_on(app: &TestApp, chat_server: &str, session: &str) -> (String, i64) {
    let created = admin::create_chat_account(
        &app.db,
        app.tenant_id,
        &ChatAccountOptions {
            token: Some("replieswidget01".into()),
            ..ChatAccountOptions::named("Replies")
        },
    )
    .unwrap();
    let form = vec![
        ("chatServer", chat_server.to_owned()),
        ("chatSessionID", session.to_owned()),
        ("chatAccountToken", created.token.clone()),
        ("message", "Where is my order?".to_owned()),
    ];
    let a = app
        .post("notifyUserNewChatMessage", &form, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    (created.secret, a.body["ticketID"].as_i64().unwrap())
}

async fn reply(
    app: &TestApp,
    key: &str,
    ticket: i64,
    kind: Value,
    text: &str,
) -> crate::helpers::Answer {
    app.agent_call(
        Method::POST,
        "message",
        key,
        Some(json!({"ticketID": ticket, "type": kind, "message": text})),
    )
    .await
}

/// The delivery state of the ticket's first agent message, as the timeline shows it.
async fn delivery_of(app: &TestApp, key: &str, ticket: i64) -> Value {
    let t = app
        .agent_call(
            Method::GET,
            &format!("ticket/{ticket}?getTicketHistory=true"),
            key,
            None,
        )
        .await;
    t.body["item"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["author"] == "agent")
        .map(|e| e["delivery"].clone())
        .unwrap_or(Value::Null)
}

async fn wait_for_state(app: &TestApp, key: &str, ticket: i64, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let d = delivery_of(app, key, ticket).await;
        if d["state"] == state {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "delivery never became {state}: {d}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reply_reaches_the_chat_server_signed_after_its_first_answers_fail() {
    let app = spawn_app().await;
    let chat = FakeChatServer::start(2);
    let (secret, ticket) = chat_on(&app, &chat.base, "session-reply-01").await;
    let (alice, key) = app.agent("Alice", &Permission::ALL);

    let a = reply(&app, &key, ticket, json!(8), "It ships tomorrow.").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["type"], "reply");
    assert_eq!(a.body["item"]["delivery"]["state"], "queued");

    let d = wait_for_state(&app, &key, ticket, "delivered").await;
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["last_status"], 200);
    let requests = chat.requests();
    assert_eq!(requests.len(), 3);
    for (headers, body) in &requests {
        assert_eq!(
            headers
                .get("x-omnibridge-signature")
                .unwrap()
                .to_str()
                .unwrap(),
            sign(&secret, body.as_bytes())
        );
        assert_eq!(
            headers
                .get("x-omnibridge-delivery")
                .unwrap()
                .to_str()
                .unwrap(),
            d["id"].to_string()
        );
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["message"], "It ships tomorrow.");
        assert_eq!(body["chatSessionID"], "session-reply-01");
        assert_eq!(body["ticketID"], ticket);
        assert_eq!(body["agent"]["id"], alice);
    }
    // Replying picked the chat up.
    let t = app
        .agent_call(Method::GET, &format!("ticket/{ticket}"), &key, None)
        .await;
    assert_eq!(t.body["item"]["chat_state"], "active");
}

#[tokio::test]
async fn a_note_is_stored_and_never_sent() {
    let app = spawn_app().await;
    let chat = FakeChatServer::start(0);
    let (_, ticket) = chat_on(&app, &chat.base, "session-reply-02").await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let a = reply(&app, &key, ticket, json!("note"), "Customer is a VIP").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["type"], "note");
    assert!(a.body["item"]["delivery"].is_null());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(chat.requests().is_empty());
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM deliveries"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE author = 'note'"),
        1
    );
    // A note does not pick the chat up.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM chat_sessions WHERE state = 'waiting'"),
        1
    );
}

#[tokio::test]
async fn a_pending_delivery_survives_a_restart_of_omnibridge_and_of_the_chat_server() {
    let mut app = spawn_app().await;
    // The chat server hangs: its port takes connections that nobody answers, so every attempt
    // times out. (Keeping the socket, rather than freeing the port, means no other test can
    // take it before the chat server comes back on it.)
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hanging.local_addr().unwrap().port();
    let (_, ticket) = chat_on(
        &app,
        &format!("http://127.0.0.1:{port}"),
        "session-reply-03",
    )
    .await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    assert_eq!(
        reply(&app, &key, ticket, json!(8), "Are you still there?")
            .await
            .status,
        200
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while delivery_of(&app, &key, ticket).await["attempts"]
        .as_i64()
        .unwrap_or(0)
        < 1
    {
        assert!(Instant::now() < deadline, "no attempt was made");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = delivery_of(&app, &key, ticket).await;
    assert_eq!(before["state"], "queued");
    assert!(before["last_error"].is_string());

    app.restart().await;
    let chat = FakeChatServer::start_on(hanging, 0);
    let d = wait_for_state(&app, &key, ticket, "delivered").await;
    assert!(d["attempts"].as_i64().unwrap() >= 2, "{d}");
    // At least once: requests of timed-out attempts may still be read from the socket's
    // backlog, but they are all the same delivery.
    let requests = chat.requests();
    assert!(!requests.is_empty());
    for (headers, body) in &requests {
        assert!(body.contains("Are you still there?"));
        assert_eq!(
            headers
                .get("x-omnibridge-delivery")
                .unwrap()
                .to_str()
                .unwrap(),
            d["id"].to_string()
        );
    }
}

#[tokio::test]
async fn replies_are_checked_before_anything_is_stored() {
    let app = spawn_app().await;
    let (_, ticket) = chat_on(&app, "http://127.0.0.1:9", "session-reply-04").await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let short = reply(&app, &key, ticket, json!(8), "hi").await;
    assert_eq!(short.status, 400);
    assert_eq!(short.field_codes("message"), vec!["length"]);
    let email = reply(&app, &key, ticket, json!(1), "An e-mail reply").await;
    assert_eq!(email.status, 400, "{}", email.body);
    let unknown = reply(&app, &key, 999_999, json!(8), "Hello there").await;
    assert_eq!(unknown.status, 404);
    let (_, reader) = app.agent("Reader", &[Permission::TicketRead]);
    let forbidden = reply(&app, &reader, ticket, json!(8), "Hello there").await;
    assert_eq!(forbidden.status, 403);
    assert!(forbidden.body["message"]
        .as_str()
        .unwrap()
        .contains("MESSAGE_CREATE"));
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM deliveries"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE author <> 'customer'"),
        0
    );
}
