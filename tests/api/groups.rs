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
