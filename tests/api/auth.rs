use omnibridge::domain::permission::Permission;
use omnibridge::services::admin::{self, ChatAccountOptions};

use crate::helpers::{answer, spawn_app, spawn_app_with, Encoding, Options, CHAT_SERVER};

#[tokio::test]
async fn a_missing_or_unknown_key_is_a_401_on_every_endpoint() {
    let app = spawn_app().await;
    let endpoints = [
        "requestChatConfig",
        "notifyUserNewChatMessage",
        "notifyUserNewChatEvent",
        "notifyUserVisited",
        "notifyUserEndChat",
        "addAttachment",
        "checkOriginAndIP",
        "requestChatQueue",
    ];
    let forged = format!("ob_{}", "A".repeat(52));
    for endpoint in endpoints {
        let none = app.client.post(app.url(endpoint)).send().await.unwrap();
        let none = answer(none).await;
        assert_eq!(none.status, 401, "{endpoint}");
        assert_eq!(none.body["code"], "unauthorized");
        for key in [forged.as_str(), "not-a-key"] {
            let a = app.post_as(key, endpoint, &[], Encoding::Multipart).await;
            assert_eq!(a.status, 401, "{endpoint} with {key}");
        }
    }
    let get = app
        .client
        .get(app.url("whitelistedDomainsAndBlacklistedIPs"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 401);
}

#[tokio::test]
async fn the_key_is_accepted_as_a_query_parameter() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("notifyUserNewChatMessage"))
        .query(&[("apiKey", app.api_key.as_str())])
        .form(&app.message_form("session-auth-01", "hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_key_without_api_chat_is_a_403_naming_it() {
    let app = spawn_app().await;
    let key = admin::create_api_key(&app.db, app.tenant_id, &[Permission::TicketRead])
        .unwrap()
        .key;
    let a = app
        .post_as(
            &key,
            "notifyUserNewChatMessage",
            &app.message_form("session-auth-02", "hi"),
            Encoding::Json,
        )
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.body["code"], "forbidden");
    assert!(a.body["message"].as_str().unwrap().contains("API_CHAT"));
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 0);
}

#[tokio::test]
async fn a_revoked_key_is_a_401_once_the_key_cache_has_expired() {
    let app = spawn_app_with(Options {
        api_key_cache_seconds: 1,
        ..Options::default()
    })
    .await;
    let created = admin::create_api_key(&app.db, app.tenant_id, &[Permission::ApiChat]).unwrap();
    let form = vec![("chatAccountToken", app.chat_token.clone())];
    let before = app
        .post_as(&created.key, "requestChatQueue", &form, Encoding::Json)
        .await;
    assert_eq!(before.status, 200);
    assert!(admin::revoke_api_key(&app.db, app.tenant_id, created.id).unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let after = app
        .post_as(&created.key, "requestChatQueue", &form, Encoding::Json)
        .await;
    assert_eq!(after.status, 401);
    assert_eq!(after.body["code"], "unauthorized");
}

#[tokio::test]
async fn without_a_key_cache_a_revocation_is_immediate() {
    let app = spawn_app_with(Options {
        api_key_cache_seconds: 0,
        ..Options::default()
    })
    .await;
    let created = admin::create_api_key(&app.db, app.tenant_id, &[Permission::ApiChat]).unwrap();
    let form = vec![("chatAccountToken", app.chat_token.clone())];
    let before = app
        .post_as(&created.key, "requestChatQueue", &form, Encoding::Json)
        .await;
    assert_eq!(before.status, 200);
    assert!(admin::revoke_api_key(&app.db, app.tenant_id, created.id).unwrap());
    let after = app
        .post_as(&created.key, "requestChatQueue", &form, Encoding::Json)
        .await;
    assert_eq!(after.status, 401);
}

#[tokio::test]
async fn keys_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        app.api_key.as_bytes(),
    ));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM api_keys WHERE key_hash = '{sha}'"
        )),
        1
    );
    // The secret part of the key appears nowhere.
    let secret_part = &app.api_key[15..];
    let stored = app.count(&format!(
        "SELECT COUNT(*) AS n FROM api_keys WHERE key_hash LIKE '%{secret_part}%' \
         OR prefix LIKE '%{secret_part}%' OR permissions LIKE '%{secret_part}%'"
    ));
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn another_tenants_tokens_and_sessions_do_not_exist_for_a_key() {
    let app = spawn_app().await;
    // Tenant A (the app's) has a chat; tenant B has its own key and chat account.
    assert_eq!(
        app.send_message("session-tenant-a1", "mine").await.status,
        200
    );
    admin::allow_domain(&app.db, app.tenant_id, "acme.example").unwrap();
    let b = admin::create_tenant(&app.db, "Other").unwrap();
    let b_key = admin::create_api_key(&app.db, b, &[Permission::ApiChat])
        .unwrap()
        .key;
    admin::create_chat_account(
        &app.db,
        b,
        &ChatAccountOptions {
            token: Some("otherwebchat01".into()),
            ..ChatAccountOptions::named("B")
        },
    )
    .unwrap();

    // B cannot write into A's chat account...
    let a = app
        .post_as(
            &b_key,
            "notifyUserNewChatMessage",
            &app.message_form("session-tenant-a1", "x"),
            Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body["code"], "unknown_chat_account");
    // ...nor see or touch A's session...
    let mut event = app.session_form("session-tenant-a1");
    event.push(("event", "startedtyping".into()));
    for (endpoint, form) in [
        ("notifyUserNewChatEvent", event),
        ("notifyUserEndChat", app.session_form("session-tenant-a1")),
    ] {
        let a = app
            .post_as(&b_key, endpoint, &form, Encoding::UrlEncoded)
            .await;
        assert_eq!(a.status, 404, "{endpoint}");
        assert_eq!(a.body["code"], "unknown_chat_session");
    }
    // ...nor A's queue or lists.
    let q = app
        .post_as(
            &b_key,
            "requestChatQueue",
            &[("chatAccountToken", app.chat_token.clone())],
            Encoding::Json,
        )
        .await;
    assert_eq!(q.status, 404);
    let lists = app
        .client
        .get(app.url("whitelistedDomainsAndBlacklistedIPs"))
        .header("apiKey", &b_key)
        .send()
        .await
        .unwrap();
    let lists = answer(lists).await;
    assert_eq!(
        lists.body["item"]["whitelistedDomains"],
        serde_json::json!([])
    );
    // B's own chat of the same session id is a separate ticket.
    let mut own = app.message_form("session-tenant-a1", "mine too");
    own[2].1 = "otherwebchat01".into();
    let a = app
        .post_as(
            &b_key,
            "notifyUserNewChatMessage",
            &own,
            Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["ticketCreated"], true);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM tickets WHERE tenant_id = {b}"
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM chat_sessions WHERE chat_server = '{CHAT_SERVER}'"
        )),
        2
    );
}
