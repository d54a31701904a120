use crate::helpers::{spawn_app, Encoding, ENCODINGS};

#[tokio::test]
async fn events_record_typing_on_the_session() {
    let app = spawn_app().await;
    let ticket = app.send_message("session-event-01", "hello").await.body["ticketID"].clone();
    for (event, encoding) in [
        ("expandedchat", Encoding::Multipart),
        ("startedtyping", Encoding::UrlEncoded),
        ("minimizedchat", Encoding::Json),
    ] {
        let mut form = app.session_form("session-event-01");
        form.push(("event", event.into()));
        let a = app.post("notifyUserNewChatEvent", &form, encoding).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["ticketID"], ticket);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM chat_sessions WHERE typing = TRUE AND last_event = 'minimizedchat'"),
        1
    );
    let mut form = app.session_form("session-event-01");
    form.push(("event", "stoppedtyping".into()));
    app.post("notifyUserNewChatEvent", &form, Encoding::Multipart)
        .await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM chat_sessions WHERE typing = TRUE"),
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM chat_events"), 4);
}

#[tokio::test]
async fn events_visits_and_ends_of_an_unknown_session_are_404() {
    let app = spawn_app().await;
    let mut event = app.session_form("session-nobody-1");
    event.push(("event", "startedtyping".into()));
    let mut visit = app.session_form("session-nobody-1");
    visit.push(("url", "https://x.example/".into()));
    for (endpoint, form) in [
        ("notifyUserNewChatEvent", event),
        ("notifyUserVisited", visit),
        ("notifyUserEndChat", app.session_form("session-nobody-1")),
    ] {
        let a = app.post(endpoint, &form, Encoding::Multipart).await;
        assert_eq!(a.status, 404, "{endpoint}");
        assert_eq!(a.body["code"], "unknown_chat_session");
    }
}

#[tokio::test]
async fn visited_pages_form_the_sessions_trail_in_order() {
    let app = spawn_app().await;
    app.send_message("session-visit-01", "hello").await;
    let pages = [
        "https://shop.example.com/",
        "https://shop.example.com/cart",
        "/checkout",
    ];
    for (page, encoding) in pages.iter().zip(ENCODINGS) {
        let mut form = app.session_form("session-visit-01");
        form.push(("url", page.to_string()));
        let a = app.post("notifyUserVisited", &form, encoding).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let tenant = app.tenant_id;
    let trail = app
        .db
        .read_blocking(|conn| {
            let s = omnibridge::db::models::chat_session::ChatSession::find(
                conn,
                tenant,
                crate::helpers::CHAT_SERVER,
                "session-visit-01",
            )?
            .unwrap();
            omnibridge::db::models::chat_event::ChatEvent::page_trail(conn, s.id)
        })
        .unwrap();
    assert_eq!(trail, pages);
}

#[tokio::test]
async fn ending_a_chat_takes_it_out_of_the_queue_and_a_second_end_is_a_no_op() {
    let app = spawn_app().await;
    app.send_message("session-end-0001", "bye soon").await;
    let first = app
        .post(
            "notifyUserEndChat",
            &app.session_form("session-end-0001"),
            Encoding::Json,
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["message"], "Chat ended.");
    assert_eq!(first.body["alreadyEnded"], false);
    let second = app
        .post(
            "notifyUserEndChat",
            &app.session_form("session-end-0001"),
            Encoding::Multipart,
        )
        .await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body["alreadyEnded"], true);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM chat_sessions WHERE state = 'ended' AND ended_at IS NOT NULL"), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM chat_events WHERE kind = 'ended'"),
        1
    );
    let q = app
        .post(
            "requestChatQueue",
            &[("chatAccountToken", app.chat_token.clone())],
            Encoding::Json,
        )
        .await;
    assert_eq!(q.body["queueLength"], 0);
}

#[tokio::test]
async fn a_chat_whose_ticket_was_deleted_still_ends_and_leaves_the_queue() {
    use omnibridge::domain::permission::Permission;
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let a = app
        .send_message("session-deleted-01", "spam spam spam")
        .await;
    let ticket = a.body["ticketID"].as_i64().unwrap();
    let a = app
        .agent_call(
            reqwest::Method::DELETE,
            &format!("ticket/{ticket}"),
            &key,
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // Deleting it took it out of the queue.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM chat_sessions WHERE state = 'waiting'"),
        0
    );
    let a = app
        .post(
            "notifyUserEndChat",
            &app.session_form("session-deleted-01"),
            Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM chat_sessions WHERE state = 'waiting'"),
        0
    );
}
