use omnibridge::domain::permission::Permission;
use omnibridge::services::admin;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, Encoding, TestApp};

const ALL: [Permission; 15] = Permission::ALL;

async fn chat_ticket(app: &TestApp, session: &str, text: &str) -> i64 {
    let a = app.send_message(session, text).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["ticketID"].as_i64().unwrap()
}

#[tokio::test]
async fn a_chat_ticket_shows_its_session_and_its_whole_history_in_time_order() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &ALL);
    let ticket = chat_ticket(&app, "session-agent-01", "My parcel is late").await;
    let mut visit = app.session_form("session-agent-01");
    visit.push(("url", "https://shop.example.com/track".into()));
    app.post("notifyUserVisited", &visit, Encoding::Multipart)
        .await;
    let up = app
        .upload(
            "session-agent-01",
            "receipt.pdf",
            b"%PDF-1.4 receipt".to_vec(),
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    app.post(
        "notifyUserEndChat",
        &app.session_form("session-agent-01"),
        Encoding::Json,
    )
    .await;

    let a = app
        .agent_call(
            Method::GET,
            &format!("ticket/{ticket}?getTicketHistory=true"),
            &key,
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = &a.body["item"];
    assert_eq!(t["id"], ticket);
    assert_eq!(t["title"], "My parcel is late");
    assert_eq!(t["status"], "new");
    assert_eq!(t["channel_name"], "chat");
    assert_eq!(t["chat_session_id"], "session-agent-01");
    assert_eq!(t["chat_state"], "ended");
    let kinds: Vec<String> = t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["type"].as_str().unwrap(),
                e["event"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        ["message:", "event:visited", "attachment:", "event:ended"]
    );
    // Without the flag, no timeline.
    let plain = app
        .agent_call(Method::GET, &format!("ticket/{ticket}"), &key, None)
        .await;
    assert!(plain.body["item"].get("timeline").is_none());
}

#[tokio::test]
async fn the_list_filters_pages_and_sorts_newest_update_first() {
    let app = spawn_app().await;
    let (alice, key) = app.agent("Alice", &ALL);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            chat_ticket(
                &app,
                &format!("session-list-{i:04}"),
                &format!("question {i}"),
            )
            .await,
        );
    }
    // Ticket 1 gets a new message: it is now the most recently updated (times are in
    // milliseconds, and the last ticket may have been made in this one).
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    app.send_message("session-list-0001", "anyone there?").await;
    let a = app
        .agent_call(Method::GET, "ticket?itemLimit=2", &key, None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["type"], "list");
    assert_eq!(a.body["itemTotal"], 5);
    assert_eq!(a.body["itemLimit"], 2);
    assert_eq!(a.body["items"][0]["id"], ids[1]);
    assert_eq!(a.body["items"][1]["id"], ids[4]);
    let page2 = app
        .agent_call(Method::GET, "ticket?itemStart=2&itemLimit=2", &key, None)
        .await;
    assert_eq!(page2.body["items"][0]["id"], ids[3]);

    // Status and assignee filters, and `me`.
    let s = app
        .agent_call(
            Method::POST,
            "ticket/setStatus",
            &key,
            Some(json!({"ticketID": ids[0], "status": "pending"})),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    app.agent_call(
        Method::PUT,
        &format!("ticket/{}", ids[2]),
        &key,
        Some(json!({"assignedUserID": alice})),
    )
    .await;
    let pending = app
        .agent_call(Method::GET, "ticket?status=pending", &key, None)
        .await;
    assert_eq!(pending.body["itemTotal"], 1);
    assert_eq!(pending.body["items"][0]["id"], ids[0]);
    let mine = app
        .agent_call(Method::GET, "ticket?assignedUserID=me", &key, None)
        .await;
    assert_eq!(mine.body["itemTotal"], 1);
    assert_eq!(mine.body["items"][0]["id"], ids[2]);
    let by_id = app
        .agent_call(
            Method::GET,
            &format!("ticket?assignedUserID={alice}&channelID=8"),
            &key,
            None,
        )
        .await;
    assert_eq!(by_id.body["itemTotal"], 1);
    let bad = app
        .agent_call(Method::GET, "ticket?status=lost&itemLimit=0", &key, None)
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_codes("status"), vec!["one_of"]);
    assert_eq!(bad.field_codes("itemLimit"), vec!["range"]);
}

#[tokio::test]
async fn assigning_a_waiting_chat_picks_it_up_and_feeds_the_queue_estimates() {
    let app = spawn_app().await;
    let (alice, key) = app.agent("Alice", &ALL);
    let ticket = chat_ticket(&app, "session-pick-a01", "help").await;
    chat_ticket(&app, "session-pick-a02", "me too").await;
    let a = app
        .agent_call(
            Method::PUT,
            &format!("ticket/{ticket}"),
            &key,
            Some(json!({"assignedUserID": alice, "tags": ["vip", "Parcel"]})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["assigned_user_id"], alice);
    assert_eq!(a.body["item"]["chat_state"], "active");
    assert!(a.body["item"]["picked_up_at"].is_string());
    assert_eq!(a.body["item"]["tags"], json!(["parcel", "vip"]));
    let q = app
        .post(
            "requestChatQueue",
            &[("chatAccountToken", app.chat_token.clone())],
            Encoding::Json,
        )
        .await;
    assert_eq!(q.body["queueLength"], 1);
    assert_eq!(q.body["items"][0]["chatSessionID"], "session-pick-a02");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM chat_sessions WHERE picked_up_at IS NOT NULL"),
        1
    );
    let history = app
        .agent_call(
            Method::GET,
            &format!("ticket/{ticket}?getTicketHistory=1"),
            &key,
            None,
        )
        .await;
    let events: Vec<&str> = history.body["item"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(events, ["assignment", "picked_up", "tags"]);
}

#[tokio::test]
async fn status_priority_and_title_changes_are_events_and_solved_sets_closed_at() {
    let app = spawn_app().await;
    let (alice, key) = app.agent("Alice", &ALL);
    let ticket = chat_ticket(&app, "session-change-1", "hello").await;
    let p = app
        .agent_call(
            Method::POST,
            "ticket/setPriority",
            &key,
            Some(json!({"ticketID": ticket, "priority": "urgent"})),
        )
        .await;
    assert_eq!(p.body["item"]["priority"], "urgent");
    let t = app
        .agent_call(
            Method::PUT,
            &format!("ticket/{ticket}"),
            &key,
            Some(json!({"title": "Parcel lost"})),
        )
        .await;
    assert_eq!(t.body["item"]["title"], "Parcel lost");
    let s = app
        .agent_call(
            Method::POST,
            "ticket/setStatus",
            &key,
            Some(json!({"ticketID": ticket, "status": "solved"})),
        )
        .await;
    assert_eq!(s.body["item"]["status"], "solved");
    assert!(s.body["item"]["closed_at"].is_string());
    assert!(s.body["item"]["last_update_agent"].is_string());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM ticket_events WHERE ticket_id = {ticket} AND user_id = {alice}"
        )),
        3
    );
    let bad = app
        .agent_call(
            Method::POST,
            "ticket/setStatus",
            &key,
            Some(json!({"ticketID": ticket, "status": "gone"})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_codes("status"), vec!["one_of"]);
}

#[tokio::test]
async fn a_deleted_ticket_is_gone_from_lists_but_kept() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &ALL);
    let ticket = chat_ticket(&app, "session-delete-1", "hello").await;
    let d = app
        .agent_call(Method::DELETE, &format!("ticket/{ticket}"), &key, None)
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    let g = app
        .agent_call(Method::GET, &format!("ticket/{ticket}"), &key, None)
        .await;
    assert_eq!(g.status, 404);
    let l = app.agent_call(Method::GET, "ticket", &key, None).await;
    assert_eq!(l.body["itemTotal"], 0);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM tickets WHERE deleted_at IS NOT NULL"),
        1
    );
    // The chat server is told, not answered 200 for what nobody would ever see.
    let later = app.send_message("session-delete-1", "still there?").await;
    assert_eq!(later.status, 400, "{}", later.body);
    assert_eq!(later.field_codes("chatSessionID"), ["ticket_deleted"]);
    let file = app
        .upload("session-delete-1", "late.txt", b"late".to_vec())
        .await;
    assert_eq!(file.status, 400, "{}", file.body);
    assert_eq!(file.field_codes("chatSessionID"), ["ticket_deleted"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments"), 0);

    // A phone number's chat has no other session to go on in: it opens a new ticket.
    let first = app.send_message("+31612345678", "my parcel").await;
    let phone_ticket = first.body["ticketID"].as_i64().unwrap();
    let d = app
        .agent_call(
            Method::DELETE,
            &format!("ticket/{phone_ticket}"),
            &key,
            None,
        )
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    let again = app.send_message("+31612345678", "hello? my parcel").await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["ticketCreated"], true);
    let new_ticket = again.body["ticketID"].as_i64().unwrap();
    assert_ne!(new_ticket, phone_ticket);
    let g = app
        .agent_call(Method::GET, &format!("ticket/{new_ticket}"), &key, None)
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
}

#[tokio::test]
async fn each_action_needs_its_permission_and_another_tenants_ids_are_404() {
    let app = spawn_app().await;
    let ticket = chat_ticket(&app, "session-perm-001", "hello").await;
    let (_, reader) = app.agent("Reader", &[Permission::TicketRead]);
    for (method, path, body, missing) in [
        (
            Method::PUT,
            format!("ticket/{ticket}"),
            Some(json!({"title": "x"})),
            "TICKET_UPDATE",
        ),
        (
            Method::POST,
            "ticket/setStatus".to_owned(),
            Some(json!({"ticketID": ticket, "status": "open"})),
            "SET_STATUS",
        ),
        (
            Method::DELETE,
            format!("ticket/{ticket}"),
            None,
            "TICKET_DELETE",
        ),
        (Method::GET, "user".to_owned(), None, "USER_READ"),
    ] {
        let a = app.agent_call(method, &path, &reader, body).await;
        assert_eq!(a.status, 403, "{path}");
        assert!(
            a.body["message"].as_str().unwrap().contains(missing),
            "{}",
            a.body
        );
    }
    let chat_only = app
        .agent_call(Method::GET, "ticket", &app.api_key, None)
        .await;
    assert_eq!(chat_only.status, 403);

    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let other_key = admin::create_api_key(&app.db, other, &Permission::ALL)
        .unwrap()
        .key;
    for (method, path) in [
        (Method::GET, format!("ticket/{ticket}")),
        (Method::DELETE, format!("ticket/{ticket}")),
        (Method::GET, "ticket/999999".to_owned()),
        (Method::GET, "ticket/abc".to_owned()),
    ] {
        let a = app.agent_call(method, &path, &other_key, None).await;
        assert_eq!(a.status, 404, "{path}: {}", a.body);
    }
    let list = app
        .agent_call(Method::GET, "ticket", &other_key, None)
        .await;
    assert_eq!(list.body["itemTotal"], 0);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM tickets WHERE deleted_at IS NULL"),
        1
    );
}

#[tokio::test]
async fn a_file_downloads_with_its_type_a_safe_name_and_nosniff() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &ALL);
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let up = app
        .upload("session-file-dl1", "../report \"final\".bin", bytes.clone())
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    let id = up.body["attachmentID"].as_i64().unwrap();

    let r = app
        .client
        .get(format!("{}/api/v2/file/{id}", app.address))
        .header("apiKey", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(!disposition.contains(".."), "{disposition}");
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);

    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let other_key = admin::create_api_key(&app.db, other, &Permission::ALL)
        .unwrap()
        .key;
    let r = app
        .client
        .get(format!("{}/api/v2/file/{id}", app.address))
        .header("apiKey", &other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn an_agent_creates_a_ticket_for_a_known_customer_only() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &ALL);
    chat_ticket(&app, "session-create-1", "hello").await;
    let customer = app.count("SELECT MIN(id) AS n FROM customers");
    let a = app
        .agent_call(
            Method::POST,
            "ticket",
            &key,
            Some(json!({"title": "Follow-up", "customerID": customer, "channelID": 1})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["direction"], "outbound");
    assert_eq!(a.body["item"]["channel_name"], "email");
    let bad = app
        .agent_call(
            Method::POST,
            "ticket",
            &key,
            Some(json!({"title": "", "customerID": 99999})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_codes("title"), vec!["required"]);
    let unknown = app
        .agent_call(
            Method::POST,
            "ticket",
            &key,
            Some(json!({"title": "x", "customerID": 99999})),
        )
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.field_codes("customerID"), vec!["unknown"]);

    // A deleted customer is no customer to open a ticket for.
    let d = app
        .agent_call(Method::DELETE, &format!("customer/{customer}"), &key, None)
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    let deleted = app
        .agent_call(
            Method::POST,
            "ticket",
            &key,
            Some(json!({"title": "Again", "customerID": customer})),
        )
        .await;
    assert_eq!(deleted.status, 400, "{}", deleted.body);
    assert_eq!(deleted.field_codes("customerID"), vec!["unknown"]);
}
