use omnibridge::domain::permission::Permission;
use omnibridge::services::admin;
use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app, Encoding, TestApp};

async fn customer_chat(app: &TestApp, session: &str, name: &str, email: &str) -> (i64, i64) {
    let mut form = app.message_form(session, "My card number is 4111 1111 1111 1111");
    form.push(("customerName", name.into()));
    form.push(("emailAddress", email.into()));
    let a = app
        .post("notifyUserNewChatMessage", &form, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let ticket = a.body["ticketID"].as_i64().unwrap();
    let customer = app.count(&format!(
        "SELECT customer_id AS n FROM tickets WHERE id = {ticket}"
    ));
    (customer, ticket)
}

#[tokio::test]
async fn customers_are_listed_searched_updated_and_deleted() {
    let app = spawn_app().await;
    let (_, key) = app.agent(
        "Alice",
        &[Permission::CustomerRead, Permission::CustomerCud],
    );
    let (ann, _) = customer_chat(&app, "session-cust-001", "Ann Smith", "ann@example.com").await;
    let (bob, _) = customer_chat(&app, "session-cust-002", "Bob Jones", "bob@example.com").await;

    let all = app.agent_call(Method::GET, "customer", &key, None).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["itemTotal"], 2);
    let found = app
        .agent_call(Method::GET, "customer?query=smith", &key, None)
        .await;
    assert_eq!(found.body["itemTotal"], 1);
    assert_eq!(found.body["items"][0]["id"], ann);
    let bad = app
        .agent_call(
            Method::GET,
            "customer?query=a%25b&itemLimit=100",
            &key,
            None,
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);

    let u = app
        .agent_call(
            Method::PUT,
            &format!("customer/{bob}"),
            &key,
            Some(json!({"phone": "+441234"})),
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert_eq!(u.body["item"]["phone"], "+441234");
    assert_eq!(u.body["item"]["email"], "bob@example.com");
    let taken = app
        .agent_call(
            Method::PUT,
            &format!("customer/{bob}"),
            &key,
            Some(json!({"email": "ann@example.com"})),
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert_eq!(taken.body["code"], "conflict");
    // Of a free e-mail and a taken phone, the phone is named.
    let phone = app
        .agent_call(
            Method::PUT,
            &format!("customer/{ann}"),
            &key,
            Some(json!({"email": "ann.smith@example.com", "phone": "+441234"})),
        )
        .await;
    assert_eq!(phone.status, 409, "{}", phone.body);
    assert_eq!(phone.field_codes("phone"), vec!["taken"], "{}", phone.body);
    assert!(phone.field_codes("email").is_empty(), "{}", phone.body);
    assert_eq!(taken.field_codes("email"), vec!["taken"]);

    let d = app
        .agent_call(Method::DELETE, &format!("customer/{bob}"), &key, None)
        .await;
    assert_eq!(d.status, 200);
    assert_eq!(
        app.agent_call(Method::GET, &format!("customer/{bob}"), &key, None)
            .await
            .status,
        404
    );
    assert_eq!(
        app.agent_call(Method::GET, "customer", &key, None)
            .await
            .body["itemTotal"],
        1
    );

    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let other_key = admin::create_api_key(&app.db, other, &Permission::ALL)
        .unwrap()
        .key;
    assert_eq!(
        app.agent_call(Method::GET, &format!("customer/{ann}"), &other_key, None)
            .await
            .status,
        404
    );
    let reader = app.agent("Reader", &[Permission::CustomerRead]).1;
    let f = app
        .agent_call(Method::DELETE, &format!("customer/{ann}"), &reader, None)
        .await;
    assert_eq!(f.status, 403);
}

#[tokio::test]
async fn purging_erases_personal_data_and_file_bytes_but_keeps_anonymous_tickets() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let (ann, ticket) =
        customer_chat(&app, "session-purge-01", "Ann Smith", "ann@example.com").await;
    let mut visit = app.session_form("session-purge-01");
    visit.push(("url", "https://shop.example.com/account/ann".into()));
    app.post("notifyUserVisited", &visit, Encoding::Json).await;
    let up = app
        .upload(
            "session-purge-01",
            "passport.txt",
            b"passport scan".to_vec(),
        )
        .await;
    let file = up.body["attachmentID"].as_i64().unwrap();
    // Ann also writes from WhatsApp (her phone number is the session), numbering her
    // message (a retry key is kept), and an agent renames the ticket (the old title is kept).
    let mut phone = app.message_form("+31612345678", "Ann here again, 4111 is my card");
    phone.push(("emailAddress", "ann@example.com".into()));
    phone.push(("messageNumber", "1".into()));
    let a = app
        .post("notifyUserNewChatMessage", &phone, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let rename = json!({"title": "Card problem"});
    let r = app
        .agent_call(Method::PUT, &format!("ticket/{ticket}"), &key, Some(rename))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let retry_hash = hex::encode(Sha256::digest("Ann here again, 4111 is my card"));
    // Someone else's data stays.
    let (_, other_ticket) =
        customer_chat(&app, "session-purge-02", "Bob Jones", "bob@example.com").await;

    let p = app
        .agent_call(
            Method::DELETE,
            &format!("customer/{ann}/purgeData"),
            &key,
            None,
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["tickets"], 2);
    assert_eq!(p.body["files"], 1);

    // Not a trace in any row of any table; Bob's data is all there.
    let rows = app.every_row();
    for secret in [
        "Ann",
        "ann@example.com",
        "account/ann",
        "passport",
        "31612345678",
        "Card problem",
        "is my card",
        retry_hash.as_str(),
    ] {
        let found: Vec<_> = rows
            .iter()
            .filter(|(_, row)| row.contains(secret))
            .collect();
        assert!(found.is_empty(), "{secret} survived the purge in {found:?}");
    }
    assert!(rows.iter().any(|(_, row)| row.contains("bob@example.com")));
    if !app.is_postgres() {
        // The full-text index answers to no word of Ann's (and deletes them from its segments:
        // FTS5 secure-delete, set by a migration).
        app.exec("CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5vocab(search_index, 'row')");
        // The writer indexes within a tenth of a second of a commit.
        crate::helpers::wait_until("Bob's chat is indexed", || {
            app.count("SELECT COUNT(*) AS n FROM words WHERE term = 'bob'") == 1
        });
        for word in ["ann", "smith", "passport", "31612345678"] {
            let n = app.count(&format!(
                "SELECT COUNT(*) AS n FROM words WHERE term = '{word}'"
            ));
            assert_eq!(n, 0, "the index still has {word}");
        }
    }

    let c = app
        .agent_call(Method::GET, &format!("customer/{ann}"), &key, None)
        .await;
    assert!(c.body["item"]["name"].is_null() && c.body["item"]["email"].is_null());
    let t = app
        .agent_call(
            Method::GET,
            &format!("ticket/{ticket}?getTicketHistory=true"),
            &key,
            None,
        )
        .await;
    assert_eq!(t.status, 200, "the ticket shell stays");
    let text = t.body.to_string();
    for secret in ["4111", "Ann", "ann@example.com", "account/ann", "passport"] {
        assert!(
            !text.contains(secret),
            "{secret} survived the purge: {text}"
        );
    }
    let dl = app
        .client
        .get(format!("{}/api/v2/file/{file}", app.address))
        .header("apiKey", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(dl.status(), 404);
    let left = std::fs::read_dir(app.attachments_dir.join(app.tenant_id.to_string()))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "the file's bytes are gone");
    let bob = app
        .agent_call(
            Method::GET,
            &format!("ticket/{other_ticket}?getTicketHistory=true"),
            &key,
            None,
        )
        .await;
    assert!(
        bob.body.to_string().contains("4111"),
        "another customer's data is untouched"
    );
}

#[tokio::test]
async fn purging_erases_what_jivochat_and_mail_brought_too() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let accounts = app.agent_call(Method::GET, "chatAccount", &key, None).await;
    let webhook = accounts.body["items"][0]["webhook_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for event in ["chat_accepted", "chat_finished_with_texts", "call_event"] {
        let path = format!(
            "{}/fixtures/jivochat/{event}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let body: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let a = app
            .client
            .post(format!("{}/api/v2/jivochat/{webhook}", app.address))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(a.status(), 200, "{event}");
    }
    let relay = crate::inbound_mail::relay_key(&app);
    let mail = crate::inbound_mail::eml("attachment.eml", &[]);
    let mail = String::from_utf8(mail)
        .unwrap()
        .replace("maria@example.net", "email@example.com");
    let a = crate::inbound_mail::post_mail(&app, &relay, mail.into_bytes()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let customer = app.count("SELECT MIN(id) AS n FROM customers");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 1);

    let p = app
        .agent_call(
            Method::DELETE,
            &format!("customer/{customer}/purgeData"),
            &key,
            None,
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["tickets"], 4, "{}", p.body);
    let rows = app.every_row();
    for secret in [
        "email@example.com",
        "John Smith",
        "14084987855",
        "208.80.152.201",
        "San Francisco",
        "record.mp3",
        "order 4711",
        "invoice scan",
        "INV-2026-1130",
        "CAJx9k2Fq3VtP0s8yZ4mXb1hN7dR5eW6uK2cL9aT3gQ",
    ] {
        let found: Vec<_> = rows
            .iter()
            .filter(|(_, row)| row.contains(secret))
            .collect();
        assert!(found.is_empty(), "{secret} survived the purge in {found:?}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM customer_external_ids"),
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM inbound_mails"), 0);
}
