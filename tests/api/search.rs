use omnibridge::domain::permission::Permission;
use omnibridge::services::admin;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, Encoding, TestApp};

async fn chat(
    app: &TestApp,
    session: &str,
    text: &str,
    name: &str,
    email: &str,
    phone: &str,
) -> i64 {
    let mut form = app.message_form(session, text);
    form.push(("customerName", name.into()));
    form.push(("emailAddress", email.into()));
    form.push(("phoneNumber", phone.into()));
    let a = app
        .post("notifyUserNewChatMessage", &form, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["ticketID"].as_i64().unwrap()
}

async fn search(app: &TestApp, key: &str, query: &str) -> Vec<i64> {
    let path = format!("ticket?query={}", urlencode(query));
    let a = app.agent_call(Method::GET, &path, key, None).await;
    assert_eq!(a.status, 200, "{query}: {}", a.body);
    let mut ids: Vec<i64> = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("q", text)]).unwrap()[2..].to_owned()
}

#[tokio::test]
async fn search_finds_tickets_by_title_message_and_customer_contact() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let ann = chat(
        &app,
        "session-find-001",
        "Where is my parcel?",
        "Ann Smith",
        "ann@example.com",
        "+31612345678",
    )
    .await;
    let bob = chat(
        &app,
        "session-find-002",
        "Refund for order 7781",
        "Bob Jones",
        "bob@shop.example",
        "+441234567",
    )
    .await;
    app.send_message("session-find-002", "The parcel was damaged")
        .await;

    assert_eq!(search(&app, &key, "parcel").await, [ann, bob]);
    assert_eq!(
        search(&app, &key, "PARC").await,
        [ann, bob],
        "prefix, any case"
    );
    assert_eq!(search(&app, &key, "refund").await, [bob]);
    assert_eq!(search(&app, &key, "ann@example.com").await, [ann]);
    assert_eq!(search(&app, &key, "+3161234").await, [ann]);
    assert_eq!(
        search(&app, &key, "jones damaged").await,
        [bob],
        "words may match different parts"
    );
    assert!(
        search(&app, &key, "smith refund").await.is_empty(),
        "every word must match"
    );
    assert!(
        search(&app, &key, "\"OR\" NEAR( *").await.is_empty(),
        "operators are plain words"
    );
    // Search combines with filters and pages.
    let a = app
        .agent_call(Method::GET, "ticket?query=parcel&itemLimit=1", &key, None)
        .await;
    assert_eq!(a.body["itemTotal"], 2);
    assert_eq!(a.body["items"].as_array().unwrap().len(), 1);
    let nothing = app
        .agent_call(Method::GET, "ticket?query=%20%2A%20", &key, None)
        .await;
    assert_eq!(nothing.status, 400);
}

#[tokio::test]
async fn the_index_follows_writes_and_purges_and_stays_in_its_tenant() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let t = chat(
        &app,
        "session-find-003",
        "Printer on fire",
        "Carl Berg",
        "carl@example.com",
        "+4670000000",
    )
    .await;
    let r = app
        .agent_call(
            Method::PUT,
            &format!("ticket/{t}"),
            &key,
            Some(json!({"title": "Toner smoke"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(search(&app, &key, "toner").await, [t]);
    assert_eq!(
        search(&app, &key, "printer").await,
        [t],
        "the message still says it"
    );
    let customer = app.count(&format!(
        "SELECT customer_id AS n FROM tickets WHERE id = {t}"
    ));
    let u = app
        .agent_call(
            Method::PUT,
            &format!("customer/{customer}"),
            &key,
            Some(json!({"name": "Carla Berg"})),
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert_eq!(search(&app, &key, "carla").await, [t]);

    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let other_key = admin::create_api_key(&app.db, other, &Permission::ALL)
        .unwrap()
        .key;
    assert!(search(&app, &other_key, "printer").await.is_empty());

    let p = app
        .agent_call(
            Method::DELETE,
            &format!("customer/{customer}/purgeData"),
            &key,
            None,
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    for gone in ["printer", "toner", "carla", "carl"] {
        assert!(
            search(&app, &key, gone).await.is_empty(),
            "{gone} is still findable after the purge"
        );
    }
}

/// SQLite indexes in the writer's batches, after the commit: a crash between the two leaves
/// messages committed but not indexed. They are indexed from what is committed when the
/// server starts, and before any search.
#[tokio::test]
async fn what_was_committed_but_not_indexed_is_found_after_a_restart() {
    let mut app = spawn_app().await;
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let a = app
        .send_message("session-crash-001", "The albatross has landed")
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let ticket = a.body["ticketID"].as_i64().unwrap();
    let message = a.body["messageID"].as_i64().unwrap();
    // As if the writer had stopped between the commit and the indexing.
    let forget = |app: &TestApp| {
        if app.is_postgres() {
            return; // its search columns are generated with their rows
        }
        crate::helpers::wait_until("the writer indexed the message", || {
            app.count("SELECT message_id AS n FROM search_progress") >= message
        });
        app.exec(&format!(
            "DELETE FROM search_index WHERE rowid IN ({}, {})",
            message * 4,
            ticket * 4 + 1
        ));
        app.exec(&format!(
            "UPDATE search_progress SET message_id = {}, ticket_id = {}",
            message - 1,
            ticket - 1
        ));
    };
    forget(&app);
    app.restart().await;
    if !app.is_postgres() {
        // Caught up at start, before anyone searched.
        crate::helpers::wait_until("indexed at start", || {
            app.count("SELECT message_id AS n FROM search_progress") >= message
                && app.count("SELECT ticket_id AS n FROM search_progress") >= ticket
        });
    }
    assert_eq!(search(&app, &key, "albatross").await, vec![ticket]);
    // A search itself waits for the index to hold what was committed before it.
    forget(&app);
    assert_eq!(search(&app, &key, "albatross landed").await, vec![ticket]);
}
