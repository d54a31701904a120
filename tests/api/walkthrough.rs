//! Issue 3's "done when", in one go: a chat server's chat becomes a ticket with a file; an
//! agent finds it through a view, reads its history, downloads the file, replies, and the
//! reply arrives at the chat server, signed.

use std::time::{Duration, Instant};

use omnibridge::domain::permission::Permission;
use omnibridge::services::admin::{self, ChatAccountOptions};
use omnibridge::services::delivery::sign;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Encoding, FakeChatServer};

#[tokio::test]
async fn an_agent_finds_a_chat_through_a_view_reads_it_downloads_its_file_and_replies() {
    let app = spawn_app().await;
    let chat = FakeChatServer::start(0);
    let account = admin::create_chat_account(
        &app.db,
        app.tenant_id,
        &ChatAccountOptions::named("Website"),
    )
    .unwrap();
    let session = "walkthrough-0001";

    // The chat server: a message, then a screenshot.
    let form = vec![
        ("chatServer", chat.base.clone()),
        ("chatSessionID", session.to_owned()),
        ("chatAccountToken", account.token.clone()),
        ("message", "My order 1234 arrived broken".to_owned()),
        ("userName", "Ann Example".to_owned()),
    ];
    let a = app
        .post("notifyUserNewChatMessage", &form, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let ticket = a.body["ticketID"].as_i64().unwrap();
    let png = [
        &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..],
        &[7u8; 2000][..],
    ]
    .concat();
    let response = app
        .client
        .post(app.url("addAttachment"))
        .header("apiKey", &app.api_key)
        .query(&[
            ("chatServer", chat.base.as_str()),
            ("chatSessionID", session),
            ("chatAccountToken", account.token.as_str()),
        ])
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(png.clone()).file_name("broken box.png"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // The agent's work list: unassigned waiting chats.
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let a = app
        .agent_call(
            Method::POST,
            "view",
            &key,
            Some(json!({"name": "Unassigned waiting chats", "conditions": [
                {"field": "chat_state", "operator": "is", "value": "waiting"},
                {"field": "assigned_user_id", "operator": "is_not_set"}],
                "sort": "created_at asc"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let view = a.body["item"]["id"].as_i64().unwrap();
    let a = app
        .agent_call(Method::GET, &format!("ticket?applyView={view}"), &key, None)
        .await;
    assert_eq!(a.body["itemTotal"], 1, "{}", a.body);
    assert_eq!(a.body["items"][0]["id"], ticket);

    // Its history, and the file in it.
    let a = app
        .agent_call(
            Method::GET,
            &format!("ticket/{ticket}?getTicketHistory=true"),
            &key,
            None,
        )
        .await;
    let timeline = a.body["item"]["timeline"].as_array().unwrap().clone();
    assert_eq!(timeline[0]["message"], "My order 1234 arrived broken");
    let file = timeline
        .iter()
        .find(|e| e["type"] == "attachment")
        .expect("the screenshot in the timeline");
    assert_eq!(file["file_name"], "broken box.png");
    let download = app
        .client
        .get(format!("{}{}", app.address, file["url"].as_str().unwrap()))
        .header("apiKey", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert_eq!(download.bytes().await.unwrap().to_vec(), png);

    // The reply, and its arrival.
    let a = app
        .agent_call(
            Method::POST,
            "message",
            &key,
            Some(
                json!({"ticketID": ticket, "type": 8, "message": "Sorry! A new one ships today."}),
            ),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let deadline = Instant::now() + Duration::from_secs(20);
    let (headers, body) = loop {
        if let Some(request) = chat.requests_to("/messageForCustomer").pop() {
            break request;
        }
        assert!(Instant::now() < deadline, "the reply never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        headers
            .get("x-omnibridge-signature")
            .unwrap()
            .to_str()
            .unwrap(),
        sign(&account.secret, body.as_bytes())
    );
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["chatSessionID"], session);
    assert_eq!(body["message"], "Sorry! A new one ships today.");
    // Replying picked the chat up: it left the waiting view.
    let a = app
        .agent_call(Method::GET, &format!("ticket?applyView={view}"), &key, None)
        .await;
    assert_eq!(a.body["itemTotal"], 0, "{}", a.body);
}
