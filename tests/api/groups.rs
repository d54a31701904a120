//! Agent groups: created, listed, renamed, their members changed, removed; names unique per
//! tenant; members must be the tenant's agents; another tenant sees none of them; an agent
//! removed leaves the groups; the command line creates them too.

use omnibridge::domain::permission::Permission;
use omnibridge::services::admin;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::spawn_app;

fn ids(item: &Value) -> Vec<i64> {
    item["user_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn groups_are_created_listed_changed_and_removed_within_their_tenant() {
    let app = spawn_app().await;
    let (alice, key) = app.agent("Alice", &Permission::ALL);
    let (bob, _) = app.agent("Bob", &[Permission::TicketRead]);

    let a = app
        .agent_call(
            Method::POST,
            "group",
            &key,
            Some(json!({"name": "Sales", "userIDs": [bob, alice, bob]})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let sales = a.body["item"]["id"].as_i64().unwrap();
    assert_eq!(a.body["item"]["name"], "Sales");
    let mut both = vec![alice, bob];
    both.sort_unstable();
    assert_eq!(ids(&a.body["item"]), both);

    // Form-encoded, members comma-separated.
    let form = [
        ("name", "Support".to_owned()),
        ("userIDs", format!("{alice}")),
    ];
    let response = app
        .client
        .post(format!("{}/api/v2/group", app.address))
        .header("apiKey", &key)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let support: Value = response.json().await.unwrap();
    let support = support["item"]["id"].as_i64().unwrap();

    // Names are unique in the tenant; members must be its agents.
    let a = app
        .agent_call(Method::POST, "group", &key, Some(json!({"name": "Sales"})))
        .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.field_codes("name"), ["taken"]);
    let a = app
        .agent_call(
            Method::POST,
            "group",
            &key,
            Some(json!({"name": "Nobody", "userIDs": [alice, 999_999]})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("userIDs"), ["unknown"]);
    let a = app
        .agent_call(Method::POST, "group", &key, Some(json!({"name": ""})))
        .await;
    assert_eq!(a.status, 400, "{}", a.body);

    let all = app.agent_call(Method::GET, "group", &key, None).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["itemTotal"], 2);
    assert_eq!(all.body["items"][0]["name"], "Sales");
    assert_eq!(all.body["items"][1]["name"], "Support");

    // Renamed, and Bob alone in it.
    let a = app
        .agent_call(
            Method::PUT,
            &format!("group/{sales}"),
            &key,
            Some(json!({"name": "Sales EU", "userIDs": [bob]})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["name"], "Sales EU");
    assert_eq!(ids(&a.body["item"]), [bob]);
    let a = app
        .agent_call(
            Method::PUT,
            &format!("group/{sales}"),
            &key,
            Some(json!({"name": "Support"})),
        )
        .await;
    assert_eq!(a.status, 409, "{}", a.body);

    // Reading needs USER_READ, changing USER_CUD.
    let (_, reader) = app.agent("Carol", &[Permission::UserRead]);
    let a = app
        .agent_call(Method::GET, &format!("group/{sales}"), &reader, None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .agent_call(Method::DELETE, &format!("group/{sales}"), &reader, None)
        .await;
    assert_eq!(a.status, 403, "{}", a.body);

    // Another tenant sees none of them.
    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let other_key =
        admin::create_api_key(&app.db, other, &[Permission::UserRead, Permission::UserCud])
            .unwrap()
            .key;
    let a = app.agent_call(Method::GET, "group", &other_key, None).await;
    assert_eq!(a.body["itemTotal"], 0, "{}", a.body);
    for method in [Method::GET, Method::DELETE] {
        let a = app
            .agent_call(method, &format!("group/{sales}"), &other_key, None)
            .await;
        assert_eq!(a.status, 404, "{}", a.body);
    }
    let a = app
        .agent_call(
            Method::POST,
            "group",
            &other_key,
            Some(json!({"name": "Theirs", "userIDs": [alice]})),
        )
        .await;
    assert_eq!(a.field_codes("userIDs"), ["unknown"]);

    // An agent removed leaves every group.
    let a = app
        .agent_call(Method::DELETE, &format!("user/{bob}"), &key, None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .agent_call(Method::GET, &format!("group/{sales}"), &key, None)
        .await;
    assert_eq!(ids(&a.body["item"]), Vec::<i64>::new());

    let a = app
        .agent_call(Method::DELETE, &format!("group/{support}"), &key, None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["groupID"], support);
    let a = app
        .agent_call(Method::GET, &format!("group/{support}"), &key, None)
        .await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn the_command_line_creates_a_group() {
    let app = spawn_app().await;
    let (alice, key) = app.agent("Alice", &Permission::ALL);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_omnibridge"))
        .args(["group", "create", "--tenant", &app.tenant_id.to_string()])
        .args(["--name", "Night shift", "--user", &alice.to_string()])
        .env("OMNIBRIDGE__DATABASE__URL", app.database_url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("omnibridge runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["name"], "Night shift");
    let id = printed["id"].as_i64().unwrap();
    let a = app
        .agent_call(Method::GET, &format!("group/{id}"), &key, None)
        .await;
    assert_eq!(ids(&a.body["item"]), [alice]);
}

async fn create_group(app: &crate::helpers::TestApp, key: &str, name: &str, users: &[i64]) -> i64 {
    let a = app
        .agent_call(
            Method::POST,
            "group",
            key,
            Some(json!({"name": name, "userIDs": users})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["item"]["id"].as_i64().unwrap()
}

async fn view_of(app: &crate::helpers::TestApp, key: &str, condition: Value) -> Vec<i64> {
    let a = app
        .agent_call(
            Method::POST,
            "view",
            key,
            Some(json!({"name": format!("by group {condition}"), "conditions": [condition]})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let view = a.body["item"]["id"].as_i64().unwrap();
    let a = app
        .agent_call(Method::GET, &format!("ticket?applyView={view}"), key, None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut ids: Vec<i64> = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn a_chat_accounts_new_chats_go_to_its_group_which_views_select_and_only_its_agents_hear_of()
{
    let app = spawn_app().await;
    let (alice, key) = app.agent("Alice", &Permission::ALL);
    let (bob, bob_key) = app.agent("Bob", &Permission::ALL);
    let sales = create_group(&app, &key, "Sales", &[alice]).await;
    let support = create_group(&app, &key, "Support", &[bob]).await;

    // Before the account has a group: no group, everyone told.
    let a = app
        .send_message("session-group-01", "Before any group")
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let before = a.body["ticketID"].as_i64().unwrap();

    let accounts = app.agent_call(Method::GET, "chatAccount", &key, None).await;
    let account = accounts.body["items"][0]["id"].as_i64().unwrap();
    let a = app
        .agent_call(
            Method::PUT,
            &format!("chatAccount/{account}"),
            &key,
            Some(json!({"groupID": 999_999})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("groupID"), ["unknown"]);
    let a = app
        .agent_call(
            Method::PUT,
            &format!("chatAccount/{account}"),
            &key,
            Some(json!({"groupID": sales})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["group_id"], sales);

    let a = app
        .send_message("session-group-02", "For sales, please")
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let routed = a.body["ticketID"].as_i64().unwrap();
    let t = app
        .agent_call(Method::GET, &format!("ticket/{routed}"), &key, None)
        .await;
    assert_eq!(t.body["item"]["assigned_group_id"], sales, "{}", t.body);
    let t = app
        .agent_call(Method::GET, &format!("ticket/{before}"), &key, None)
        .await;
    assert!(t.body["item"]["assigned_group_id"].is_null());

    // Told to the group's agents only; a chat of no group to everyone.
    let told = |user: i64, ticket: i64| {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {user} \
             AND ticket_id = {ticket}"
        ))
    };
    assert_eq!((told(alice, routed), told(bob, routed)), (1, 0));
    assert_eq!((told(alice, before), told(bob, before)), (1, 1));

    // Views: by group, in a group or not, in one of mine.
    assert_eq!(
        view_of(
            &app,
            &key,
            json!({"field": "assigned_group_id", "operator": "is", "value": sales})
        )
        .await,
        [routed]
    );
    assert_eq!(
        view_of(
            &app,
            &key,
            json!({"field": "assigned_group_id", "operator": "is_not_set"})
        )
        .await,
        [before]
    );
    assert_eq!(
        view_of(
            &app,
            &key,
            json!({"field": "assigned_group_id", "operator": "mine"})
        )
        .await,
        [routed]
    );
    assert!(view_of(
        &app,
        &bob_key,
        json!({"field": "assigned_group_id", "operator": "mine"})
    )
    .await
    .is_empty());
    let a = app
        .agent_call(
            Method::POST,
            "view",
            &key,
            Some(json!({"name": "bad", "conditions": [
                {"field": "assigned_group_id", "operator": "has", "value": 1}
            ]})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);

    // An agent moves the ticket to another group; an unknown one is refused.
    let a = app
        .agent_call(
            Method::PUT,
            &format!("ticket/{routed}"),
            &key,
            Some(json!({"assignedGroupID": 999_999})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("assignedGroupID"), ["unknown"]);
    let a = app
        .agent_call(
            Method::PUT,
            &format!("ticket/{routed}"),
            &key,
            Some(json!({"assignedGroupID": support})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["assigned_group_id"], support);
    assert_eq!(
        view_of(
            &app,
            &bob_key,
            json!({"field": "assigned_group_id", "operator": "mine"})
        )
        .await,
        [routed]
    );

    // A group removed: its tickets have none, its account's new chats go to none.
    let a = app
        .agent_call(Method::DELETE, &format!("group/{support}"), &key, None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = app
        .agent_call(Method::GET, &format!("ticket/{routed}"), &key, None)
        .await;
    assert!(t.body["item"]["assigned_group_id"].is_null(), "{}", t.body);
    let a = app
        .agent_call(
            Method::PUT,
            &format!("chatAccount/{account}"),
            &key,
            Some(json!({"groupID": 0})),
        )
        .await;
    assert!(a.body["item"]["group_id"].is_null(), "{}", a.body);
}

#[tokio::test]
async fn a_groups_chat_waiting_too_long_is_told_to_its_agents_only() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Options {
        wait_alert_seconds: 1,
        ..crate::helpers::Options::default()
    })
    .await;
    let (alice, key) = app.agent("Alice", &Permission::ALL);
    let (bob, _) = app.agent("Bob", &Permission::ALL);
    let sales = create_group(&app, &key, "Sales", &[alice]).await;
    let accounts = app.agent_call(Method::GET, "chatAccount", &key, None).await;
    let account = accounts.body["items"][0]["id"].as_i64().unwrap();
    let a = app
        .agent_call(
            Method::PUT,
            &format!("chatAccount/{account}"),
            &key,
            Some(json!({"groupID": sales})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .send_message("session-group-wait", "Anyone there?")
        .await;
    let ticket = a.body["ticketID"].as_i64().unwrap();
    let alerted = |user: i64| {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {user} \
             AND ticket_id = {ticket} AND kind = 'waiting_too_long'"
        ))
    };
    crate::helpers::wait_until("the waiting chat is alerted", || alerted(alice) == 1);
    assert_eq!(alerted(bob), 0);
}
