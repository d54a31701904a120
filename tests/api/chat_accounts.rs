use omnibridge::domain::permission::Permission;
use omnibridge::services::admin;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Encoding, TestApp};

/// The id of the test app's own chat account (the one its chat token names).
async fn own_account(app: &TestApp, key: &str) -> i64 {
    let a = app.agent_call(Method::GET, "chatAccount", key, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["token"] == app.chat_token.as_str())
        .expect("the app's chat account is listed")["id"]
        .as_i64()
        .unwrap()
}

async fn chat_config(app: &TestApp) -> Value {
    let form = vec![
        ("chatServer", crate::helpers::CHAT_SERVER.to_owned()),
        ("chatAccountToken", app.chat_token.clone()),
    ];
    let a = app.post("requestChatConfig", &form, Encoding::Json).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

#[tokio::test]
async fn settings_are_read_and_changed_and_chat_servers_see_the_change() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Admin", &[Permission::SettingsCrud]);
    let id = own_account(&app, &key).await;

    let a = app
        .agent_call(Method::GET, &format!("chatAccount/{id}"), &key, None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body["item"].get("secret").is_none(), "{}", a.body);
    assert_eq!(a.body["item"]["transcripts"], false);

    let a = app
        .agent_call(
            Method::PUT,
            &format!("chatAccount/{id}"),
            &key,
            Some(json!({
                "greeting": "Welcome to Acme!",
                "requiredFields": ["customerName", "emailAddress"],
                "timeZone": "Europe/Amsterdam",
                "serviceHours": "mon-fri 09:00-17:00",
                "attachmentTypes": "image/*, application/pdf",
                "transcripts": true,
                "queueMaxLength": 25,
            })),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let item = &a.body["item"];
    assert_eq!(item["greeting"], "Welcome to Acme!");
    assert_eq!(
        item["required_fields"],
        json!(["customerName", "emailAddress"])
    );
    assert_eq!(
        item["attachment_types"],
        json!(["image/*", "application/pdf"])
    );
    assert_eq!(item["transcripts"], true);
    assert_eq!(item["queue_max_length"], 25);
    // Untouched settings stay.
    assert_eq!(item["language"], "en");

    // Service hours are kept in their normal form.
    assert_eq!(item["service_hours"], "mon,tue,wed,thu,fri 09:00-17:00");

    let config = &chat_config(&app).await["item"];
    assert_eq!(config["greeting"], "Welcome to Acme!");
    assert_eq!(config["timeZone"], "Europe/Amsterdam");
    assert_eq!(config["serviceHours"], "mon,tue,wed,thu,fri 09:00-17:00");
    assert_eq!(
        config["requiredFields"],
        json!(["customerName", "emailAddress"])
    );
    assert_eq!(config["queue"]["maxLength"], 25);

    // Empty clears a text; nothing sent changes nothing.
    let a = app
        .agent_call(
            Method::PUT,
            &format!("chatAccount/{id}"),
            &key,
            Some(json!({"serviceHours": ""})),
        )
        .await;
    assert_eq!(a.body["item"]["service_hours"], "", "{}", a.body);
    let a = app
        .agent_call(
            Method::PUT,
            &format!("chatAccount/{id}"),
            &key,
            Some(json!({})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["greeting"], "Welcome to Acme!");
}

#[tokio::test]
async fn rotating_the_secret_shows_the_new_one_once() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Admin", &[Permission::SettingsCrud]);
    let id = own_account(&app, &key).await;
    let a = app
        .agent_call(
            Method::PUT,
            &format!("chatAccount/{id}"),
            &key,
            Some(json!({"rotateSecret": true})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let secret = a.body["item"]["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 48, "{secret}");
    let stored = |secret: &str| {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM chat_accounts WHERE id = {id} AND secret = '{secret}'"
        ))
    };
    assert_eq!(stored(&secret), 1);
    let a = app
        .agent_call(Method::GET, &format!("chatAccount/{id}"), &key, None)
        .await;
    assert!(a.body["item"].get("secret").is_none(), "{}", a.body);
}

/// The body plus a greeting change, which must not be stored when the rest is refused.
fn with_greeting(body: &Value) -> Value {
    let mut body = body.clone();
    body["greeting"] = json!("Changed?");
    body
}

#[tokio::test]
async fn bad_settings_are_400s_naming_them_and_nothing_changes() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Admin", &[Permission::SettingsCrud]);
    let id = own_account(&app, &key).await;
    for (body, field, code) in [
        (json!({"timeZone": "Mars/Olympus"}), "timeZone", "unknown"),
        (
            json!({"requiredFields": ["shoeSize"]}),
            "requiredFields",
            "one_of",
        ),
        (
            json!({"serviceHours": "someday 25:00-26:00"}),
            "serviceHours",
            "pattern",
        ),
        (json!({"queueMaxLength": -1}), "queueMaxLength", "range"),
        (json!({"transcripts": "perhaps"}), "transcripts", "boolean"),
        (json!({"name": "Shop\u{1b}[31m chat"}), "name", "pattern"),
        (json!({"name": "Shop\nchat"}), "name", "pattern"),
    ] {
        let a = app
            .agent_call(
                Method::PUT,
                &format!("chatAccount/{id}"),
                &key,
                Some(with_greeting(&body)),
            )
            .await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
        assert_eq!(a.field_codes(field), [code], "{body}: {}", a.body);
    }
    let a = app
        .agent_call(Method::GET, &format!("chatAccount/{id}"), &key, None)
        .await;
    assert_ne!(a.body["item"]["greeting"], "Changed?");
}

#[tokio::test]
async fn chat_accounts_need_settings_crud_and_stay_within_their_tenant() {
    let app = spawn_app().await;
    let (_, admin_key) = app.agent("Admin", &[Permission::SettingsCrud]);
    let id = own_account(&app, &admin_key).await;
    let (_, reader) = app.agent("Reader", &[Permission::TicketRead]);
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(json!({"name": "x"}))),
    ] {
        let a = app
            .agent_call(method, &format!("chatAccount/{id}"), &reader, body)
            .await;
        assert_eq!(a.status, 403, "{}", a.body);
        assert!(
            a.body["message"]
                .as_str()
                .unwrap()
                .contains("SETTINGS_CRUD"),
            "{}",
            a.body
        );
    }
    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let other_key = admin::create_api_key(&app.db, other, &[Permission::SettingsCrud])
        .unwrap()
        .key;
    let a = app
        .agent_call(Method::GET, "chatAccount", &other_key, None)
        .await;
    assert_eq!(a.body["itemTotal"], 0, "{}", a.body);
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(json!({"name": "Mine now"}))),
    ] {
        let a = app
            .agent_call(method, &format!("chatAccount/{id}"), &other_key, body)
            .await;
        assert_eq!(a.status, 404, "{}", a.body);
    }
}

#[tokio::test]
async fn the_command_line_changes_settings_too() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Admin", &[Permission::SettingsCrud]);
    let id = own_account(&app, &key).await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_omnibridge"))
            .args(args)
            .env("OMNIBRIDGE__DATABASE__URL", app.database_url())
            .env("RUST_LOG", "warn")
            .output()
            .expect("omnibridge runs")
    };
    let tenant = app.tenant_id.to_string();
    let id_text = id.to_string();
    let before = app
        .agent_call(Method::GET, &format!("chatAccount/{id}"), &key, None)
        .await
        .body["item"]["webhook_token"]
        .clone();
    let out = run(&[
        "chat-account",
        "set",
        "--tenant",
        &tenant,
        "--id",
        &id_text,
        "--greeting",
        "Hello from the shell",
        "--transcripts",
        "true",
        "--require",
        "emailAddress",
        "--rotate-secret",
        "--rotate-webhook-token",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["greeting"], "Hello from the shell");
    assert_eq!(printed["transcripts"], true);
    assert_eq!(printed["required_fields"], json!(["emailAddress"]));
    assert!(printed["secret"].as_str().is_some_and(|s| s.len() >= 48));
    assert!(printed["webhook_token"]
        .as_str()
        .is_some_and(|s| s.len() >= 48));
    assert_ne!(printed["webhook_token"], before);
    let a = app
        .agent_call(Method::GET, &format!("chatAccount/{id}"), &key, None)
        .await;
    assert_eq!(a.body["item"]["greeting"], "Hello from the shell");

    let out = run(&[
        "chat-account",
        "set",
        "--tenant",
        &tenant,
        "--id",
        &id_text,
        "--time-zone",
        "Nowhere/Land",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timeZone"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
