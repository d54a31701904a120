use chrono::{Datelike, Utc};
use omnibridge::services::admin::{self, ChatAccountOptions};

use crate::helpers::{spawn_app, Encoding, TestApp, CHAT_SERVER};

async fn config(app: &TestApp, token: &str) -> serde_json::Value {
    let form = vec![
        ("chatServer", CHAT_SERVER.to_owned()),
        ("chatAccountToken", token.to_owned()),
    ];
    let a = app
        .post("requestChatConfig", &form, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["type"], "item");
    a.body["item"].clone()
}

#[tokio::test]
async fn the_config_comes_from_the_chat_accounts_settings() {
    let app = spawn_app().await;
    let options = ChatAccountOptions {
        token: Some("supportdesk0001".into()),
        language: "nl".into(),
        greeting: "Hallo!".into(),
        offline_message: "We zijn er morgen weer.".into(),
        required_fields: vec!["customerName".into(), "emailAddress".into()],
        time_zone: "Europe/Amsterdam".into(),
        attachment_max_bytes: 5_000_000,
        attachment_types: vec!["image/*".into(), "application/pdf".into()],
        default_wait_seconds: 90,
        ..ChatAccountOptions::named("Support NL")
    };
    admin::create_chat_account(&app.db, app.tenant_id, &options).unwrap();
    let c = config(&app, "supportdesk0001").await;
    assert_eq!(c["name"], "Support NL");
    assert_eq!(c["language"], "nl");
    assert_eq!(c["greeting"], "Hallo!");
    assert_eq!(c["offlineMessage"], "We zijn er morgen weer.");
    assert_eq!(
        c["requiredFields"],
        serde_json::json!(["customerName", "emailAddress"])
    );
    assert_eq!(c["timeZone"], "Europe/Amsterdam");
    assert_eq!(c["attachments"]["maxBytes"], 5_000_000);
    assert_eq!(
        c["attachments"]["allowedTypes"],
        serde_json::json!(["image/*", "application/pdf"])
    );
    assert_eq!(c["queue"]["enabled"], true);
    assert_eq!(c["queue"]["length"], 0);
    assert_eq!(c["queue"]["estimatedWait"], 90);
    // No service hours means always open; no agent online means not online.
    assert_eq!(c["open"], true);
    assert_eq!(c["online"], false);
}

#[tokio::test]
async fn open_and_online_follow_service_hours_and_agents() {
    let app = spawn_app().await;
    // Hours only on a day that is not today in UTC: closed now, whatever the time.
    let other_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        [Utc::now().weekday().succ().succ().num_days_from_monday() as usize];
    let closed = ChatAccountOptions {
        token: Some("closedtoday001".into()),
        service_hours: format!("{other_day} 00:00-24:00"),
        ..ChatAccountOptions::named("Closed today")
    };
    admin::create_chat_account(&app.db, app.tenant_id, &closed).unwrap();
    let c = config(&app, "closedtoday001").await;
    assert_eq!(c["open"], false);
    assert_eq!(c["online"], false);

    let always = ChatAccountOptions {
        token: Some("alwaysopen0001".into()),
        service_hours: "mon-sun 00:00-24:00".into(),
        time_zone: "Pacific/Auckland".into(),
        ..ChatAccountOptions::named("Always")
    };
    admin::create_chat_account(&app.db, app.tenant_id, &always).unwrap();
    app.exec(&format!(
        "INSERT INTO users (tenant_id, name, email, is_online, email_notifications, created_at) \
         VALUES ({}, 'Agent', 'agent@x.example', TRUE, TRUE, 0)",
        app.tenant_id
    ));
    let c = config(&app, "alwaysopen0001").await;
    assert_eq!(c["open"], true);
    assert_eq!(c["online"], true);
    assert_eq!(c["agentsOnline"], 1);
}

#[tokio::test]
async fn an_unknown_token_is_a_404() {
    let app = spawn_app().await;
    let form = vec![
        ("chatServer", CHAT_SERVER.to_owned()),
        ("chatAccountToken", "nosuchtoken1".to_owned()),
    ];
    let a = app
        .post("requestChatConfig", &form, Encoding::UrlEncoded)
        .await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body["code"], "unknown_chat_account");
}

#[tokio::test]
async fn a_full_queue_makes_the_widget_offline() {
    let app = spawn_app().await;
    let options = ChatAccountOptions {
        token: Some("tinyqueue00001".into()),
        queue_max_length: 1,
        ..ChatAccountOptions::named("Tiny queue")
    };
    admin::create_chat_account(&app.db, app.tenant_id, &options).unwrap();
    app.exec(&format!(
        "INSERT INTO users (tenant_id, name, email, is_online, email_notifications, created_at) \
         VALUES ({}, 'Agent', 'agent@x.example', TRUE, TRUE, 0)",
        app.tenant_id
    ));
    assert_eq!(config(&app, "tinyqueue00001").await["online"], true);
    let mut form = app.message_form("session-full-001", "first in line");
    form[2].1 = "tinyqueue00001".into();
    assert_eq!(
        app.post("notifyUserNewChatMessage", &form, Encoding::Multipart)
            .await
            .status,
        200
    );
    let c = config(&app, "tinyqueue00001").await;
    assert_eq!(c["queue"]["full"], true);
    assert_eq!(c["queue"]["length"], 1);
    assert_eq!(c["open"], true);
    assert_eq!(c["online"], false);
}
