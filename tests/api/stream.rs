use std::collections::HashMap;

use omnibridge::domain::permission::Permission;
use omnibridge::services::admin;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Encoding, EventStream, Options};

#[tokio::test]
async fn an_agents_stream_shows_what_chat_servers_post_as_it_happens() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let mut stream = EventStream::open(&app.address, &key).await;

    // Another tenant's chat is never seen.
    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let other_account = admin::create_chat_account(
        &app.db,
        other,
        &admin::ChatAccountOptions::named("Other chat"),
    )
    .unwrap();
    let other_key = admin::create_api_key(&app.db, other, &[Permission::ApiChat])
        .unwrap()
        .key;
    let form = vec![
        ("chatServer", crate::helpers::CHAT_SERVER.to_owned()),
        ("chatSessionID", "session-other-001".to_owned()),
        ("chatAccountToken", other_account.token.clone()),
        ("message", "Not for Acme's eyes".to_owned()),
    ];
    let a = app
        .post_as(
            &other_key,
            "notifyUserNewChatMessage",
            &form,
            Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    let session = "session-stream-01";
    let a = app.send_message(session, "Where is my parcel?").await;
    let ticket = a.body["ticketID"].as_i64().unwrap();
    let mut typing = app.session_form(session);
    typing.push(("chatAccountToken", app.chat_token.clone()));
    typing.push(("event", "startedtyping".into()));
    let a = app
        .post("notifyUserNewChatEvent", &typing, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut visited = app.session_form(session);
    visited.push(("chatAccountToken", app.chat_token.clone()));
    visited.push(("url", "https://shop.example/orders".into()));
    let a = app
        .post("notifyUserVisited", &visited, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .upload(session, "label.txt", b"tracking 123".to_vec())
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .agent_call(
            Method::POST,
            "ticket/setPriority",
            &key,
            Some(json!({"ticketID": ticket, "priority": "high"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .post(
            "notifyUserEndChat",
            &app.session_form(session),
            Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    let mut seen: HashMap<String, Value> = HashMap::new();
    let mut order = Vec::new();
    while order.len() < 6 {
        let (kind, data) = stream.next_event().await;
        assert_ne!(
            data["chatSessionID"], "session-other-001",
            "another tenant's event: {kind} {data}"
        );
        assert_eq!(data["ticketID"], ticket, "{kind} {data}");
        order.push(kind.clone());
        seen.insert(kind, data);
    }
    assert_eq!(
        order,
        [
            "message",
            "typing",
            "visited",
            "attachment",
            "ticket_updated",
            "chat_ended"
        ]
    );
    assert_eq!(seen["message"]["message"], "Where is my parcel?");
    assert_eq!(seen["message"]["chatSessionID"], session);
    assert_eq!(seen["typing"]["event"], "startedtyping");
    assert_eq!(seen["visited"]["url"], "https://shop.example/orders");
    assert_eq!(seen["attachment"]["fileName"], "label.txt");
    assert_eq!(seen["ticket_updated"]["priority"], "high");

    // Quiet: heartbeats keep the stream open (every second in the tests).
    let block = stream.next_block().await;
    assert_eq!(block, ": heartbeat");
}

#[tokio::test]
async fn replies_notes_and_new_tickets_reach_the_stream_as_ticket_updated() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let session = "session-stream-02";
    let a = app.send_message(session, "Is anyone there?").await;
    let ticket = a.body["ticketID"].as_i64().unwrap();
    let customer = app.count("SELECT MIN(id) AS n FROM customers");
    let mut stream = EventStream::open(&app.address, &key).await;

    let reply = json!({"ticketID": ticket, "type": 8, "message": "Yes, Alice here."});
    let a = app
        .agent_call(Method::POST, "message", &key, Some(reply))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let note = json!({"ticketID": ticket, "type": "note", "message": "Regular customer."});
    let a = app
        .agent_call(Method::POST, "message", &key, Some(note))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let new = json!({"title": "Follow-up on the parcel", "customerID": customer});
    let a = app
        .agent_call(Method::POST, "ticket", &key, Some(new))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let created = a.body["item"]["id"].as_i64().unwrap();

    // On Postgres the customer's message, sent before the stream opened, may still arrive.
    let mut updates = Vec::new();
    while updates.len() < 3 {
        let (kind, data) = stream.next_event().await;
        match kind.as_str() {
            "ticket_updated" => updates.push(data),
            "message" => assert_eq!(data["message"], "Is anyone there?"),
            // The reply's attempts to reach the (unreachable) chat server.
            "delivery" => assert_eq!(data["ticketID"], ticket),
            other => panic!("unexpected {other}: {data}"),
        }
    }
    assert_eq!(updates[0]["ticketID"], ticket);
    assert_eq!(updates[0]["change"], "reply");
    assert_eq!(updates[0]["chatSessionID"], session);
    assert_eq!(updates[0]["status"], "new");
    assert_eq!(updates[1]["ticketID"], ticket);
    assert_eq!(updates[1]["change"], "note");
    assert_eq!(updates[2]["ticketID"], created);
    assert_eq!(updates[2]["change"], "created");
    assert_eq!(updates[2]["title"], "Follow-up on the parcel");
    assert_eq!(updates[2]["chatSessionID"], Value::Null);
}

#[tokio::test]
async fn a_sqlite_file_whose_name_starts_with_postgres_still_streams_its_events() {
    if std::env::var("OMNIBRIDGE_TEST_POSTGRES").is_ok() {
        eprintln!("skipped: a SQLite file's name");
        return;
    }
    // A relative path, so the URL itself starts with "postgres"; removed however this ends.
    struct Removed(String);
    impl Drop for Removed {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0));
            }
        }
    }
    let file = Removed(format!("postgres-{}.db", std::process::id()));
    let app = spawn_app_with(Options {
        sqlite_path: Some(file.0.clone()),
        ..Options::default()
    })
    .await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let mut stream = EventStream::open(&app.address, &key).await;
    app.send_message("session-stream-03", "Anyone?").await;
    let (kind, data) = stream.next_event().await;
    drop(app);
    assert_eq!(kind, "message", "{data}");
    assert_eq!(data["message"], "Anyone?");
}

#[tokio::test]
async fn streams_need_ticket_read() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Writer", &[Permission::MessageCreate]);
    let a = app
        .agent_call(Method::GET, "notification/stream", &key, None)
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = app
        .agent_call(Method::GET, "notification/stream", "ob_nope", None)
        .await;
    assert_eq!(a.status, 401, "{}", a.body);
}

#[tokio::test]
async fn on_postgres_a_stream_on_one_instance_shows_what_was_posted_to_another() {
    let app = spawn_app().await;
    if !app.is_postgres() {
        eprintln!("skipped: several instances share a Postgres database, not a SQLite file");
        return;
    }
    let twin = app.twin().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    // The stream is on the twin; the chat server posts to the first instance.
    let mut on_twin = EventStream::open(&twin.address, &key).await;
    let mut on_first = EventStream::open(&app.address, &key).await;
    let a = app.send_message("session-twin-01", "Hello from afar").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let ticket = a.body["ticketID"].clone();
    for stream in [&mut on_twin, &mut on_first] {
        let (kind, data) = stream.next_event().await;
        assert_eq!(kind, "message");
        assert_eq!(data["ticketID"], ticket);
        assert_eq!(data["message"], "Hello from afar");
    }
    // And the other way round, once each: no echo, no duplicate.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v2/ticket/setStatus", twin.address))
        .header("apiKey", &key)
        .json(&json!({"ticketID": ticket, "status": "open"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    for stream in [&mut on_first, &mut on_twin] {
        let (kind, data) = stream.next_event().await;
        assert_eq!(kind, "ticket_updated", "{data}");
        assert_eq!(data["status"], "open");
        // The next block is a heartbeat, not the same event again.
        assert_eq!(stream.next_block().await, ": heartbeat");
    }

    // Ids are the same on every instance: a client that had an event from one and reconnects
    // to the other (behind a balancer) gets what came after it there.
    assert_eq!(
        app.send_message("session-twin-01", "One more").await.status,
        200
    );
    let (_, data, id) = on_first.next_event_with_id().await;
    assert_eq!(data["message"], "One more");
    drop(on_first);
    assert_eq!(
        app.send_message("session-twin-01", "And the last")
            .await
            .status,
        200
    );
    let mut moved = EventStream::open_after(&twin.address, &key, id.as_deref()).await;
    let (kind, data) = moved.next_event().await;
    assert_eq!(kind, "message");
    assert_eq!(data["message"], "And the last");
}

#[tokio::test]
async fn a_revoked_keys_stream_ends_at_the_next_heartbeat() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Options {
        api_key_cache_seconds: 0,
        ..crate::helpers::Options::default()
    })
    .await;
    let user =
        admin::create_user(&app.db, app.tenant_id, "Mallory", "mallory@agents.example").unwrap();
    let created = admin::create_agent_api_key(
        &app.db,
        app.tenant_id,
        Some(user),
        &[Permission::TicketRead],
    )
    .unwrap();
    let mut stream = EventStream::open(&app.address, &created.key).await;
    assert!(admin::revoke_api_key(&app.db, app.tenant_id, created.id).unwrap());
    loop {
        let block = stream.next_block().await;
        if block.starts_with("event: unauthorized") {
            break;
        }
        assert_eq!(block, ": heartbeat", "{block}");
    }
    assert!(
        stream.ended().await,
        "the stream goes on after the revocation"
    );
}

#[tokio::test]
async fn a_stream_opened_again_with_last_event_id_gets_what_it_missed_or_resync() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let mut stream = EventStream::open(&app.address, &key).await;
    assert_eq!(
        app.send_message("session-resume-01", "First").await.status,
        200
    );
    let (kind, data, id) = stream.next_event_with_id().await;
    assert_eq!(
        (kind.as_str(), data["message"].as_str()),
        ("message", Some("First"))
    );
    let last = id.expect("every event has an id");
    drop(stream);

    // Missed while away.
    for text in ["Second", "Third"] {
        assert_eq!(
            app.send_message("session-resume-01", text).await.status,
            200
        );
    }
    let mut again = EventStream::open_after(&app.address, &key, Some(&last)).await;
    let mut ids = vec![last.parse::<i64>().unwrap()];
    for text in ["Second", "Third"] {
        let (kind, data, id) = again.next_event_with_id().await;
        assert_eq!(kind, "message");
        assert_eq!(data["message"], text);
        ids.push(id.unwrap().parse().unwrap());
    }
    // Then what happens from now on.
    assert_eq!(
        app.send_message("session-resume-01", "Fourth").await.status,
        200
    );
    let (_, data, id) = again.next_event_with_id().await;
    assert_eq!(data["message"], "Fourth");
    ids.push(id.unwrap().parse().unwrap());
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    // An id the server no longer keeps (or never had): told to resync.
    let mut stale = EventStream::open_after(&app.address, &key, Some("0")).await;
    let (kind, data, id) = stale.next_event_with_id().await;
    assert_eq!(kind, "resync", "{data}");
    assert!(id.is_none());
}

/// An instance whose listening connection broke missed what was said meanwhile: its streams
/// are told to resync (and go on once it listens again).
#[tokio::test]
async fn on_postgres_a_broken_listening_connection_sends_resync_to_the_streams() {
    let app = spawn_app().await;
    if !app.is_postgres() {
        return; // SQLite: events never leave the process
    }
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let mut stream = EventStream::open(&app.address, &key).await;
    assert_eq!(
        app.send_message("session-listen-01", "Before").await.status,
        200
    );
    let (kind, _, before) = stream.next_event_with_id().await;
    assert_eq!(kind, "message");
    assert!(
        app.count(
            "SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'omnibridge_listener'"
        ) >= 1
    );
    loop {
        let (kind, _) = stream.next_event().await;
        if kind == "resync" {
            break;
        }
    }
    // Listening again: events flow.
    let mut n = 0;
    loop {
        n += 1;
        let text = format!("After {n}");
        assert_eq!(
            app.send_message("session-listen-01", &text).await.status,
            200
        );
        let (kind, data) = stream.next_event().await;
        if kind == "message" && data["message"] == text.as_str() {
            break;
        }
    }
    // This instance forgot what it kept before the break, but the database kept it: a stream
    // resuming after "Before" gets what came after it, from there.
    let mut resumed = EventStream::open_after(&app.address, &key, before.as_deref()).await;
    for i in 1..=n {
        let (kind, data) = resumed.next_event().await;
        assert_eq!(kind, "message", "{data}");
        assert_eq!(data["message"], format!("After {i}"));
    }
    assert_eq!(resumed.next_block().await, ": heartbeat");
}

/// The events a stream may resume from outlive the server: after a restart, a client that
/// reconnects with its `Last-Event-ID` is replayed what it missed (SQLite writes them on its
/// way out; Postgres has them before they are sent).
#[tokio::test]
async fn a_stream_resumes_from_before_a_restart() {
    let mut app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let mut stream = EventStream::open(&app.address, &key).await;
    assert_eq!(
        app.send_message("session-restart-01", "Before")
            .await
            .status,
        200
    );
    let (_, data, last) = stream.next_event_with_id().await;
    assert_eq!(data["message"], "Before");
    drop(stream);
    for text in ["Missed 1", "Missed 2"] {
        assert_eq!(
            app.send_message("session-restart-01", text).await.status,
            200
        );
    }

    app.restart().await;
    let mut resumed = EventStream::open_after(&app.address, &key, last.as_deref()).await;
    for text in ["Missed 1", "Missed 2"] {
        let (kind, data, id) = resumed.next_event_with_id().await;
        assert_eq!((kind.as_str(), &data["message"]), ("message", &json!(text)));
        assert!(id.unwrap().parse::<i64>().unwrap() > last.as_ref().unwrap().parse().unwrap());
    }
    // Then what happens from now on, numbered after what came before the restart.
    assert_eq!(
        app.send_message("session-restart-01", "After").await.status,
        200
    );
    let (_, data, after) = resumed.next_event_with_id().await;
    assert_eq!(data["message"], "After");
    // And a stream resuming from the new instance's own event.
    let mut again = EventStream::open_after(&app.address, &key, after.as_deref()).await;
    assert_eq!(
        app.send_message("session-restart-01", "Later").await.status,
        200
    );
    let (_, data) = again.next_event().await;
    assert_eq!(data["message"], "Later");
}

/// `omnibridge serve` stopped by SIGTERM and started again: a stream resumes from before the
/// stop. Then killed (SIGKILL): it never wrote the events it had last sent, so on SQLite a
/// stream resuming from before the kill is told to `resync` rather than replayed a log with a
/// hole in it; on Postgres every event was in the database before it was sent: replayed.
#[tokio::test]
async fn after_sigterm_a_stream_resumes_and_after_a_kill_it_is_replayed_only_a_whole_log() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let files = tempfile::tempdir().unwrap();
    let serve = || app.serve_process(files.path());
    let post = |address: String, text: &'static str| {
        let form = vec![
            ("chatServer", crate::helpers::CHAT_SERVER.to_owned()),
            ("chatSessionID", "session-killed-01".to_owned()),
            ("chatAccountToken", app.chat_token.clone()),
            ("message", text.to_owned()),
        ];
        let (client, api_key) = (app.client.clone(), app.api_key.clone());
        async move {
            let mut body = reqwest::multipart::Form::new();
            for (name, value) in form {
                body = body.text(name, value);
            }
            let sent = client
                .post(format!("{address}/api/v2/chat/notifyUserNewChatMessage"))
                .header("apiKey", api_key)
                .multipart(body)
                .send()
                .await
                .unwrap();
            assert_eq!(sent.status(), 200, "{text}");
        }
    };

    let (mut server, address) = serve();
    server.until_it_answers(&address).await;
    let mut stream = EventStream::open(&address, &key).await;
    post(address.clone(), "Before").await;
    let (_, data, last) = stream.next_event_with_id().await;
    assert_eq!(data["message"], "Before");
    for text in ["Missed 1", "Missed 2"] {
        post(address.clone(), text).await;
        let (_, data) = stream.next_event().await;
        assert_eq!(data["message"], text);
    }
    // Stopped as an operator (or systemd) stops it.
    let pid = libc::pid_t::try_from(server.0.id()).unwrap();
    // SAFETY: kill(2) with our own child's id and a signal number touches no memory.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert!(server.0.wait().unwrap().success());
    let (mut server, address) = serve();
    server.until_it_answers(&address).await;
    let mut resumed = EventStream::open_after(&address, &key, last.as_deref()).await;
    for text in ["Missed 1", "Missed 2"] {
        let (kind, data) = resumed.next_event().await;
        assert_eq!((kind.as_str(), &data["message"]), ("message", &json!(text)));
    }
    post(address.clone(), "Between").await;
    let (_, data) = resumed.next_event().await;
    assert_eq!(data["message"], "Between");

    // Killed by its id, with no chance to write anything more.
    server.0.kill().unwrap();
    server.0.wait().unwrap();

    let (mut server, address) = serve();
    server.until_it_answers(&address).await;
    let mut resumed = EventStream::open_after(&address, &key, last.as_deref()).await;
    if app.is_postgres() {
        for text in ["Missed 1", "Missed 2", "Between"] {
            let (kind, data) = resumed.next_event().await;
            assert_eq!((kind.as_str(), &data["message"]), ("message", &json!(text)));
        }
    } else {
        let (kind, data, id) = resumed.next_event_with_id().await;
        assert_eq!(kind, "resync", "{data}");
        assert!(id.is_none());
    }
    // Either way the stream goes on with what happens now.
    post(address.clone(), "After").await;
    let (kind, data) = resumed.next_event().await;
    assert_eq!(
        (kind.as_str(), &data["message"]),
        ("message", &json!("After"))
    );
}

/// A purge erases what streams could be replayed of the customer's tickets too: from this
/// instance's memory and from the database (after a restart).
#[tokio::test]
async fn a_purged_customers_events_are_never_replayed() {
    let mut app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let mut stream = EventStream::open(&app.address, &key).await;
    assert_eq!(
        app.send_message("session-kept-01", "Before").await.status,
        200
    );
    let (_, _, first) = stream.next_event_with_id().await;
    let a = app.send_message("session-purged-01", "Hello").await;
    let ticket = a.body["ticketID"].as_i64().unwrap();
    stream.next_event().await;
    for (session, text) in [
        ("session-kept-01", "Someone else's words"),
        ("session-purged-01", "My address is 1 Elm Street"),
    ] {
        assert_eq!(app.send_message(session, text).await.status, 200);
        let (_, data) = stream.next_event().await;
        assert_eq!(data["message"], text);
    }
    let customer = app.count(&format!(
        "SELECT customer_id AS n FROM tickets WHERE id = {ticket}"
    ));
    let a = app
        .agent_call(
            Method::DELETE,
            &format!("customer/{customer}/purgeData"),
            &key,
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    // Only the other customer's event is replayed, from memory, then from the database.
    for restarted in [false, true] {
        if restarted {
            app.restart().await;
        }
        let mut resumed = EventStream::open_after(&app.address, &key, first.as_deref()).await;
        let (kind, data) = resumed.next_event().await;
        assert_eq!(kind, "message", "{data}");
        assert_eq!(
            data["message"], "Someone else's words",
            "restarted: {restarted}"
        );
        assert_eq!(
            resumed.next_block().await,
            ": heartbeat",
            "restarted: {restarted}"
        );
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM stream_events WHERE ticket_id = {ticket}"
        )),
        0
    );
}
