use omnibridge::domain::permission::Permission;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, Options};

#[tokio::test]
async fn agents_are_created_listed_updated_and_deleted() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Admin", &[Permission::UserRead, Permission::UserCud]);
    let c = app
        .agent_call(
            Method::POST,
            "user",
            &key,
            Some(json!({"name": "Bob", "email": " Bob@Example.com ", "isOnline": true})),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.body);
    let id = c.body["item"]["id"].as_i64().unwrap();
    assert_eq!(c.body["item"]["email"], "bob@example.com");
    assert_eq!(c.body["item"]["is_online"], true);
    assert_eq!(c.body["item"]["email_notifications"], true);

    let dup = app
        .agent_call(
            Method::POST,
            "user",
            &key,
            Some(json!({"name": "Bob 2", "email": "bob@example.com"})),
        )
        .await;
    assert_eq!(dup.status, 409, "{}", dup.body);
    assert_eq!(dup.body["code"], "conflict");
    assert_eq!(dup.field_codes("email"), vec!["taken"]);

    let u = app
        .agent_call(
            Method::PUT,
            &format!("user/{id}"),
            &key,
            Some(json!({"isOnline": false, "emailNotifications": "0"})),
        )
        .await;
    assert_eq!(u.body["item"]["is_online"], false);
    assert_eq!(u.body["item"]["email_notifications"], false);
    let l = app
        .agent_call(Method::GET, "user?itemLimit=10", &key, None)
        .await;
    assert_eq!(l.body["itemTotal"], 2);
    let d = app
        .agent_call(Method::DELETE, &format!("user/{id}"), &key, None)
        .await;
    assert_eq!(d.status, 200);
    let g = app
        .agent_call(Method::GET, &format!("user/{id}"), &key, None)
        .await;
    assert_eq!(g.status, 404);
    let bad = app
        .agent_call(Method::POST, "user", &key, Some(json!({"email": "nope"})))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_codes("name"), vec!["required"]);
}

#[tokio::test]
async fn deleting_an_agent_revokes_their_keys_at_once_on_every_instance() {
    // Keys stay cached for a minute: only the revocation itself can make them 401 in time.
    let app = spawn_app_with(Options {
        api_key_cache_seconds: 60,
        ..Options::default()
    })
    .await;
    let (_, admin) = app.agent("Admin", &[Permission::UserRead, Permission::UserCud]);
    let (bob, key) = app.agent("Bob", &[Permission::TicketRead, Permission::MessageCreate]);
    let twin = if app.is_postgres() {
        Some(app.twin().await)
    } else {
        None
    };
    let addresses: Vec<String> = std::iter::once(app.address.clone())
        .chain(twin.iter().map(|t| t.address.clone()))
        .collect();
    let status = |address: &str| {
        let request = app
            .client
            .get(format!("{address}/api/v2/ticket"))
            .header("apiKey", &key);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Every instance has the key in its cache now.
    for address in &addresses {
        assert_eq!(status(address).await, 200);
    }
    let d = app
        .agent_call(Method::DELETE, &format!("user/{bob}"), &admin, None)
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    assert_eq!(status(&app.address).await, 401, "the deleting instance");
    if let Some(twin) = &twin {
        // The other instance hears of it over Postgres within moments, well inside the
        // cache's five seconds.
        let mut answered = 0;
        for _ in 0..100 {
            answered = status(&twin.address).await;
            if answered == 401 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(answered, 401, "the other instance");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL AND prefix = '{}'",
            &key[3..15]
        )),
        0
    );
}
