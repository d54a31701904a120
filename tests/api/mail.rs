use std::time::Duration;

use omnibridge::domain::permission::Permission;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    free_port, header, spawn_app, spawn_app_with, wait_until, Options, SmtpSink, TestApp,
};

/// An e-mail ticket (channel 1) for a customer with this address.
async fn email_ticket(app: &TestApp, key: &str, session: &str, email: &str) -> i64 {
    let chat = app.send_message(session, "hello there").await;
    let chat_ticket = chat.body["ticketID"].as_i64().unwrap();
    let t = app
        .agent_call(Method::GET, &format!("ticket/{chat_ticket}"), key, None)
        .await;
    let customer = t.body["item"]["customer_id"].as_i64().unwrap();
    let a = app
        .agent_call(
            Method::PUT,
            &format!("customer/{customer}"),
            key,
            Some(json!({"email": email})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .agent_call(
            Method::POST,
            "ticket",
            key,
            Some(json!({"title": "Invoice question", "customerID": customer, "channelID": 1})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["item"]["id"].as_i64().unwrap()
}

async fn reply(app: &TestApp, key: &str, ticket: i64, text: &str) -> Value {
    let a = app
        .agent_call(
            Method::POST,
            "message",
            key,
            Some(json!({"ticketID": ticket, "type": 1, "message": text})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["item"].clone()
}

#[tokio::test]
async fn a_reply_mail_waits_out_a_down_smtp_server_and_a_restart_and_arrives_once() {
    if SmtpSink::unavailable() {
        return;
    }
    let port = free_port();
    let mut app = spawn_app_with(Options {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        ..Options::default()
    })
    .await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let customer = "ann@customer.example";
    let ticket = email_ticket(&app, &key, "session-mail-001", customer).await;

    let item = reply(
        &app,
        &key,
        ticket,
        "Your invoice is attached to your account.",
    )
    .await;
    assert_eq!(item["delivery"]["channel"], "email", "{item}");
    assert_eq!(item["delivery"]["state"], "queued");
    assert_eq!(item["delivery"]["to"], customer);
    let mail_id = item["delivery"]["id"].as_i64().unwrap();

    // Nobody listens: the mail stays queued, with the failure, and is retried.
    wait_until("a failed attempt", || {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM mails WHERE id = {mail_id} AND attempts >= 2 \
             AND state = 'queued' AND last_error IS NOT NULL"
        )) == 1
    });
    // It survives a restart of omnibridge.
    app.restart().await;

    let sink = tokio::task::spawn_blocking(move || SmtpSink::start(port))
        .await
        .unwrap();
    wait_until("the mail is sent", || {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM mails WHERE id = {mail_id} AND state = 'sent'"
        )) == 1
    });
    let received = sink.messages_to(customer);
    assert_eq!(received.len(), 1, "{received:?}");
    let first = &received[0];
    assert!(
        header(first, "Subject")
            .unwrap()
            .contains(&format!("[#{ticket}]")),
        "{first}"
    );
    assert!(header(first, "From")
        .unwrap()
        .contains("support@acme.example"));
    let first_id = header(first, "Message-ID").unwrap();
    assert!(first_id.ends_with("@acme.example>"), "{first_id}");
    assert!(first.contains("multipart/alternative"), "{first}");
    assert!(
        first.contains("text/plain") && first.contains("text/html"),
        "{first}"
    );
    assert_eq!(
        header(first, "X-Omnibridge-Ticket"),
        Some(ticket.to_string())
    );

    // The next reply threads after the first.
    reply(&app, &key, ticket, "And here is the receipt as well.").await;
    wait_until("the second mail", || sink.messages_to(customer).len() == 2);
    let second = sink
        .messages_to(customer)
        .into_iter()
        .find(|m| header(m, "Message-ID").as_deref() != Some(first_id.as_str()))
        .unwrap();
    assert_eq!(header(&second, "In-Reply-To"), Some(first_id.clone()));

    // Exactly once, and the timeline says so.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages_to(customer).len(), 2);
    let t = app
        .agent_call(
            Method::GET,
            &format!("ticket/{ticket}?getTicketHistory=true"),
            &key,
            None,
        )
        .await;
    let states: Vec<Value> = t.body["item"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["author"] == "agent")
        .map(|e| e["delivery"]["state"].clone())
        .collect();
    assert_eq!(states, [json!("sent"), json!("sent")], "{}", t.body);
}

#[tokio::test]
async fn without_smtp_mails_are_eml_files_and_a_customer_without_email_is_a_400() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let ticket = email_ticket(&app, &key, "session-mail-002", "bob@customer.example").await;
    reply(&app, &key, ticket, "Thanks, we are on it.").await;
    let dir = app.mail_dir.clone();
    let eml = move || -> Vec<String> {
        std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect()
    };
    wait_until("an .eml file", || {
        eml().iter().any(|m| m.contains("bob@customer.example"))
    });
    let mail = eml()
        .into_iter()
        .find(|m| m.contains("bob@customer.example"))
        .unwrap();
    assert!(mail.contains("Thanks, we are on it."), "{mail}");

    // A ticket whose customer has no address needs toAddress.
    let chat = app.send_message("session-mail-003", "hello there").await;
    let t = app
        .agent_call(
            Method::GET,
            &format!("ticket/{}", chat.body["ticketID"]),
            &key,
            None,
        )
        .await;
    let a = app
        .agent_call(
            Method::POST,
            "ticket",
            &key,
            Some(json!({"title": "Call back", "customerID": t.body["item"]["customer_id"], "channelID": 1})),
        )
        .await;
    let ticket = a.body["item"]["id"].as_i64().unwrap();
    let a = app
        .agent_call(
            Method::POST,
            "message",
            &key,
            Some(json!({"ticketID": ticket, "type": 1, "message": "Hello again"})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("toAddress"), ["required"], "{}", a.body);
    let a = app
        .agent_call(
            Method::POST,
            "message",
            &key,
            Some(json!({"ticketID": ticket, "type": 1, "message": "Hello again", "toAddress": "carol@customer.example"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["delivery"]["to"], "carol@customer.example");
}

#[tokio::test]
async fn chats_mail_transcripts_to_customers_and_new_and_missed_chats_to_agents_who_want_them() {
    if SmtpSink::unavailable() {
        return;
    }
    let port = free_port();
    let sink = tokio::task::spawn_blocking(move || SmtpSink::start(port))
        .await
        .unwrap();
    let app = spawn_app_with(Options {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        ..Options::default()
    })
    .await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let (bob, _) = app.agent("Bob", &Permission::ALL);
    let a = app
        .agent_call(
            Method::PUT,
            &format!("user/{bob}"),
            &key,
            Some(json!({"emailNotifications": false})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    app.transcripts_on(&key).await;

    // A chat with a customer who gave an address: picked up, answered, ended.
    let mut form = app.message_form("session-mail-010", "Is my order on its way?");
    form.push(("emailAddress", "dora@customer.example".into()));
    let a = app
        .post(
            "notifyUserNewChatMessage",
            &form,
            crate::helpers::Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let answered = a.body["ticketID"].as_i64().unwrap();
    let a = app
        .agent_call(
            Method::POST,
            "message",
            &key,
            Some(json!({"ticketID": answered, "type": 8, "message": "Yes, it ships today."})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .post(
            "notifyUserEndChat",
            &app.session_form("session-mail-010"),
            crate::helpers::Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    // A chat nobody picked up before it ended.
    let a = app.send_message("session-mail-011", "Anybody there?").await;
    let missed = a.body["ticketID"].as_i64().unwrap();
    let a = app
        .post(
            "notifyUserEndChat",
            &app.session_form("session-mail-011"),
            crate::helpers::Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    wait_until("the transcript and the notices", || {
        sink.messages_to("dora@customer.example").len() == 1
            && sink.messages_to("alice@agents.example").len() == 3
    });
    let transcript = &sink.messages_to("dora@customer.example")[0];
    assert!(header(transcript, "Subject")
        .unwrap()
        .contains(&format!("[#{answered}]")));
    assert!(
        transcript.contains("Is my order on its way?"),
        "{transcript}"
    );
    assert!(transcript.contains("Yes, it ships today."), "{transcript}");
    let subjects: Vec<String> = sink
        .messages_to("alice@agents.example")
        .iter()
        .map(|m| header(m, "Subject").unwrap())
        .collect();
    let count = |prefix: &str, ticket: i64| {
        subjects
            .iter()
            .filter(|s| s.starts_with(prefix) && s.contains(&format!("[#{ticket}]")))
            .count()
    };
    assert_eq!(count("New chat", answered), 1, "{subjects:?}");
    assert_eq!(count("New chat", missed), 1, "{subjects:?}");
    assert_eq!(count("Missed chat", missed), 1, "{subjects:?}");
    // Bob turned notifications off; the missed chat's customer gave no address.
    assert!(sink.messages_to("bob@agents.example").is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 4);
}

#[tokio::test]
async fn on_postgres_two_instances_send_every_mail_exactly_once() {
    if SmtpSink::unavailable() {
        return;
    }
    let port = free_port();
    let app = spawn_app_with(Options {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        ..Options::default()
    })
    .await;
    if !app.is_postgres() {
        eprintln!("skipped: several instances share a Postgres database, not a SQLite file");
        return;
    }
    let twin = app.twin().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let customer = "erin@customer.example";
    let ticket = email_ticket(&app, &key, "session-mail-020", customer).await;
    // Replies through both instances while the SMTP server is down: the mails pile up.
    let client = reqwest::Client::new();
    for i in 0..20 {
        let address = if i % 2 == 0 {
            &app.address
        } else {
            &twin.address
        };
        let resp = client
            .post(format!("{address}/api/v2/message"))
            .header("apiKey", &key)
            .json(&json!({"ticketID": ticket, "type": 1, "message": format!("Update number {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let sink = tokio::task::spawn_blocking(move || SmtpSink::start(port))
        .await
        .unwrap();
    wait_until("all 20 sent", || {
        app.count("SELECT COUNT(*) AS n FROM mails WHERE kind = 'reply' AND state = 'sent'") == 20
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = sink.messages_to(customer);
    let mut ids: Vec<String> = received
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(received.len(), 20, "every mail once, none twice");
    assert_eq!(ids.len(), 20);
    drop(twin);
}

#[tokio::test]
async fn a_purge_cancels_queued_mails_and_erases_what_mails_and_notifications_said() {
    let port = free_port();
    // The SMTP server never comes: the transcript stays queued until the purge.
    let app = spawn_app_with(Options {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        ..Options::default()
    })
    .await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    app.transcripts_on(&key).await;
    let mut form = app.message_form("session-mail-030", "My secret order 4711");
    form.push(("emailAddress", "frank@customer.example".into()));
    let a = app
        .post(
            "notifyUserNewChatMessage",
            &form,
            crate::helpers::Encoding::Multipart,
        )
        .await;
    let ticket = a.body["ticketID"].as_i64().unwrap();
    app.agent_call(
        Method::POST,
        "message",
        &key,
        Some(json!({"ticketID": ticket, "type": 8, "message": "Found it, 4711 ships today."})),
    )
    .await;
    app.post(
        "notifyUserEndChat",
        &app.session_form("session-mail-030"),
        crate::helpers::Encoding::Multipart,
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM mails WHERE kind = 'transcript' AND state = 'queued'"),
        1
    );
    let t = app
        .agent_call(Method::GET, &format!("ticket/{ticket}"), &key, None)
        .await;
    let customer = t.body["item"]["customer_id"].as_i64().unwrap();
    let a = app
        .agent_call(
            Method::DELETE,
            &format!("customer/{customer}/purgeData"),
            &key,
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM mails WHERE state = 'queued'"),
        0
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM mails WHERE to_address LIKE '%frank%' \
             OR text_body LIKE '%4711%' OR subject LIKE '%4711%'"
        ),
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM notifications WHERE text LIKE '%4711%'"),
        0
    );
    assert!(app.count("SELECT COUNT(*) AS n FROM notifications") > 0);
}

#[tokio::test]
async fn an_email_replys_files_go_as_attachments() {
    use base64::Engine;
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let ticket = email_ticket(&app, &key, "session-mail-040", "gina@customer.example").await;
    let pdf = [
        &b"%PDF-1.4\n%"[..],
        &[0xe2, 0xe3, 0xcf, 0xd3, 0x00, 0xff][..],
    ]
    .concat()
    .repeat(40);
    let form = reqwest::multipart::Form::new()
        .text("ticketID", ticket.to_string())
        .text("type", "1")
        .text("message", "Your invoice is attached.")
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf.clone()).file_name("../invoice 42.pdf"),
        );
    let resp = app
        .client
        .post(format!("{}/api/v2/message", app.address))
        .header("apiKey", &key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let dir = app.mail_dir.clone();
    let find = move || -> Option<String> {
        std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .find(|m| m.contains("gina@customer.example"))
    };
    wait_until("the mail", || find().is_some());
    let mail = find().unwrap();
    assert!(mail.contains("multipart/mixed"), "{mail}");
    assert!(mail.contains("application/pdf"), "{mail}");
    assert!(mail.contains("invoice 42.pdf"), "{mail}");
    // The attachment's bytes, base64 in the mail (wrapped at 76 columns).
    let unwrapped: String = mail.lines().map(str::trim_end).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pdf);
    assert!(unwrapped.contains(&encoded[..200]), "{mail}");
}
