//! Retention per chat account: the server's own job purges the personal data of customers
//! quiet for `purge_after_days`, as `purgeData` does, and closes solved tickets untouched for
//! `close_solved_after_days`; customers and tickets still in use are left alone; what it did
//! is counted on `/metrics`.

use std::time::{Duration, Instant};

use omnibridge::domain::permission::Permission;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app_with, Encoding, Options, TestApp};

const TOKEN: &str = "retention-scrape-token-0123456789";
const DAY_MS: i64 = 24 * 3600 * 1000;

async fn chat(app: &TestApp, session: &str, email: &str) -> (i64, i64) {
    let mut form = app.message_form(session, "My address is 1 Main Street");
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

/// The ticket was last touched this many days ago.
fn age(app: &TestApp, ticket: i64, days: i64) {
    app.exec(&format!(
        "UPDATE tickets SET updated_at = updated_at - {} WHERE id = {ticket}",
        days * DAY_MS
    ));
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn quiet_customers_are_purged_and_old_solved_tickets_closed_by_the_servers_own_job() {
    let app = spawn_app_with(Options {
        retention_every_seconds: 1,
        metrics_token: TOKEN.into(),
        ..Options::default()
    })
    .await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let (quiet, old) = chat(&app, "retention-01", "quiet@example.com").await;
    let (busy, busy_old) = chat(&app, "retention-02", "busy@example.com").await;
    let (_, busy_new) = chat(&app, "retention-03", "busy@example.com").await;
    let (_, solved) = chat(&app, "retention-04", "solved@example.com").await;
    let (_, solved_lately) = chat(&app, "retention-05", "lately@example.com").await;
    for ticket in [solved, solved_lately] {
        let a = app
            .agent_call(
                Method::POST,
                "ticket/setStatus",
                &key,
                Some(json!({"ticketID": ticket, "status": "solved"})),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    // 40 days quiet; the busy customer has an old ticket and a new one; one solved ticket
    // untouched for 10 days, another for 2.
    age(&app, old, 40);
    age(&app, busy_old, 40);
    age(&app, solved, 10);
    age(&app, solved_lately, 2);
    assert_ne!(busy, quiet);

    let account = app.agent_call(Method::GET, "chatAccount", &key, None).await;
    let id = account.body["items"][0]["id"].as_i64().unwrap();
    assert_eq!(account.body["items"][0]["purge_after_days"], 0);
    let a = app
        .agent_call(
            Method::PUT,
            &format!("chatAccount/{id}"),
            &key,
            Some(json!({"purgeAfterDays": 30, "closeSolvedAfterDays": 7})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["purge_after_days"], 30);
    assert_eq!(a.body["item"]["close_solved_after_days"], 7);

    until("the quiet customer is purged", || {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM customers WHERE id = {quiet} AND purged_at IS NOT NULL"
        )) == 1
    })
    .await;
    until("the old solved ticket is closed", || {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM tickets WHERE id = {solved} AND status = 'closed'"
        )) == 1
    })
    .await;

    // Purged as purgeData purges: no e-mail, the message's text gone.
    let customer = app
        .agent_call(Method::GET, &format!("customer/{quiet}"), &key, None)
        .await;
    assert!(
        customer.body["item"]["email"].is_null(),
        "{}",
        customer.body
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM messages WHERE ticket_id = {old} \
             AND body LIKE '%Main Street%'"
        )),
        0
    );
    // The others are left alone.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM customers WHERE purged_at IS NOT NULL"),
        1
    );
    for ticket in [busy_old, busy_new] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) AS n FROM messages WHERE ticket_id = {ticket} \
                 AND body LIKE '%Main Street%'"
            )),
            1
        );
    }
    let lately = app
        .agent_call(Method::GET, &format!("ticket/{solved_lately}"), &key, None)
        .await;
    assert_eq!(lately.body["item"]["status"], "solved");

    // Counted on /metrics (each as it is done: the figure may trail the database a moment).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = app
            .client
            .get(format!("{}/metrics", app.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let counted = [
            "omnibridge_retention_total{what=\"customers_purged\"} 1",
            "omnibridge_retention_total{what=\"tickets_closed\"} 1",
        ]
        .iter()
        .all(|series| text.lines().any(|l| l == *series));
        if counted {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not counted on /metrics:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
