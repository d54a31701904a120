use omnibridge::domain::permission::Permission;
use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

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
