use std::time::{Duration, Instant};

use omnibridge::domain::permission::Permission;
use omnibridge::services::admin::{self, ChatAccountOptions};
use omnibridge::services::delivery::sign;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Encoding, FakeChatServer, Options, TestApp};

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
    let ticket = another_chat(app, chat_server, session).await;
    (created.secret, ticket)
}

/// One more waiting chat of `chat_on`'s chat account.
async fn another_chat(app: &TestApp, chat_server: &str, session: &str) -> i64 {
    let form = vec![
        ("chatServer", chat_server.to_owned()),
        ("chatSessionID", session.to_owned()),
        ("chatAccountToken", "replieswidget01".to_owned()),
        ("message", "Where is my order?".to_owned()),
    ];
    let a = app
        .post("notifyUserNewChatMessage", &form, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["ticketID"].as_i64().unwrap()
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

/// Whether the ticket's delivery is out with the worker, after this many attempts recorded.
fn in_flight(app: &TestApp, ticket: i64, attempts: i32) -> bool {
    app.count(&format!(
        "SELECT COUNT(*) AS n FROM deliveries WHERE ticket_id = {ticket} \
         AND state = 'queued' AND lease_owner IS NOT NULL AND attempts = {attempts}"
    )) == 1
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_chat_server_that_never_answers_delays_no_other_chat_servers_replies() {
    // Long enough that the other chat server's reply is surely out before this one's call
    // times out, even on a busy machine.
    let app = spawn_app_with(Options {
        delivery_timeout_ms: 8000,
        ..Options::default()
    })
    .await;
    // Its port takes connections that nobody answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_base = format!("http://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let chat = FakeChatServer::start(0);
    let (_, stuck) = chat_on(&app, &silent_base, "session-silent-01").await;
    let fine = another_chat(&app, &chat.base, "session-fine-01").await;
    let (_, key) = app.agent("Alice", &Permission::ALL);

    let a = reply(&app, &key, stuck, json!(8), "Hello?").await;
    assert_eq!(a.status, 200, "{}", a.body);
    until("the silent chat server's delivery is sent", || {
        in_flight(&app, stuck, 0)
    })
    .await;
    let a = reply(&app, &key, fine, json!(8), "It ships tomorrow.").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let d = wait_for_state(&app, &key, fine, "delivered").await;
    assert_eq!(d["attempts"], 1);
    assert_eq!(chat.requests().len(), 1);
    // Delivered while the other one still waits for its answer: nothing waited for it.
    assert!(
        in_flight(&app, stuck, 0),
        "{}",
        delivery_of(&app, &key, stuck).await
    );

    // The silent one times out, is recorded as failed once, and is tried again.
    until("the silent chat server's delivery is tried again", || {
        in_flight(&app, stuck, 1)
    })
    .await;
    let d = delivery_of(&app, &key, stuck).await;
    assert_eq!(d["state"], "queued");
    assert!(d["last_status"].is_null(), "{d}");
    assert!(d["last_error"].is_string(), "{d}");
}

#[tokio::test]
async fn replies_are_checked_before_anything_is_stored() {
    let app = spawn_app().await;
    let (_, ticket) = chat_on(&app, "http://127.0.0.1:9", "session-reply-04").await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let short = reply(&app, &key, ticket, json!(8), "hi").await;
    assert_eq!(short.status, 400);
    assert_eq!(short.field_codes("message"), vec!["length"]);
    let untyped = app
        .agent_call(
            Method::POST,
            "message",
            &key,
            Some(json!({"ticketID": ticket, "message": "Hello there"})),
        )
        .await;
    assert_eq!(untyped.status, 400);
    assert_eq!(
        untyped.field_codes("type"),
        vec!["required"],
        "{}",
        untyped.body
    );
    let zero = reply(&app, &key, ticket, json!(0), "Hello there").await;
    assert_eq!(zero.field_codes("type"), vec!["range"], "{}", zero.body);
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

#[tokio::test]
async fn an_agents_key_writes_as_that_agent_only() {
    let app = spawn_app().await;
    let (_, ticket) = chat_on(&app, "http://127.0.0.1:9", "session-reply-05").await;
    let (alice, alice_key) = app.agent("Alice", &Permission::ALL);
    let (bob, _) = app.agent("Bob", &Permission::ALL);
    let as_bob =
        json!({"ticketID": ticket, "type": "note", "message": "Signed, Bob", "userID": bob});
    let a = app
        .agent_call(Method::POST, "message", &alice_key, Some(as_bob.clone()))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body["message"]
        .as_str()
        .unwrap()
        .contains("cannot act as"));
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE author <> 'customer'"),
        0
    );
    // Naming herself is fine; a key bound to no agent may name any agent of the tenant.
    let as_alice =
        json!({"ticketID": ticket, "type": "note", "message": "Signed, Alice", "userID": alice});
    let a = app
        .agent_call(Method::POST, "message", &alice_key, Some(as_alice))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let tool = admin::create_api_key(&app.db, app.tenant_id, &Permission::ALL)
        .unwrap()
        .key;
    let a = app
        .agent_call(Method::POST, "message", &tool, Some(as_bob))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM messages WHERE user_id = {bob}"
        )),
        1
    );
}

/// `POST /api/v2/message` as multipart: the fields and each file as a file part.
async fn reply_with_files(
    app: &TestApp,
    key: &str,
    fields: &[(&str, String)],
    files: &[(&str, Vec<u8>)],
) -> crate::helpers::Answer {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text(name.to_string(), value.clone());
    }
    for (file_name, bytes) in files {
        let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(file_name.to_string());
        form = form.part("file", part);
    }
    let response = app
        .client
        .post(format!("{}/api/v2/message", app.address))
        .header("apiKey", key)
        .multipart(form)
        .send()
        .await
        .expect("request sent");
    crate::helpers::answer(response).await
}

fn stored_files(dir: &std::path::Path) -> usize {
    fn walk(dir: &std::path::Path, n: &mut usize) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, n);
            } else {
                *n += 1;
            }
        }
    }
    let mut n = 0;
    walk(dir, &mut n);
    n
}

async fn wait_for_requests(chat: &FakeChatServer, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while chat.requests().len() < n {
        assert!(
            Instant::now() < deadline,
            "the chat server got {} of {n} requests",
            chat.requests().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn files_on_a_reply_are_uploaded_to_the_chat_server_with_their_bytes_signed() {
    use base64::Engine;
    use sha2::Digest;
    let app = spawn_app().await;
    let chat = FakeChatServer::start(1);
    let (secret, ticket) = chat_on(&app, &chat.base, "session-files-01").await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let pdf = b"%PDF-1.4\n% invoice\n".repeat(500);
    let text = "line one\nline two\n".as_bytes().to_vec();

    let a = reply_with_files(
        &app,
        &key,
        &[
            ("ticketID", ticket.to_string()),
            ("type", "8".into()),
            ("message", "Here is your invoice.".into()),
        ],
        &[
            ("../../invoice.pdf", pdf.clone()),
            ("notes.txt", text.clone()),
        ],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let item = &a.body["item"];
    let files = item["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{}", a.body);
    assert_eq!(files[0]["file_name"], "invoice.pdf");
    assert_eq!(files[0]["content_type"], "application/pdf");
    assert_eq!(files[1]["content_type"], "text/plain");
    assert!(files.iter().all(|f| f["delivery"]["state"] == "queued"));

    // The text and both files arrive (the first call is refused and retried).
    wait_for_requests(&chat, 4).await;
    let texts = chat.requests_to("/messageForCustomer");
    assert!(!texts.is_empty());
    let uploads = chat.requests_to("/uploadForCustomer");
    let mut seen = std::collections::HashMap::new();
    for (headers, body) in &uploads {
        assert_eq!(
            headers
                .get("x-omnibridge-signature")
                .unwrap()
                .to_str()
                .unwrap(),
            sign(&secret, body.as_bytes())
        );
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["ticketID"], ticket);
        assert_eq!(body["messageID"], item["message_id"]);
        assert_eq!(body["chatSessionID"], "session-files-01");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body["content"].as_str().unwrap())
            .unwrap();
        assert_eq!(body["size"], bytes.len());
        assert_eq!(body["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
        seen.insert(body["fileName"].as_str().unwrap().to_owned(), bytes);
    }
    assert_eq!(seen.get("invoice.pdf"), Some(&pdf));
    assert_eq!(seen.get("notes.txt"), Some(&text));

    // The timeline shows the agent's files on the message, each delivered; agents can fetch them.
    let deadline = Instant::now() + Duration::from_secs(20);
    let attachments = loop {
        let t = app
            .agent_call(
                Method::GET,
                &format!("ticket/{ticket}?getTicketHistory=true"),
                &key,
                None,
            )
            .await;
        let attachments: Vec<Value> = t.body["item"]["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "attachment")
            .cloned()
            .collect();
        if attachments
            .iter()
            .all(|a| a["delivery"]["state"] == "delivered")
        {
            break attachments;
        }
        assert!(Instant::now() < deadline, "{attachments:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(attachments.len(), 2);
    for a in &attachments {
        assert_eq!(a["author"], "agent");
        assert_eq!(a["message_id"], item["message_id"]);
    }
    let file = app
        .client
        .get(format!(
            "{}{}",
            app.address,
            attachments[0]["url"].as_str().unwrap()
        ))
        .header("apiKey", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.unwrap().to_vec(), pdf);
}

#[tokio::test]
async fn a_note_keeps_its_files_and_a_refused_reply_keeps_none() {
    let app = spawn_app().await;
    let chat = FakeChatServer::start(0);
    let (_, ticket) = chat_on(&app, &chat.base, "session-files-02").await;
    let (_, key) = app.agent("Alice", &Permission::ALL);

    let a = reply_with_files(
        &app,
        &key,
        &[
            ("ticketID", ticket.to_string()),
            ("type", "note".into()),
            ("message", "Customer's screenshot, for the record.".into()),
        ],
        &[("shot.txt", b"not really a screenshot".to_vec())],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["attachments"][0]["delivery"], Value::Null);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM attachments WHERE author = 'note'"),
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM deliveries"), 0);
    let kept = stored_files(&app.attachments_dir);
    assert_eq!(kept, 1);

    // A reply that is refused (no such ticket; too short; too many files) stores no file.
    let refused = [
        (
            vec![
                ("ticketID", "999999".to_owned()),
                ("type", "8".into()),
                ("message", "Hello there".into()),
            ],
            1,
            404,
        ),
        (
            vec![
                ("ticketID", ticket.to_string()),
                ("type", "8".into()),
                ("message", "Hi".into()),
            ],
            1,
            400,
        ),
        (
            vec![
                ("ticketID", ticket.to_string()),
                ("type", "8".into()),
                ("message", "Hello there".into()),
            ],
            11,
            400,
        ),
    ];
    for (fields, n, status) in refused {
        let files: Vec<(&str, Vec<u8>)> =
            (0..n).map(|_| ("a.txt", b"some text".to_vec())).collect();
        let a = reply_with_files(&app, &key, &fields, &files).await;
        assert_eq!(a.status, status, "{}", a.body);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(stored_files(&app.attachments_dir), kept);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments"), 1);
}

#[tokio::test]
async fn an_agents_typing_reaches_the_chat_server_while_the_chat_lasts() {
    let app = spawn_app().await;
    let chat = FakeChatServer::start(0);
    let (secret, ticket) = chat_on(&app, &chat.base, "session-typing-01").await;
    let (alice, key) = app.agent("Alice", &Permission::ALL);
    let typing = |body: Value, key: String| {
        let app = &app;
        async move {
            app.agent_call(Method::POST, "message/typing", &key, Some(body))
                .await
        }
    };

    let a = typing(
        json!({"ticketID": ticket, "event": "startedtyping"}),
        key.clone(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["delivery"]["state"], "queued");
    wait_for_requests(&chat, 1).await;
    let sent = chat.requests_to("/typingIndicatorForCustomer");
    assert_eq!(sent.len(), 1);
    let (headers, body) = &sent[0];
    assert_eq!(
        headers
            .get("x-omnibridge-signature")
            .unwrap()
            .to_str()
            .unwrap(),
        sign(&secret, body.as_bytes())
    );
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["event"], "startedtyping");
    assert_eq!(body["chatSessionID"], "session-typing-01");
    assert_eq!(body["agent"]["id"], alice);

    let a = typing(json!({"ticketID": ticket, "event": "dancing"}), key.clone()).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.field_codes("event").len() == 1, "{}", a.body);
    let (_, reader) = app.agent("Reader", &[Permission::TicketRead]);
    let a = typing(
        json!({"ticketID": ticket, "event": "stoppedtyping"}),
        reader,
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);

    let form = vec![
        ("chatServer", chat.base.clone()),
        ("chatSessionID", "session-typing-01".to_owned()),
        ("chatAccountToken", "replieswidget01".to_owned()),
    ];
    let a = app
        .post("notifyUserEndChat", &form, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = typing(
        json!({"ticketID": ticket, "event": "stoppedtyping"}),
        key.clone(),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("ticketID"), ["chat_ended"], "{}", a.body);

    let chat_ticket = app
        .agent_call(Method::GET, &format!("ticket/{ticket}"), &key, None)
        .await;
    let customer = chat_ticket.body["item"]["customer_id"].clone();
    let t = app
        .agent_call(
            Method::POST,
            "ticket",
            &key,
            Some(json!({"title": "By phone", "customerID": customer, "channelID": 2})),
        )
        .await;
    let phone = t.body["item"]["id"].as_i64().unwrap_or(0);
    let a = typing(json!({"ticketID": phone, "event": "startedtyping"}), key).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("ticketID"), ["not_chat"], "{}", a.body);
}

#[tokio::test]
async fn each_delivery_attempt_is_told_on_the_event_stream() {
    let app = spawn_app().await;
    let chat = FakeChatServer::start(1);
    let (_, ticket) = chat_on(&app, &chat.base, "session-reply-ev").await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let mut stream = crate::helpers::EventStream::open(&app.address, &key).await;
    let a = reply(&app, &key, ticket, json!(8), "It ships tomorrow.").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let message = a.body["item"]["message_id"].as_i64().unwrap();
    let mut seen = Vec::new();
    while seen
        .last()
        .map(|(state, _): &(String, Value)| state.as_str())
        != Some("delivered")
    {
        let (kind, data) = stream.next_event().await;
        if kind == "delivery" {
            assert_eq!(data["ticketID"], ticket);
            assert_eq!(data["messageID"], message);
            seen.push((data["state"].as_str().unwrap().to_owned(), data));
        }
    }
    // The first answer failed: queued again, with the chat server's answer; then delivered.
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].0, "queued");
    assert_eq!(seen[0].1["attempts"], 1);
    assert!(seen[0].1["lastError"].is_string(), "{:?}", seen[0]);
    assert_eq!(seen[1].1["attempts"], 2);
    assert!(seen[1].1["lastError"].is_null());
}
