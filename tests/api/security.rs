//! The security matrix, generated from the routing table: every route refuses a request with
//! no key (`401`) and a key that lacks the permission its documentation names (`403`, the
//! message naming it); every id of another tenant, in a path or in a body, is answered as if
//! it did not exist, and nothing of that tenant changes.

use omnibridge::domain::permission::Permission;
use omnibridge::routes;
use omnibridge::services::admin;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Answer, TestApp};

/// Routes that take no key: anyone may call these, and JivoChat's webhook carries its
/// credential in its path (tests/api/jivochat.rs tests it).
const PUBLIC: [&str; 6] = [
    "/health",
    "/ready",
    "/api/v2/openapi.json",
    "/api/docs",
    "/api/docs/{file}",
    "/api/v2/jivochat/{webhookToken}",
];

/// Every route that needs a key: its method, its path (ids as `1`), and the permission its
/// documentation names.
fn keyed_routes(doc: &Value) -> Vec<(Method, String, String, Permission)> {
    routes::table()
        .into_iter()
        .filter(|(_, path)| !PUBLIC.contains(&path.as_str()))
        .map(|(method, path)| {
            let operation = &doc["paths"][&path][method.to_lowercase()];
            let description = operation["description"].as_str().unwrap_or_default();
            let name = description
                .split("Permission: `")
                .nth(1)
                .and_then(|rest| rest.split('`').next())
                .unwrap_or_else(|| panic!("{method} {path} names no permission"));
            let permission = Permission::ALL
                .into_iter()
                .find(|p| p.name() == name)
                .unwrap_or_else(|| panic!("{method} {path}: no permission {name}"));
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let concrete = path.replace("{id}", "1").replacen("/api/v2/", "", 1);
            (method, path, concrete, permission)
        })
        .collect()
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = app
        .client
        .request(method, format!("{}/api/v2/{path}", app.address));
    if let Some(key) = key {
        request = request.header("apiKey", key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    crate::helpers::answer(request.send().await.unwrap()).await
}

fn body_of(method: &Method) -> Option<Value> {
    (method == Method::POST || method == Method::PUT).then(|| json!({}))
}

#[tokio::test]
async fn every_route_refuses_no_key_and_a_key_without_its_permission() {
    let app = spawn_app().await;
    let doc: Value = serde_json::from_str(omnibridge::openapi::json()).unwrap();
    let routes = keyed_routes(&doc);
    assert!(routes.len() > 35, "{} routes", routes.len());
    let user = admin::create_user(&app.db, app.tenant_id, "Eve", "eve@example.com").unwrap();
    for (method, template, path, permission) in routes {
        let a = call(&app, method.clone(), &path, None, body_of(&method)).await;
        assert_eq!(
            a.status, 401,
            "{method} {template} without a key: {}",
            a.body
        );
        assert_eq!(a.body["code"], "unauthorized");

        let others: Vec<Permission> = Permission::ALL
            .into_iter()
            .filter(|p| *p != permission)
            .collect();
        let key = admin::create_agent_api_key(&app.db, app.tenant_id, Some(user), &others)
            .unwrap()
            .key;
        let a = call(&app, method.clone(), &path, Some(&key), body_of(&method)).await;
        assert_eq!(
            a.status, 403,
            "{method} {template} without {permission:?}: {}",
            a.body
        );
        let message = a.body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(permission.name()),
            "{method} {template}: the 403 does not name {}: {message}",
            permission.name()
        );
    }
}

/// What tenant A has, seen by A's own agent: one of each kind.
struct Owned {
    key: String,
    ticket: i64,
    customer: i64,
    user: i64,
    view: i64,
    account: i64,
    file: i64,
    group: i64,
}

async fn owned(app: &TestApp) -> Owned {
    let (_, key) = app.agent("Alice", &Permission::ALL);
    let message = app
        .send_message("session-owned-01", "Hello from tenant A")
        .await;
    let ticket = message.body["ticketID"].as_i64().unwrap();
    let file = app
        .upload("session-owned-01", "a.txt", b"tenant A's file".to_vec())
        .await
        .body["attachmentID"]
        .as_i64()
        .unwrap();
    let customer = app.count(&format!(
        "SELECT customer_id AS n FROM tickets WHERE id = {ticket}"
    ));
    let user = admin::create_user(&app.db, app.tenant_id, "Bob", "bob@example.com").unwrap();
    let view = json!({"name": "A's view"});
    let view = call(app, Method::POST, "view", Some(&key), Some(view))
        .await
        .body["item"]["id"]
        .as_i64()
        .unwrap();
    let account = app.count("SELECT MIN(id) AS n FROM chat_accounts");
    let group = json!({"name": "A's group", "userIDs": [user]});
    let group = call(app, Method::POST, "group", Some(&key), Some(group))
        .await
        .body["item"]["id"]
        .as_i64()
        .unwrap();
    Owned {
        group,
        key,
        ticket,
        customer,
        user,
        view,
        account,
        file,
    }
}

/// Everything A's agent can read of A's objects, to compare before and after.
async fn snapshot(app: &TestApp, a: &Owned) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        format!("ticket/{}?getTicketHistory=true", a.ticket),
        format!("customer/{}", a.customer),
        format!("user/{}", a.user),
        format!("view/{}", a.view),
        format!("chatAccount/{}", a.account),
        format!("group/{}", a.group),
        "ticket".to_owned(),
        "notification".to_owned(),
    ] {
        let answer = call(app, Method::GET, &path, Some(&a.key), None).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        // Reading notifications marks them read: compare what they are, not that.
        let mut body = answer.body;
        if let Some(items) = body["items"].as_array_mut() {
            items.iter_mut().for_each(|i| {
                i.as_object_mut().map(|o| o.remove("is_read"));
            });
        }
        seen.push(body);
    }
    let file = app
        .client
        .get(format!("{}/api/v2/file/{}", app.address, a.file))
        .header("apiKey", &a.key)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    seen.push(json!(file.bytes().await.unwrap().to_vec()));
    seen
}

#[tokio::test]
async fn another_tenants_ids_are_not_found_and_nothing_of_theirs_changes() {
    let app = spawn_app().await;
    let a = owned(&app).await;
    let before = snapshot(&app, &a).await;

    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let mallory = admin::create_user(&app.db, other, "Mallory", "mallory@other.example").unwrap();
    let key = admin::create_agent_api_key(&app.db, other, Some(mallory), &Permission::ALL)
        .unwrap()
        .key;
    // A ticket of B's own, to point at A's customer and agent from.
    let b_customer_ticket = {
        let account = admin::create_chat_account(
            &app.db,
            other,
            &admin::ChatAccountOptions::named("B's chat"),
        )
        .unwrap();
        let chat_key = admin::create_api_key(&app.db, other, &[Permission::ApiChat])
            .unwrap()
            .key;
        let form = json!({
            "chatServer": crate::helpers::CHAT_SERVER, "chatSessionID": "session-b-00001",
            "chatAccountToken": account.token, "message": "Hello from tenant B",
        });
        let a = call(
            &app,
            Method::POST,
            "chat/notifyUserNewChatMessage",
            Some(&chat_key),
            Some(form),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["ticketID"].as_i64().unwrap()
    };

    // Every route with an id in its path, pointed at A's object of that kind.
    let doc: Value = serde_json::from_str(omnibridge::openapi::json()).unwrap();
    let mut checked = 0;
    for (method, template, _, _) in keyed_routes(&doc) {
        if !template.contains("{id}") {
            continue;
        }
        let id = match template.split('/').nth(3).unwrap() {
            "ticket" => a.ticket,
            "customer" => a.customer,
            "user" => a.user,
            "view" => a.view,
            "chatAccount" => a.account,
            "file" => a.file,
            "group" => a.group,
            other => panic!("no object of tenant A for {other}"),
        };
        let path = template
            .replace("{id}", &id.to_string())
            .replacen("/api/v2/", "", 1);
        let body = match method {
            Method::PUT => Some(json!({"name": "Mallory was here", "title": "Mallory was here"})),
            _ => None,
        };
        let answer = call(&app, method.clone(), &path, Some(&key), body).await;
        assert_eq!(
            answer.status, 404,
            "{method} {template} on A's {id}: {}",
            answer.body
        );
        checked += 1;
    }
    assert!(checked >= 15, "{checked} routes with an id");

    // Ids of A's in bodies.
    for (path, body) in [
        (
            "ticket/setStatus",
            json!({"ticketID": a.ticket, "status": "closed"}),
        ),
        (
            "ticket/setPriority",
            json!({"ticketID": a.ticket, "priority": "urgent"}),
        ),
        (
            "message",
            json!({"ticketID": a.ticket, "type": "note", "message": "Mallory was here"}),
        ),
        (
            "message/typing",
            json!({"ticketID": a.ticket, "event": "startedtyping"}),
        ),
    ] {
        let answer = call(&app, Method::POST, path, Some(&key), Some(body)).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
    }
    let ticket = json!({"title": "Mallory's", "customerID": a.customer});
    let answer = call(&app, Method::POST, "ticket", Some(&key), Some(ticket)).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.field_codes("customerID"), ["unknown"]);
    let assign = json!({"assignedUserID": a.user});
    let path = format!("ticket/{b_customer_ticket}");
    let answer = call(&app, Method::PUT, &path, Some(&key), Some(assign)).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.field_codes("assignedUserID"), ["unknown"]);
    let theirs = app.count(&format!(
        "SELECT MIN(id) AS n FROM notifications WHERE tenant_id = {}",
        app.tenant_id
    ));
    let unread = |app: &TestApp| {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE tenant_id = {} AND is_read = false",
            app.tenant_id
        ))
    };
    // Make it unread first, so that marking it read would show.
    app.exec(&format!(
        "UPDATE notifications SET is_read = false WHERE id = {theirs}"
    ));
    let unread_before = unread(&app);
    let flip = json!({"notificationIDs": [theirs], "isRead": true});
    let answer = call(
        &app,
        Method::PUT,
        "notification/setIsRead",
        Some(&key),
        Some(flip),
    )
    .await;
    assert_eq!(answer.body["updated"], 0, "{}", answer.body);
    assert_eq!(unread(&app), unread_before);

    assert_eq!(snapshot(&app, &a).await, before, "tenant A's data changed");
}
