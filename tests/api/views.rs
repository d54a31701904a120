use omnibridge::domain::permission::Permission;
use omnibridge::services::admin;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Encoding, Options, TestApp};

async fn ticket(app: &TestApp, session: &str) -> i64 {
    let a = app.send_message(session, "hello").await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["ticketID"].as_i64().unwrap()
}

async fn view(app: &TestApp, key: &str, name: &str, conditions: Value, sort: Option<&str>) -> i64 {
    let mut body = json!({"name": name, "conditions": conditions});
    if let Some(sort) = sort {
        body["sort"] = json!(sort);
    }
    let a = app.agent_call(Method::POST, "view", key, Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["item"]["id"].as_i64().unwrap()
}

async fn apply(app: &TestApp, key: &str, view: i64) -> Vec<i64> {
    let a = app
        .agent_call(Method::GET, &format!("ticket?applyView={view}"), key, None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn views_select_tickets_by_chat_state_assignee_priority_status_and_tags() {
    let app = spawn_app().await;
    let (alice, key) = app.agent("Alice", &Permission::ALL);
    let (bob, _) = app.agent("Bob", &Permission::ALL);
    let waiting = ticket(&app, "session-view-001").await;
    let mine_urgent = ticket(&app, "session-view-002").await;
    let bobs = ticket(&app, "session-view-003").await;
    let solved_mine = ticket(&app, "session-view-004").await;
    for (id, body) in [
        (
            mine_urgent,
            json!({"assignedUserID": alice, "priority": "urgent", "tags": ["vip"]}),
        ),
        (bobs, json!({"assignedUserID": bob, "tags": "vip, refund"})),
        (
            solved_mine,
            json!({"assignedUserID": alice, "priority": "high"}),
        ),
    ] {
        let path = format!("ticket/{id}");
        let a = app.agent_call(Method::PUT, &path, &key, Some(body)).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    app.agent_call(
        Method::POST,
        "ticket/setStatus",
        &key,
        Some(json!({"ticketID": solved_mine, "status": "solved"})),
    )
    .await;

    let unassigned = view(
        &app,
        &key,
        "Unassigned waiting chats",
        json!([
            {"field": "chat_state", "operator": "is", "value": "waiting"},
            {"field": "assigned_user_id", "operator": "is_not_set"},
        ]),
        None,
    )
    .await;
    assert_eq!(apply(&app, &key, unassigned).await, [waiting]);

    let my_urgent = view(
        &app,
        &key,
        "My urgent open",
        json!([
            {"field": "assigned_user_id", "operator": "is", "value": "me"},
            {"field": "priority", "operator": "in", "value": ["high", "urgent"]},
            {"field": "status", "operator": "not_in", "value": ["solved", "closed"]},
        ]),
        None,
    )
    .await;
    assert_eq!(apply(&app, &key, my_urgent).await, [mine_urgent]);

    let vip = view(
        &app,
        &key,
        "VIP",
        json!([{"field": "tags", "operator": "has", "value": "VIP"}]),
        Some("created_at asc"),
    )
    .await;
    assert_eq!(apply(&app, &key, vip).await, [mine_urgent, bobs]);
    let not_vip = view(
        &app,
        &key,
        "Not VIP",
        json!([
            {"field": "tags", "operator": "has_not", "value": "vip"},
            {"field": "assigned_user_id", "operator": "is_not", "value": "me"},
        ]),
        Some("id asc"),
    )
    .await;
    assert_eq!(apply(&app, &key, not_vip).await, [waiting]);

    let recent = view(
        &app,
        &key,
        "Recent",
        json!([{"field": "created_at", "operator": "newer_than", "value": "-1h"}]),
        None,
    )
    .await;
    assert_eq!(apply(&app, &key, recent).await.len(), 4);
    let old = view(
        &app,
        &key,
        "Old",
        json!([{"field": "last_update", "operator": "older_than", "value": "1d"}]),
        None,
    )
    .await;
    assert!(apply(&app, &key, old).await.is_empty());

    // A view combines with explicit filters.
    let a = app
        .agent_call(
            Method::GET,
            &format!("ticket?applyView={vip}&assignedUserID={bob}"),
            &key,
            None,
        )
        .await;
    assert_eq!(a.body["itemTotal"], 1);
    assert_eq!(a.body["items"][0]["id"], bobs);
}

#[tokio::test]
async fn an_invalid_condition_is_a_400_naming_it() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let a = app
        .agent_call(
            Method::POST,
            "view",
            &key,
            Some(json!({"name": "Broken", "conditions": [
                {"field": "status", "operator": "is", "value": "open"},
                {"field": "mood", "operator": "is", "value": "happy"},
                {"field": "priority", "operator": "like", "value": "high"},
                {"field": "chat_state", "operator": "is", "value": "sleeping"},
            ]})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("conditions[1]"), vec!["unknown_field"]);
    assert_eq!(a.field_codes("conditions[2]"), vec!["unknown_operator"]);
    assert_eq!(a.field_codes("conditions[3]"), vec!["invalid_value"]);
    assert!(a.field_codes("conditions[0]").is_empty());
    assert!(a.body["message"].as_str().unwrap().contains("mood"));
    let bad_sort = app
        .agent_call(
            Method::POST,
            "view",
            &key,
            Some(json!({"name": "x", "sort": "priority sideways"})),
        )
        .await;
    assert_eq!(bad_sort.status, 400);
    let not_json = app
        .agent_call(
            Method::POST,
            "view",
            &key,
            Some(json!({"name": "x", "conditions": "status=open"})),
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.field_codes("conditions"), vec!["invalid"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM views"), 0);
}

#[tokio::test]
async fn views_are_read_changed_and_deleted_within_their_tenant() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let id = view(
        &app,
        &key,
        "Open",
        json!([{"field": "status", "operator": "is", "value": "open"}]),
        None,
    )
    .await;
    let g = app
        .agent_call(Method::GET, &format!("view/{id}"), &key, None)
        .await;
    assert_eq!(g.body["item"]["name"], "Open");
    assert_eq!(
        g.body["item"]["sort"],
        json!({"field": "last_update", "direction": "desc"})
    );
    let u = app
        .agent_call(
            Method::PUT,
            &format!("view/{id}"),
            &key,
            Some(json!({"name": "Open tickets", "sort": {"field": "id", "direction": "asc"}})),
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert_eq!(u.body["item"]["name"], "Open tickets");
    assert_eq!(u.body["item"]["conditions"][0]["value"], "open");
    assert_eq!(u.body["item"]["sort"]["direction"], "asc");
    assert_eq!(
        app.agent_call(Method::GET, "view", &key, None).await.body["itemTotal"],
        1
    );

    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let other_key = admin::create_api_key(&app.db, other, &Permission::ALL)
        .unwrap()
        .key;
    assert_eq!(
        app.agent_call(Method::GET, &format!("view/{id}"), &other_key, None)
            .await
            .status,
        404
    );
    let elsewhere = app
        .agent_call(
            Method::GET,
            &format!("ticket?applyView={id}"),
            &other_key,
            None,
        )
        .await;
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.body);
    let reader = app.agent("Reader", &[Permission::ViewRead]).1;
    assert_eq!(
        app.agent_call(Method::DELETE, &format!("view/{id}"), &reader, None)
            .await
            .status,
        403
    );
    let anonymous = admin::create_api_key(&app.db, app.tenant_id, &Permission::ALL)
        .unwrap()
        .key;
    let mine = view(
        &app,
        &key,
        "Mine",
        json!([{"field": "assigned_user_id", "operator": "is", "value": "me"}]),
        None,
    )
    .await;
    let no_me = app
        .agent_call(
            Method::GET,
            &format!("ticket?applyView={mine}"),
            &anonymous,
            None,
        )
        .await;
    assert_eq!(no_me.status, 400, "{}", no_me.body);

    assert_eq!(
        app.agent_call(Method::DELETE, &format!("view/{id}"), &key, None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.agent_call(Method::GET, &format!("view/{id}"), &key, None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn chat_state_views_follow_the_session_from_waiting_to_active_to_ended() {
    let app = spawn_app().await;
    let (alice, key) = app.agent("Alice", &Permission::ALL);
    let picked = ticket(&app, "session-state-001").await;
    let ended = ticket(&app, "session-state-002").await;
    let still_waiting = ticket(&app, "session-state-003").await;
    let a = app
        .agent_call(Method::GET, &format!("ticket/{picked}"), &key, None)
        .await;
    let customer = a.body["item"]["customer_id"].as_i64().unwrap();
    let a = app
        .agent_call(
            Method::POST,
            "ticket",
            &key,
            Some(json!({"title": "Phoned in", "customerID": customer, "channelID": 2})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let not_chat = a.body["item"]["id"].as_i64().unwrap();

    let in_state =
        |state: &'static str| json!([{"field": "chat_state", "operator": "is", "value": state}]);
    let waiting = view(&app, &key, "Waiting", in_state("waiting"), Some("id asc")).await;
    let active = view(&app, &key, "Active", in_state("active"), Some("id asc")).await;
    let ended_view = view(&app, &key, "Ended", in_state("ended"), Some("id asc")).await;
    let not_waiting = view(
        &app,
        &key,
        "Not waiting",
        json!([{"field": "chat_state", "operator": "is_not", "value": "waiting"}]),
        Some("id asc"),
    )
    .await;
    assert_eq!(
        apply(&app, &key, waiting).await,
        [picked, ended, still_waiting]
    );

    // Assigning picks the chat up; the customer ending it ends it.
    let a = app
        .agent_call(
            Method::PUT,
            &format!("ticket/{picked}"),
            &key,
            Some(json!({"assignedUserID": alice})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .post(
            "notifyUserEndChat",
            &app.session_form("session-state-002"),
            Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    assert_eq!(apply(&app, &key, waiting).await, [still_waiting]);
    assert_eq!(apply(&app, &key, active).await, [picked]);
    assert_eq!(apply(&app, &key, ended_view).await, [ended]);
    // A ticket that is no chat is in no chat state.
    assert_eq!(
        apply(&app, &key, not_waiting).await,
        [picked, ended, not_chat]
    );
    let a = app
        .agent_call(Method::GET, &format!("ticket/{picked}"), &key, None)
        .await;
    assert_eq!(a.body["item"]["chat_state"], "active", "{}", a.body);
}

#[tokio::test]
async fn big_lists_count_exactly_up_to_the_count_limit_and_say_when_they_stop() {
    let app = spawn_app_with(Options {
        list_count_limit: 3,
        ..Options::default()
    })
    .await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    for i in 0..7 {
        ticket(&app, &format!("session-count-{i:03}")).await;
    }
    let page = |start: i64, limit: i64| {
        let key = key.clone();
        let app = &app;
        async move {
            let a = app
                .agent_call(
                    Method::GET,
                    &format!("ticket?itemStart={start}&itemLimit={limit}"),
                    &key,
                    None,
                )
                .await;
            assert_eq!(a.status, 200, "{}", a.body);
            (
                a.body["items"].as_array().unwrap().len(),
                a.body["itemTotal"].as_i64().unwrap(),
                a.body["itemTotalExact"].as_bool().unwrap(),
            )
        }
    };
    // Counting stops three past the page: at least 5, then at least 6.
    assert_eq!(page(0, 2).await, (2, 5, false));
    assert_eq!(page(1, 2).await, (2, 6, false));
    // A page bigger than the count limit never says less than it holds.
    assert_eq!(page(0, 4).await, (4, 7, true));
    // Near the end the count is exact again, and the last page knows it by itself.
    assert_eq!(page(4, 2).await, (2, 7, true));
    assert_eq!(page(6, 2).await, (1, 7, true));
    assert_eq!(page(0, 20).await, (7, 7, true));
    // Past the end: nothing, and still the true total.
    assert_eq!(page(10, 2).await, (0, 7, true));

    let exact = spawn_app_with(Options {
        list_count_limit: 0,
        ..Options::default()
    })
    .await;
    let (_, key) = exact.agent("Alice", &Permission::ALL);
    for i in 0..5 {
        ticket(&exact, &format!("session-exact-{i:03}")).await;
    }
    let a = exact
        .agent_call(Method::GET, "ticket?itemLimit=2", &key, None)
        .await;
    assert_eq!(a.body["itemTotal"], 5, "{}", a.body);
    assert_eq!(a.body["itemTotalExact"], true, "{}", a.body);
}
