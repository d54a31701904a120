use omnibridge::domain::permission::Permission;
use omnibridge::services::admin;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Encoding, FakeChatServer, TestApp};

async fn notifications(app: &TestApp, key: &str, query: &str) -> Value {
    let a = app
        .agent_call(Method::GET, &format!("notification{query}"), key, None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

fn kinds(list: &Value) -> Vec<(String, bool)> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["is_read"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_agent_hears_of_new_and_missed_chats_and_reading_marks_them_read() {
    let app = spawn_app().await;
    let (_, alice) = app.agent("Alice", &Permission::ALL);
    let (_, bob) = app.agent("Bob", &[Permission::TicketRead]);

    let a = app.send_message("session-note-001", "Anyone?").await;
    let ticket = a.body["ticketID"].as_i64().unwrap();
    let a = app
        .post(
            "notifyUserEndChat",
            &app.session_form("session-note-001"),
            Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    // Newest first; the first read shows them unread and marks them read.
    let first = notifications(&app, &alice, "").await;
    assert_eq!(first["itemTotal"], 2, "{first}");
    assert_eq!(
        kinds(&first),
        [("missed_chat".into(), false), ("new_chat".into(), false)]
    );
    assert_eq!(first["items"][0]["ticket_id"], ticket);
    assert!(first["items"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("Missed chat"));
    assert_eq!(
        kinds(&notifications(&app, &alice, "").await),
        [("missed_chat".into(), true), ("new_chat".into(), true)]
    );
    assert_eq!(
        notifications(&app, &alice, "?unreadOnly=true").await["itemTotal"],
        0
    );

    // Bob's are his own: still unread.
    assert_eq!(
        notifications(&app, &bob, "?unreadOnly=true").await["itemTotal"],
        2
    );

    // setIsRead turns them back (only Alice's own: Bob's ids are left alone).
    let ids: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    let bobs = notifications(&app, &bob, "").await;
    let bob_id = bobs["items"][0]["id"].as_i64().unwrap();
    let a = app
        .agent_call(
            Method::PUT,
            "notification/setIsRead",
            &alice,
            Some(json!({"notificationIDs": [ids[0], bob_id], "isRead": false})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["updated"], 1, "{}", a.body);
    assert_eq!(
        notifications(&app, &alice, "?unreadOnly=true").await["itemTotal"],
        1
    );
    let a = app
        .agent_call(
            Method::PUT,
            "notification/setIsRead",
            &alice,
            Some(json!({"notificationIDs": "x1"})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("notificationIDs"), ["list"], "{}", a.body);
    let a = app
        .agent_call(
            Method::PUT,
            "notification/setIsRead",
            &alice,
            Some(json!({"notificationIDs": ""})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("notificationIDs"), ["length"], "{}", a.body);

    // A key that acts as nobody has no notifications.
    let anonymous = admin::create_api_key(&app.db, app.tenant_id, &[Permission::TicketRead])
        .unwrap()
        .key;
    let a = app
        .agent_call(Method::GET, "notification", &anonymous, None)
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("apiKey"), ["agent"], "{}", a.body);
}

#[tokio::test]
async fn the_author_hears_when_a_reply_can_never_be_delivered() {
    let app = spawn_app().await;
    // A chat server that refuses every call: the test settings give up after 8 attempts.
    let chat = FakeChatServer::start(usize::MAX);
    let account = admin::create_chat_account(
        &app.db,
        app.tenant_id,
        &admin::ChatAccountOptions::named("Refusing"),
    )
    .unwrap();
    let form = vec![
        ("chatServer", chat.base.clone()),
        ("chatSessionID", "session-note-002".to_owned()),
        ("chatAccountToken", account.token.clone()),
        ("message", "Hello?".to_owned()),
    ];
    let a = app
        .post("notifyUserNewChatMessage", &form, Encoding::Multipart)
        .await;
    let ticket = a.body["ticketID"].as_i64().unwrap();
    let (_, alice) = app.agent("Alice", &Permission::ALL);
    let (_, bob) = app.agent("Bob", &Permission::ALL);
    let a = app
        .agent_call(
            Method::POST,
            "message",
            &alice,
            Some(json!({"ticketID": ticket, "type": 8, "message": "We are here."})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let list = notifications(&app, &alice, "?unreadOnly=true").await;
        if let Some(n) = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "reply_failed")
        {
            assert_eq!(n["ticket_id"], ticket);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{list}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Only the author hears of it.
    let bobs = notifications(&app, &bob, "").await;
    assert!(
        kinds(&bobs).iter().all(|(k, _)| k != "reply_failed"),
        "{bobs}"
    );
}

#[tokio::test]
async fn agents_hear_once_of_a_chat_that_waits_too_long() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Options {
        wait_alert_seconds: 1,
        ..crate::helpers::Options::default()
    })
    .await;
    let (_, alice) = app.agent("Alice", &Permission::ALL);
    let a = app
        .send_message("session-note-003", "Hello? Still there?")
        .await;
    let waiting = a.body["ticketID"].as_i64().unwrap();
    // A chat picked up at once never counts.
    let a = app.send_message("session-note-004", "Quick question").await;
    let picked = a.body["ticketID"].as_i64().unwrap();
    let a = app
        .agent_call(
            Method::POST,
            "message",
            &alice,
            Some(json!({"ticketID": picked, "type": 8, "message": "Yes, go ahead."})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let alert = loop {
        let list = notifications(&app, &alice, "?unreadOnly=true").await;
        if let Some(n) = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "waiting_too_long")
        {
            break n.clone();
        }
        assert!(std::time::Instant::now() < deadline, "{list}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(alert["ticket_id"], waiting);
    // Once: seconds later there is still only the one.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM notifications WHERE kind = 'waiting_too_long'"),
        1
    );
}

#[tokio::test]
async fn a_backlog_of_waiting_chats_is_alerted_a_batch_at_a_time_and_all_of_it() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Options {
        wait_alert_seconds: 1,
        ..crate::helpers::Options::default()
    })
    .await;
    app.agent("Alice", &Permission::ALL);
    // More than one batch (100) of chats waiting at once.
    for i in 0..130 {
        let a = app
            .send_message(&format!("session-backlog-{i:04}"), "Anyone?")
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let alerted = "SELECT COUNT(*) AS n FROM notifications WHERE kind = 'waiting_too_long'";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.count(alerted) < 130 {
        assert!(
            std::time::Instant::now() < deadline,
            "{} of 130 alerted",
            app.count(alerted)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Once each.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.count(alerted), 130);
}
