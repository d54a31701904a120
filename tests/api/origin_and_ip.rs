use omnibridge::services::admin;
use serde_json::json;

use crate::helpers::{answer, spawn_app, Encoding, TestApp, CHAT_SERVER};

async fn check(app: &TestApp, origin: &str, ip: &str) -> serde_json::Value {
    let form = vec![
        ("chatServer", CHAT_SERVER.to_owned()),
        ("chatAccountToken", app.chat_token.clone()),
        ("origin", origin.to_owned()),
        ("ip", ip.to_owned()),
    ];
    let a = app
        .post("checkOriginAndIP", &form, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

#[tokio::test]
async fn an_empty_whitelist_allows_every_origin() {
    let app = spawn_app().await;
    let a = check(&app, "anything.example.org", "198.51.100.7").await;
    assert_eq!(a["allowed"], true);
    assert_eq!(a["originAllowed"], true);
    assert_eq!(a["ipAllowed"], true);
    assert_eq!(a["message"], "Allowed.");
}

#[tokio::test]
async fn whitelisted_domains_allow_themselves_and_subdomains_only() {
    let app = spawn_app().await;
    admin::allow_domain(&app.db, app.tenant_id, "example.com").unwrap();
    assert_eq!(
        check(&app, "example.com", "198.51.100.7").await["allowed"],
        true
    );
    assert_eq!(
        check(&app, "shop.example.com", "198.51.100.7").await["allowed"],
        true
    );
    let other = check(&app, "notexample.com", "198.51.100.7").await;
    assert_eq!(other["allowed"], false);
    assert_eq!(other["originAllowed"], false);
    assert_eq!(other["ipAllowed"], true);
    assert!(other["reason"].as_str().unwrap().contains("notexample.com"));
}

#[tokio::test]
async fn blacklisted_ipv4_and_ipv6_ranges_block_and_mapped_addresses_count_as_ipv4() {
    let app = spawn_app().await;
    admin::block_ip(&app.db, app.tenant_id, "203.0.113.0/24").unwrap();
    admin::block_ip(&app.db, app.tenant_id, "2001:db8:bad::/48").unwrap();
    admin::block_ip(&app.db, app.tenant_id, "192.0.2.44").unwrap();
    for ip in [
        "203.0.113.200",
        "::ffff:203.0.113.5",
        "2001:db8:bad:1::9",
        "192.0.2.44",
    ] {
        let a = check(&app, "shop.example.com", ip).await;
        assert_eq!(a["ipAllowed"], false, "{ip}: {a}");
        assert_eq!(a["allowed"], false);
        assert_eq!(a["message"], "Blocked.");
    }
    for ip in [
        "203.0.114.1",
        "2001:db8:bad0::1",
        "192.0.2.45",
        "2001:db8::1",
    ] {
        assert_eq!(
            check(&app, "shop.example.com", ip).await["ipAllowed"],
            true,
            "{ip}"
        );
    }
}

#[tokio::test]
async fn the_get_lists_both_lists() {
    let app = spawn_app().await;
    admin::allow_domain(&app.db, app.tenant_id, "Example.COM.").unwrap();
    admin::block_ip(&app.db, app.tenant_id, "10.1.2.3/8").unwrap();
    admin::block_ip(&app.db, app.tenant_id, "10.0.0.0/8").unwrap();
    let response = app
        .client
        .get(app.url("whitelistedDomainsAndBlacklistedIPs"))
        .header("apiKey", &app.api_key)
        .send()
        .await
        .unwrap();
    let a = answer(response).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["type"], "item");
    assert_eq!(a.body["item"]["whitelistedDomains"], json!(["example.com"]));
    assert_eq!(a.body["item"]["blacklistedIPs"], json!(["10.0.0.0/8"]));
}

#[tokio::test]
async fn an_unknown_chat_account_token_is_a_404() {
    let app = spawn_app().await;
    let form = vec![
        ("chatServer", CHAT_SERVER.to_owned()),
        ("chatAccountToken", "doesnotexist42".to_owned()),
        ("origin", "example.com".to_owned()),
        ("ip", "198.51.100.7".to_owned()),
    ];
    let a = app.post("checkOriginAndIP", &form, Encoding::Json).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body["code"], "unknown_chat_account");
}
