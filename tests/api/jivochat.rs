//! JivoChat's webhooks, with the reference's documented payloads (`fixtures/jivochat/`), each
//! sent twice: JivoChat retries, and a retry must change nothing.

use omnibridge::domain::permission::Permission;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{answer, spawn_app, spawn_app_with, Answer, Options, TestApp};
use crate::inbound_mail::{messages, ticket};

fn payload(name: &str) -> Value {
    let path = format!(
        "{}/fixtures/jivochat/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

async fn webhook_token(app: &TestApp, key: &str) -> (i64, String) {
    let a = app.agent_call(Method::GET, "chatAccount", key, None).await;
    let account = &a.body["items"][0];
    (
        account["id"].as_i64().unwrap(),
        account["webhook_token"].as_str().unwrap().to_owned(),
    )
}

async fn hook(app: &TestApp, token: &str, body: &Value) -> Answer {
    let response = app
        .client
        .post(format!("{}/api/v2/jivochat/{token}", app.address))
        .json(body)
        .send()
        .await
        .expect("request sent");
    answer(response).await
}

/// Every row count that a repeated webhook must leave as it was.
fn counts(app: &TestApp) -> Vec<i64> {
    [
        "tickets",
        "customers",
        "chat_sessions",
        "messages",
        "ticket_events",
        "chat_events",
        "notifications",
        "mails",
    ]
    .iter()
    .map(|t| app.count(&format!("SELECT COUNT(*) AS n FROM {t}")))
    .collect()
}

/// Sends the event twice: both answered `ok`, the second changing nothing.
async fn twice(app: &TestApp, token: &str, body: &Value) -> Answer {
    let first = hook(app, token, body).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let before = counts(app);
    let second = hook(app, token, body).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body, first.body);
    assert_eq!(counts(app), before, "{} twice", body["event_name"]);
    first
}

fn events_of(t: &Value, kind: &str) -> Vec<Value> {
    t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "event" && e["event"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_jivochat_chats_whole_life_becomes_tickets_of_the_right_customer() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let (_, token) = webhook_token(&app, &key).await;

    // Accepted: the ticket opens, picked up; the answer is the customer's card.
    let accepted = twice(&app, &token, &payload("chat_accepted")).await;
    let documented = payload("chat_accepted.response");
    assert_eq!(accepted.body["result"], documented["result"]);
    assert_eq!(
        accepted.body["contact_info"], documented["contact_info"],
        "{}",
        accepted.body
    );
    let card = accepted.body["custom_data"].as_array().unwrap();
    assert!(card
        .iter()
        .all(|f| f["title"].is_string() && f["content"].is_string()));
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 1);
    let chat = app.count("SELECT id AS n FROM tickets");
    let t = ticket(&app, &key, chat).await;
    assert_eq!(t["channel_id"], 8);
    assert_eq!(t["chat_state"], "active", "{t}");
    assert_eq!(
        events_of(&t, "agent")[0]["to"],
        "Thomas Anderson <agent@jivosite.com>"
    );
    assert_eq!(events_of(&t, "department")[0]["to"], "Sales");
    let visitor = events_of(&t, "visitor")[0]["to"]
        .as_str()
        .unwrap()
        .to_owned();
    for part in [
        "208.80.152.201",
        "San Francisco",
        "utm: source=google",
        "Chrome/54",
    ] {
        assert!(visitor.contains(part), "{visitor}");
    }
    assert_eq!(events_of(&t, "visited")[0]["url"], "http://example.com/");

    // Updated and assigned: the same chat; nothing new to record.
    let mut updated = payload("chat_updated");
    updated["chat_id"] = json!(3537);
    twice(&app, &token, &updated).await;
    let mut assigned = payload("chat_assigned");
    assigned["chat_id"] = json!(3537);
    assigned["department"]["name"] = json!("Support");
    twice(&app, &token, &assigned).await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 1);
    let t = ticket(&app, &key, chat).await;
    let departments: Vec<Value> = events_of(&t, "department")
        .iter()
        .map(|e| e["to"].clone())
        .collect();
    assert_eq!(departments, [json!("Sales"), json!("Support")]);

    // Finished, with the log's texts: the messages, the rating, the end.
    let mut finished = payload("chat_finished_with_texts");
    finished["chat_id"] = json!(3537);
    twice(&app, &token, &finished).await;
    let t = ticket(&app, &key, chat).await;
    let m = messages(&t);
    let said: Vec<(&str, &str)> = m
        .iter()
        .map(|m| {
            (
                m["author"].as_str().unwrap(),
                m["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(said.len(), 4, "{t}");
    assert_eq!(said[0].0, "customer");
    assert!(said[0].1.starts_with("Hello, I paid for order 4711"));
    assert_eq!(said[1].0, "agent");
    assert_eq!(m[0]["created_at"], "2015-05-18T13:16:50.000Z", "{t}");
    assert_eq!(t["chat_state"], "ended", "{t}");
    assert_eq!(events_of(&t, "rating")[0]["to"], "positive");
    assert_eq!(events_of(&t, "ended").len(), 1);

    // The documented chat_updated, chat_assigned and chat_finished, as they are: chats of
    // their own, of the same customer.
    twice(&app, &token, &payload("chat_updated")).await;
    twice(&app, &token, &payload("chat_assigned")).await;
    twice(&app, &token, &payload("chat_finished")).await;
    // An offline message and a call: tickets of the same customer.
    twice(&app, &token, &payload("offline_message")).await;
    twice(&app, &token, &payload("call_event")).await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 6);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 1);
    let customer = app.count("SELECT MIN(customer_id) AS n FROM tickets");
    let c = app
        .agent_call(Method::GET, &format!("customer/{customer}"), &key, None)
        .await;
    assert_eq!(c.body["item"]["email"], "email@example.com", "{}", c.body);
    assert_eq!(c.body["item"]["phone"], "+14084987855");

    let offline = app.count("SELECT ticket_id AS n FROM messages WHERE body = 'Message text'");
    let t = ticket(&app, &key, offline).await;
    assert_eq!(t["chat_state"], "ended", "{t}");
    assert_eq!(messages(&t).len(), 1);
    let call = app.count("SELECT ticket_id AS n FROM ticket_events WHERE kind = 'call'");
    let t = ticket(&app, &key, call).await;
    assert_eq!(
        events_of(&t, "call")[0]["to"],
        "callback end http://example.com/record.mp3"
    );
    let mut ringing = payload("call_event");
    ringing["call"]["status"] = json!("start");
    ringing["call"]
        .as_object_mut()
        .unwrap()
        .remove("record_url");
    twice(&app, &token, &ringing).await;
    assert_eq!(events_of(&ticket(&app, &key, call).await, "call").len(), 2);

    // The next chat knows the customer: their open tickets are on the card.
    let mut next = payload("chat_accepted");
    next["chat_id"] = json!(9999);
    let card = hook(&app, &token, &next).await;
    let text = card.body["custom_data"].to_string();
    assert!(text.contains(&format!("#{offline}")), "{text}");
}

#[tokio::test]
async fn a_visitor_without_contacts_is_known_by_their_jivochat_number() {
    let app = spawn_app_with(Options {
        public_url: "https://help.acme.example/".into(),
        ..Options::default()
    })
    .await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let (_, token) = webhook_token(&app, &key).await;
    hook(&app, &token, &payload("chat_accepted")).await;
    let mut anonymous = payload("chat_accepted");
    anonymous["chat_id"] = json!(4000);
    anonymous["visitor"] = json!({"number": "2846", "chats_count": 10});
    let a = hook(&app, &token, &anonymous).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["contact_info"]["email"], "email@example.com",
        "{}",
        a.body
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 2);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 1);
    // The card links the customer's tickets in the console.
    let customer = app.count("SELECT MIN(id) AS n FROM customers");
    assert_eq!(
        a.body["crm_link"],
        format!("https://help.acme.example/tickets?customer={customer}")
    );

    // Another chat account's visitor 2846 is someone else: JivoChat numbers per account.
    let options = omnibridge::services::admin::ChatAccountOptions::named("Second shop");
    let second =
        omnibridge::services::admin::create_chat_account(&app.db, app.tenant_id, &options).unwrap();
    anonymous["chat_id"] = json!(4001);
    let a = hook(&app, &second.webhook_token, &anonymous).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body["contact_info"]["email"].is_null(), "{}", a.body);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 2);
}

#[tokio::test]
async fn the_webhook_token_is_the_credential_and_can_be_rotated() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let (account, token) = webhook_token(&app, &key).await;
    assert!(token.len() > 40, "{token}");
    let body = payload("chat_accepted");

    for wrong in [
        format!("{token}x"),
        format!("{account}-"),
        "nothing".to_owned(),
        format!("{}-{}", account + 1, token.split_once('-').unwrap().1),
    ] {
        let a = hook(&app, &wrong, &body).await;
        assert_eq!(a.status, 404, "{wrong}: {}", a.body);
        assert!(a.body["result"].as_str().unwrap().starts_with("error"));
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 0);

    // Malformed: JivoChat's error form; unknown events: ok.
    let a = app
        .client
        .post(format!("{}/api/v2/jivochat/{token}", app.address))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let a = answer(a).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.body["result"].as_str().unwrap().starts_with("error"),
        "{}",
        a.body
    );
    let a = hook(
        &app,
        &token,
        &json!({"event_name": "chat_accepted", "visitor": {}}),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.body["result"].as_str().unwrap().contains("chat_id"),
        "{}",
        a.body
    );
    let a = hook(&app, &token, &json!({"event_name": "client_updated"})).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({"result": "ok"})));

    // Rotated: the old URL stops at once, the new one works.
    let a = app
        .agent_call(
            Method::PUT,
            &format!("chatAccount/{account}"),
            &key,
            Some(json!({"rotateWebhookToken": true})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let rotated = a.body["item"]["webhook_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, token);
    assert_eq!(hook(&app, &token, &body).await.status, 404);
    assert_eq!(hook(&app, &rotated, &body).await.status, 200);

    // A JivoChat chat is answered in JivoChat, or by e-mail: not through a chat server.
    let chat = app.count("SELECT id AS n FROM tickets");
    let a = app
        .agent_call(
            Method::POST,
            "message",
            &key,
            Some(json!({"ticketID": chat, "type": 8, "message": "Hello from omnibridge"})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    let a = app
        .agent_call(
            Method::POST,
            "message",
            &key,
            Some(json!({"ticketID": chat, "type": 1, "message": "Following up by e-mail"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["delivery"]["channel"], "email", "{}", a.body);
    assert_eq!(
        a.body["item"]["delivery"]["to"], "email@example.com",
        "{}",
        a.body
    );
}

#[tokio::test]
async fn a_jivochat_department_sends_its_chat_to_the_group_of_that_name() {
    let app = spawn_app().await;
    let (alice, key) = app.agent("Alice", &Permission::ALL);
    let (bob, _) = app.agent("Bob", &Permission::ALL);
    let a = app
        .agent_call(
            Method::POST,
            "group",
            &key,
            Some(json!({"name": "sales", "userIDs": [alice]})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let sales = a.body["item"]["id"].as_i64().unwrap();
    let (_, token) = webhook_token(&app, &key).await;
    // The fixture's department is "Sales": the group's name in another case.
    let accepted = hook(&app, &token, &payload("chat_accepted")).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let chat = app.count("SELECT id AS n FROM tickets");
    let t = ticket(&app, &key, chat).await;
    assert_eq!(t["assigned_group_id"], sales, "{t}");
    let told = |user: i64| {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {user} AND ticket_id = {chat}"
        ))
    };
    assert_eq!((told(alice), told(bob)), (1, 0));
}
