use crate::helpers::{spawn_app, Encoding};

#[tokio::test]
async fn the_queue_lists_waiting_chats_oldest_first_with_positions_and_estimates() {
    let app = spawn_app().await;
    for s in ["session-queue-01", "session-queue-02", "session-queue-03"] {
        assert_eq!(app.send_message(s, "waiting").await.status, 200);
    }
    let form = [("chatAccountToken", app.chat_token.clone())];
    let q = app
        .post("requestChatQueue", &form, Encoding::Multipart)
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.body["type"], "list");
    assert_eq!(q.body["queueLength"], 3);
    assert_eq!(q.body["itemTotal"], 3);
    let items = q.body["items"].as_array().unwrap();
    let order: Vec<_> = items
        .iter()
        .map(|i| i["chatSessionID"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["session-queue-01", "session-queue-02", "session-queue-03"]
    );
    // No pick-ups measured yet and no agent online: the account's default of 60 s a slot.
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item["position"], i + 1);
        assert_eq!(item["initialEstimatedWait"], 60 * (i as i64 + 1));
        let current = item["currentEstimatedWait"].as_i64().unwrap();
        assert!(
            current <= 60 * (i as i64 + 1) && current >= 60 * i as i64,
            "{item}"
        );
        assert!(item["ticketID"].as_i64().is_some());
        assert!(item["enteredAt"].as_str().unwrap().ends_with('Z'));
    }

    // The first one ends: everyone moves up.
    app.post(
        "notifyUserEndChat",
        &app.session_form("session-queue-01"),
        Encoding::Multipart,
    )
    .await;
    let q = app
        .post("requestChatQueue", &form, Encoding::UrlEncoded)
        .await;
    let items = q.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["chatSessionID"], "session-queue-02");
    assert_eq!(items[0]["position"], 1);
    assert_eq!(items[0]["initialEstimatedWait"], 120);
}

#[tokio::test]
async fn estimates_follow_measured_pickups_and_agents_online() {
    let app = spawn_app().await;
    app.send_message("session-pick-001", "picked up later")
        .await;
    app.send_message("session-pick-002", "still waiting").await;
    // An agent picked the first chat up after 30 s (it left the account's count of waiting
    // chats); two agents are online now.
    app.exec(
        "UPDATE chat_sessions SET picked_up_at = queue_entered_at + 30000, state = 'active' \
         WHERE chat_session_id = 'session-pick-001'",
    );
    app.exec("UPDATE chat_accounts SET waiting_chats = waiting_chats - 1");
    let t = app.tenant_id;
    app.exec(&format!(
        "INSERT INTO users (tenant_id, name, email, is_online, email_notifications, created_at) \
         VALUES ({t}, 'A', 'a@x.example', TRUE, TRUE, 0), ({t}, 'B', 'b@x.example', TRUE, TRUE, 0)"
    ));
    app.send_message("session-pick-003", "new arrival").await;

    let q = app
        .post(
            "requestChatQueue",
            &[("chatAccountToken", app.chat_token.clone())],
            Encoding::Json,
        )
        .await;
    let items = q.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    // 30 s average shared by 2 agents = 15 s a slot; the newcomer is second in line.
    assert_eq!(items[1]["chatSessionID"], "session-pick-003");
    assert_eq!(items[1]["initialEstimatedWait"], 30);
    let current = items[1]["currentEstimatedWait"].as_i64().unwrap();
    assert!((15..=30).contains(&current), "{current}");
}

/// The account's count of waiting chats (what a new chat's place and a full queue are read
/// from) is the number of sessions waiting, whatever happened to them.
#[tokio::test]
async fn a_new_chats_place_is_exact_after_pickups_ends_and_repeats() {
    use omnibridge::domain::permission::Permission;
    use reqwest::Method;
    use serde_json::json;

    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let mut tickets = Vec::new();
    for i in 0..6 {
        let a = app
            .send_message(&format!("session-count-0{i}"), "waiting")
            .await;
        tickets.push(a.body["ticketID"].as_i64().unwrap());
    }
    let agree = |app: &crate::helpers::TestApp| {
        let counted = app.count("SELECT MIN(waiting_chats) AS n FROM chat_accounts");
        let waiting = app.count("SELECT COUNT(*) AS n FROM chat_sessions WHERE state = 'waiting'");
        assert_eq!(counted, waiting);
        waiting
    };
    assert_eq!(agree(&app), 6);
    // Picked up by a reply, by an assignment; ended while waiting, ended after a pick-up,
    // ended twice.
    let reply = json!({"ticketID": tickets[0], "type": 8, "message": "Hello there"});
    app.agent_call(Method::POST, "message", &key, Some(reply))
        .await;
    let me = app.agent_call(Method::GET, "user", &key, None).await.body["items"][0]["id"].clone();
    let assign = json!({"assignedUserID": me});
    app.agent_call(
        Method::PUT,
        &format!("ticket/{}", tickets[1]),
        &key,
        Some(assign),
    )
    .await;
    assert_eq!(agree(&app), 4);
    for s in ["session-count-00", "session-count-02", "session-count-02"] {
        let a = app
            .post(
                "notifyUserEndChat",
                &app.session_form(s),
                Encoding::Multipart,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    assert_eq!(agree(&app), 3);
    // The next chat is fourth in line.
    app.send_message("session-count-06", "waiting").await;
    let form = [("chatAccountToken", app.chat_token.clone())];
    let q = app
        .post("requestChatQueue", &form, Encoding::Multipart)
        .await;
    let last = q.body["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["chatSessionID"], "session-count-06");
    assert_eq!(last["position"], 4);
    assert_eq!(agree(&app), 4);
}
