//! The agent console over HTTP: sign-in, its limits, sessions, their ends and CSRF. (The
//! screens themselves are tested in a real browser: `tests/browser/console.py`.)

use omnibridge::services::admin;
use reqwest::redirect::Policy;
use reqwest::StatusCode;

use crate::helpers::{spawn_app, spawn_app_with, wait_until, Options, TestApp};

const EMAIL: &str = "grace@acme.example";
const PASSWORD: &str = "correct horse battery";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// An agent with a password; their id.
fn agent(app: &TestApp) -> i64 {
    let id = admin::create_user(&app.db, app.tenant_id, "Grace", EMAIL).unwrap();
    admin::set_user_password(&app.db, app.tenant_id, id, PASSWORD).unwrap();
    id
}

/// A chat ticket whose customer said this.
async fn chat_ticket(app: &TestApp, text: &str) -> i64 {
    chat_ticket_in(app, "session-0000001", text).await
}

/// The ticket of this chat session, whose customer said this.
async fn chat_ticket_in(app: &TestApp, session: &str, text: &str) -> i64 {
    let answer = app.send_message(session, text).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["ticketID"].as_i64().unwrap()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    browser()
        .post(format!("{}/login", app.address))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

/// The session cookie a sign-in set, as `name=value`.
async fn session(app: &TestApp) -> String {
    let answer = sign_in(app, EMAIL, PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    cookie.split(';').next().unwrap().to_owned()
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    browser()
        .get(format!("{}{path}", app.address))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// The CSRF token a page carries.
async fn csrf(app: &TestApp, cookie: &str) -> String {
    let page = get(app, "/", cookie).await.text().await.unwrap();
    let marker = "name=\"csrf-token\" content=\"";
    let at = page.find(marker).unwrap() + marker.len();
    page[at..at + 64].to_owned()
}

#[tokio::test]
async fn signing_in_sets_a_hardened_session_cookie_and_opens_the_console() {
    let app = spawn_app().await;
    agent(&app);
    let answer = sign_in(&app, "  GRACE@acme.example ", PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/");
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "no https here: {cookie}");
    let pair = cookie.split(';').next().unwrap();
    let page = get(&app, "/", pair).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(page.text().await.unwrap().contains("Grace"));
    // Only the token's hash is stored.
    let token = pair.split('=').nth(1).unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM console_sessions WHERE token_hash = '{token}'"
        )),
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM console_sessions"), 1);
}

#[tokio::test]
async fn without_a_session_every_page_sends_to_the_sign_in_and_no_change_is_made() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/tickets",
        "/tickets/1",
        "/notifications",
        "/console/events",
    ] {
        let answer = get(&app, path, "omnibridge_session=nothing").await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.headers()["location"], "/login", "{path}");
    }
    let answer = browser()
        .post(format!("{}/tickets/1/status", app.address))
        .form(&[("status", "closed")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer_then_429() {
    let app = spawn_app().await;
    agent(&app);
    let unknown = sign_in(&app, "nobody@acme.example", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = unknown.text().await.unwrap();
    for _ in 0..5 {
        let wrong = sign_in(&app, EMAIL, "not the password").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let wrong = wrong.text().await.unwrap();
        assert!(wrong.contains("Wrong e-mail or password."));
        assert_eq!(
            wrong.replace(EMAIL, ""),
            unknown.replace("nobody@acme.example", "")
        );
    }
    // Five wrong: now even the right password waits.
    let limited = sign_in(&app, EMAIL, PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM console_sessions"), 0);
}

#[tokio::test]
async fn a_change_without_its_csrf_token_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    agent(&app);
    let ticket = chat_ticket(&app, "Where is my order?").await;
    let cookie = session(&app).await;
    let token = csrf(&app, &cookie).await;
    for presented in [None, Some("0".repeat(64))] {
        let mut form = vec![("status", "closed".to_owned())];
        if let Some(presented) = presented {
            form.push(("csrf", presented));
        }
        let answer = browser()
            .post(format!("{}/tickets/{ticket}/status", app.address))
            .header("Cookie", &cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM tickets WHERE id = {ticket} AND status = 'closed'"
        )),
        0
    );
    // With it, the change is made.
    let answer = browser()
        .post(format!("{}/tickets/{ticket}/status", app.address))
        .header("Cookie", &cookie)
        .form(&[("status", "closed"), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM tickets WHERE id = {ticket} AND status = 'closed'"
        )),
        1
    );
}

#[tokio::test]
async fn signing_out_a_new_password_and_removing_the_agent_end_sessions() {
    let app = spawn_app().await;
    let id = agent(&app);
    // Signing out.
    let cookie = session(&app).await;
    let token = csrf(&app, &cookie).await;
    let out = browser()
        .post(format!("{}/logout", app.address))
        .header("Cookie", &cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, "/", &cookie).await.status(),
        StatusCode::SEE_OTHER
    );
    // A new password.
    let cookie = session(&app).await;
    assert_eq!(get(&app, "/", &cookie).await.status(), StatusCode::OK);
    admin::set_user_password(&app.db, app.tenant_id, id, "another long password").unwrap();
    assert_eq!(
        get(&app, "/", &cookie).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sign_in(&app, EMAIL, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Removing the agent.
    let answer = sign_in(&app, EMAIL, "another long password").await;
    let cookie = answer.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(get(&app, "/", &cookie).await.status(), StatusCode::OK);
    let key = admin::create_api_key(
        &app.db,
        app.tenant_id,
        &[omnibridge::domain::permission::Permission::UserCud],
    )
    .unwrap()
    .key;
    let removed = app
        .client
        .delete(format!("{}/api/v2/user/{id}", app.address))
        .header("apiKey", key)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::OK);
    assert_eq!(
        get(&app, "/", &cookie).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM console_sessions"), 0);
}

#[tokio::test]
async fn an_idle_session_ends() {
    let app = spawn_app_with(Options {
        session_idle_minutes: 0,
        ..Options::default()
    })
    .await;
    agent(&app);
    let cookie = session(&app).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(
        get(&app, "/", &cookie).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM console_sessions"), 0);
}

#[tokio::test]
async fn a_customers_markup_is_shown_as_text() {
    let app = spawn_app().await;
    agent(&app);
    let ticket = chat_ticket(&app, "<img src=x onerror=alert(1)>").await;
    let cookie = session(&app).await;
    let page = get(&app, &format!("/tickets/{ticket}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("&#60;img src=x onerror=alert(1)&#62;")
            || page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    assert!(!page.contains("<img src=x"));
}

/// The link of the newest "forgot password" mail to `to`, waited for.
async fn reset_link(app: &TestApp, to: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let mails: Vec<String> = std::fs::read_dir(&app.mail_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            // Quoted-printable: soft line breaks and `=3D`.
            .map(|m| m.replace("=\r\n", "").replace("=3D", "="))
            .filter(|m| m.contains(to) && m.contains("/reset?token="))
            .collect();
        if let Some(mail) = mails.first() {
            let at = mail.find("/reset?token=").unwrap();
            return mail[at..at + "/reset?token=".len() + 43].to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "no reset mail");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_a_one_time_mailed_link() {
    let app = spawn_app().await;
    agent(&app);
    let old = session(&app).await;
    // The same answer for an e-mail nobody has.
    let mut answers = Vec::new();
    for email in ["nobody@acme.example", EMAIL] {
        let answer = browser()
            .post(format!("{}/forgot", app.address))
            .form(&[("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        answers.push(answer.text().await.unwrap());
    }
    assert_eq!(answers[0], answers[1]);
    let link = reset_link(&app, EMAIL).await;
    let token = link.split('=').nth(1).unwrap().to_owned();
    assert_eq!(get(&app, &link, "").await.status(), StatusCode::OK);
    // Too short a password is refused, and the link still works.
    let short = browser()
        .post(format!("{}/reset", app.address))
        .form(&[("token", token.as_str()), ("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);
    let set = browser()
        .post(format!("{}/reset", app.address))
        .form(&[
            ("token", token.as_str()),
            ("password", "a brand new password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    // Once only; the old session and password are gone; the new one signs in.
    let again = browser()
        .post(format!("{}/reset", app.address))
        .form(&[
            ("token", token.as_str()),
            ("password", "yet another password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&app, &link, "").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/", &old).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sign_in(&app, EMAIL, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&app, EMAIL, "a brand new password").await.status(),
        StatusCode::SEE_OTHER
    );
    // The token itself is stored nowhere but in the mail, and the mail forgets it once sent.
    let kept = "SELECT COUNT(*) AS n FROM mails WHERE kind = 'password_reset' \
                AND text_body LIKE '%token=%'";
    wait_until("the link leaving the outbox", || app.count(kept) == 0);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM password_resets WHERE token_hash = '{token}'"
        )),
        0
    );
}

#[tokio::test]
async fn the_agent_api_sets_a_password_and_a_new_one_ends_sessions() {
    let app = spawn_app().await;
    let (_, key) = app.agent("Admin", &omnibridge::domain::permission::Permission::ALL);
    let created = app
        .agent_call(
            reqwest::Method::POST,
            "user",
            &key,
            Some(serde_json::json!({"name": "Grace", "email": EMAIL, "password": PASSWORD})),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(!created.body.to_string().contains(PASSWORD));
    assert!(created.body["item"].get("password").is_none());
    let id = created.body["item"]["id"].as_i64().unwrap();
    let cookie = session(&app).await;
    assert_eq!(get(&app, "/", &cookie).await.status(), StatusCode::OK);
    let short = app
        .agent_call(
            reqwest::Method::PUT,
            &format!("user/{id}"),
            &key,
            Some(serde_json::json!({"password": "short"})),
        )
        .await;
    assert_eq!(short.status, 400, "{}", short.body);
    assert_eq!(short.body["fields"]["password"][0], "length");
    assert_eq!(get(&app, "/", &cookie).await.status(), StatusCode::OK);
    let changed = app
        .agent_call(
            reqwest::Method::PUT,
            &format!("user/{id}"),
            &key,
            Some(serde_json::json!({"password": "another long password"})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        get(&app, "/", &cookie).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sign_in(&app, EMAIL, "another long password").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn wrong_passwords_sent_at_once_cannot_pass_the_limit_together() {
    let app = spawn_app().await;
    agent(&app);
    let tries = (0..12).map(|_| sign_in(&app, EMAIL, "not the password"));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .map(|a| a.status())
        .collect();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 5, "{statuses:?}");
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        12 - checked,
        "{statuses:?}"
    );
    assert_eq!(
        sign_in(&app, EMAIL, PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_sign_in_posted_by_another_site_is_refused_and_a_new_one_ends_the_old_session() {
    let app = spawn_app().await;
    agent(&app);
    for (header, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let answer = browser()
            .post(format!("{}/login", app.address))
            .header(header, value)
            .form(&[("email", EMAIL), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{header}");
    }
    let first = session(&app).await;
    let second = browser()
        .post(format!("{}/login", app.address))
        .header("Origin", &app.address)
        .header("Cookie", &first)
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(get(&app, "/", &first).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM console_sessions"), 1);
}

#[tokio::test]
async fn console_forms_are_read_like_the_apis() {
    let app = spawn_app().await;
    agent(&app);
    // NUL, which Postgres cannot store, and an address longer than any: 400s, never 500s.
    for email in ["grace\0@acme.example".to_owned(), "a".repeat(300)] {
        let answer = sign_in(&app, &email, PASSWORD).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{email:?}");
    }
    let ticket = chat_ticket(&app, "Where is my order?").await;
    let cookie = session(&app).await;
    let token = csrf(&app, &cookie).await;
    let answer = browser()
        .post(format!("{}/tickets/{ticket}/reply", app.address))
        .header("Cookie", &cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("channel", "note"),
            ("text", "a\0b"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE author = 'note'"),
        0
    );
}

#[tokio::test]
async fn seeing_notifications_marks_nothing_until_the_agent_says_so() {
    let app = spawn_app().await;
    let id = agent(&app);
    admin::set_user_permissions(
        &app.db,
        app.tenant_id,
        id,
        &omnibridge::domain::permission::Permission::ALL,
    )
    .unwrap();
    // Going online makes the agent one to tell of new chats.
    let key = admin::create_agent_api_key(
        &app.db,
        app.tenant_id,
        Some(id),
        &omnibridge::domain::permission::Permission::ALL,
    )
    .unwrap()
    .key;
    let online = app
        .agent_call(
            reqwest::Method::PUT,
            &format!("user/{id}"),
            &key,
            Some(serde_json::json!({"isOnline": true})),
        )
        .await;
    assert_eq!(online.status, 200, "{}", online.body);
    chat_ticket(&app, "Hello, anyone there?").await;
    let unread = "SELECT COUNT(*) AS n FROM notifications WHERE is_read = FALSE";
    assert!(app.count(unread) > 0);
    let cookie = session(&app).await;
    let page = get(&app, "/notifications", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("mark-read"), "{page}");
    let before = app.count(unread);
    assert!(before > 0);
    let marker = "name=\"ids\" value=\"";
    let at = page.find(marker).unwrap() + marker.len();
    let ids = page[at..].split('"').next().unwrap().to_owned();
    let token = csrf(&app, &cookie).await;
    let answer = browser()
        .post(format!("{}/notifications/read", app.address))
        .header("Cookie", &cookie)
        .form(&[("csrf", token.as_str()), ("ids", ids.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count(unread), 0);
}

/// An administrator's session (every permission): the cookie and its CSRF token.
async fn admin_session(app: &TestApp) -> (String, String) {
    let id = agent(app);
    admin::set_user_permissions(
        &app.db,
        app.tenant_id,
        id,
        &omnibridge::domain::permission::Permission::ALL,
    )
    .unwrap();
    let cookie = session(app).await;
    let token = csrf(app, &cookie).await;
    (cookie, token)
}

async fn post(app: &TestApp, path: &str, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .post(format!("{}{path}", app.address))
        .header("Cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The secret an administration page shows once.
async fn shown(answer: reqwest::Response) -> String {
    assert_eq!(answer.status(), StatusCode::OK);
    let page = answer.text().await.unwrap();
    let marker = "<code id=\"shown-value\">";
    let at = page.find(marker).expect("a secret shown") + marker.len();
    page[at..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_everyday_agent_cannot_administer() {
    let app = spawn_app().await;
    agent(&app);
    let cookie = session(&app).await;
    let token = csrf(&app, &cookie).await;
    let page = get(&app, "/", &cookie).await.text().await.unwrap();
    assert!(!page.contains("href=\"/admin\""));
    assert_eq!(
        get(&app, "/admin/chat-accounts/1", &cookie).await.status(),
        StatusCode::FORBIDDEN
    );
    for (path, form) in [
        ("/admin/keys", vec![("permission", "API_CHAT")]),
        ("/admin/domains", vec![("value", "example.com")]),
        ("/admin/ips", vec![("value", "203.0.113.0/24")]),
        (
            "/admin/agents",
            vec![("name", "Eve"), ("email", "eve@acme.example")],
        ),
        ("/admin/agents/1/delete", vec![]),
    ] {
        let mut form = form;
        form.push(("csrf", token.as_str()));
        assert_eq!(
            post(&app, path, &cookie, &form).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM api_keys WHERE id > 1"),
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM allowed_domains"), 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM users"), 1);
}

#[tokio::test]
async fn an_administrator_adds_an_agent_who_signs_in_with_the_password_shown_once() {
    let app = spawn_app().await;
    let (cookie, token) = admin_session(&app).await;
    assert_eq!(get(&app, "/admin", &cookie).await.status(), StatusCode::OK);
    let answer = post(
        &app,
        "/admin/agents",
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Ada"),
            ("email", "ada@acme.example"),
            ("role", "agent"),
        ],
    )
    .await;
    let password = shown(answer).await;
    assert_eq!(
        sign_in(&app, "ada@acme.example", &password).await.status(),
        StatusCode::SEE_OTHER
    );
    // A new password: the old one and its sessions end.
    let ada = app.count("SELECT id AS n FROM users WHERE email = 'ada@acme.example'");
    let answer = post(
        &app,
        &format!("/admin/agents/{ada}/password"),
        &cookie,
        &[("csrf", &token)],
    )
    .await;
    let renewed = shown(answer).await;
    assert_ne!(renewed, password);
    assert_eq!(
        sign_in(&app, "ada@acme.example", &password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Removed: gone, and so are their sessions.
    let answer = post(
        &app,
        &format!("/admin/agents/{ada}/delete"),
        &cookie,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE email = 'ada@acme.example'"),
        0
    );
}

#[tokio::test]
async fn an_api_key_made_in_the_console_works_until_it_is_revoked_there() {
    let app = spawn_app().await;
    let (cookie, token) = admin_session(&app).await;
    let answer = post(
        &app,
        "/admin/keys",
        &cookie,
        &[
            ("csrf", &token),
            ("permission", "TICKET_READ"),
            ("permission", "VIEW_READ"),
        ],
    )
    .await;
    let key = shown(answer).await;
    let id = app.count("SELECT MAX(id) AS n FROM api_keys");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM api_keys WHERE id = {id} \
             AND permissions = 'TICKET_READ,VIEW_READ'"
        )),
        1
    );
    let read = app
        .agent_call(reqwest::Method::GET, "ticket", &key, None)
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    let answer = post(
        &app,
        &format!("/admin/keys/{id}/revoke"),
        &cookie,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let read = app
        .agent_call(reqwest::Method::GET, "ticket", &key, None)
        .await;
    assert_eq!(read.status, 401, "{}", read.body);
    // A key of another tenant, or none: 404.
    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let theirs = admin::create_api_key(
        &app.db,
        other,
        &[omnibridge::domain::permission::Permission::ApiChat],
    )
    .unwrap();
    let answer = post(
        &app,
        &format!("/admin/keys/{}/revoke", theirs.id),
        &cookie,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM api_keys WHERE id = {} AND revoked_at IS NULL",
            theirs.id
        )),
        1
    );
}

#[tokio::test]
async fn the_widgets_lists_and_a_chat_account_are_set_in_the_console() {
    let app = spawn_app().await;
    let (cookie, token) = admin_session(&app).await;
    for (path, value) in [
        ("/admin/domains", "Shop.Example.COM."),
        ("/admin/ips", "203.0.113.7/24"),
    ] {
        let answer = post(&app, path, &cookie, &[("csrf", &token), ("value", value)]).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{path}");
    }
    let page = get(&app, "/admin", &cookie).await.text().await.unwrap();
    assert!(page.contains("shop.example.com") && page.contains("203.0.113.0/24"));
    let bad = post(
        &app,
        "/admin/domains",
        &cookie,
        &[("csrf", &token), ("value", "not a domain")],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    for (path, value) in [
        ("/admin/domains/remove", "shop.example.com"),
        ("/admin/ips/remove", "203.0.113.0/24"),
    ] {
        let answer = post(&app, path, &cookie, &[("csrf", &token), ("value", value)]).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{path}");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM allowed_domains"), 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM blocked_ips"), 0);
    // A chat account's settings.
    let account = app.count("SELECT MIN(id) AS n FROM chat_accounts");
    let path = format!("/admin/chat-accounts/{account}");
    assert_eq!(get(&app, &path, &cookie).await.status(), StatusCode::OK);
    let saved = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Acme shop"),
            ("required", "customerName"),
            ("required", "emailAddress"),
            ("time_zone", "Europe/Amsterdam"),
            ("service_hours", "mon-fri 09:00-17:00"),
            ("transcripts", "on"),
            ("queue_max_length", "5"),
            ("purge_after_days", "365"),
            ("close_solved_after_days", "14"),
        ],
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM chat_accounts WHERE id = {account} \
             AND purge_after_days = 365 AND close_solved_after_days = 14"
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM chat_accounts WHERE id = {account} AND name = 'Acme shop' \
             AND required_fields = 'customerName,emailAddress' AND time_zone = 'Europe/Amsterdam' \
             AND transcripts = TRUE AND queue_enabled = FALSE AND queue_max_length = 5"
        )),
        1
    );
    let bad = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Acme shop"),
            ("time_zone", "Mars/Olympus"),
        ],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM chat_accounts WHERE id = {account} \
             AND time_zone = 'Europe/Amsterdam'"
        )),
        1
    );
    // Another tenant's chat account: 404.
    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let theirs =
        admin::create_chat_account(&app.db, other, &admin::ChatAccountOptions::named("Theirs"))
            .unwrap();
    assert_eq!(
        get(
            &app,
            &format!("/admin/chat-accounts/{}", theirs.id),
            &cookie
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_note_with_a_file_and_the_tags_are_set_from_the_ticket_page() {
    let app = spawn_app().await;
    agent(&app);
    let ticket = chat_ticket(&app, "Here is my receipt").await;
    let cookie = session(&app).await;
    let token = csrf(&app, &cookie).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", token.clone())
        .text("channel", "note")
        .text("text", "Receipt checked, see the scan.")
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 receipt".to_vec()).file_name("../scan.pdf"),
        );
    let answer = browser()
        .post(format!("{}/tickets/{ticket}/reply", app.address))
        .header("Cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM attachments WHERE ticket_id = {ticket} \
             AND author = 'note' AND file_name = 'scan.pdf'"
        )),
        1
    );
    let page = get(&app, &format!("/tickets/{ticket}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("scan.pdf") && page.contains("/console/file/"));
    let answer = post(
        &app,
        &format!("/tickets/{ticket}/tags"),
        &cookie,
        &[("csrf", &token), ("tags", "VIP, refund")],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM ticket_tags WHERE ticket_id = {ticket} \
             AND tag IN ('vip', 'refund')"
        )),
        2
    );
    let too_long = "x".repeat(65);
    let answer = post(
        &app,
        &format!("/tickets/{ticket}/tags"),
        &cookie,
        &[("csrf", &token), ("tags", &too_long)],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_demos_stand_in_chat_server_takes_a_reply_from_the_console() {
    let app = spawn_app_with(Options {
        demo_chat_server: true,
        ..Options::default()
    })
    .await;
    agent(&app);
    let form = vec![
        ("chatServer", format!("{}/demo/chat", app.address)),
        ("chatSessionID", "session-demo-01".to_owned()),
        ("chatAccountToken", app.chat_token.clone()),
        ("message", "Hello, my order has not arrived".to_owned()),
    ];
    let a = app
        .post(
            "notifyUserNewChatMessage",
            &form,
            crate::helpers::Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let ticket = a.body["ticketID"].as_i64().unwrap();
    let cookie = session(&app).await;
    let token = csrf(&app, &cookie).await;
    let answer = post(
        &app,
        &format!("/tickets/{ticket}/reply"),
        &cookie,
        &[
            ("csrf", &token),
            ("channel", "chat"),
            ("text", "It ships today!"),
        ],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let delivered = "SELECT COUNT(*) AS n FROM deliveries WHERE state = 'delivered'";
    wait_until("the reply delivered", || app.count(delivered) > 0);
    // Without --demo there is no such chat server.
    let plain = spawn_app().await;
    let answer = plain
        .client
        .post(format!("{}/demo/chat/messageForCustomer", plain.address))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reply_whose_file_input_was_left_empty_has_no_file() {
    let app = spawn_app().await;
    agent(&app);
    let ticket = chat_ticket(&app, "Any news?").await;
    let cookie = session(&app).await;
    let token = csrf(&app, &cookie).await;
    // What a browser sends for `<input type=file>` with nothing chosen.
    let form = reqwest::multipart::Form::new()
        .text("csrf", token)
        .text("channel", "note")
        .text("text", "Nothing new yet.")
        .part(
            "files",
            reqwest::multipart::Part::bytes(Vec::new())
                .file_name("")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    let answer = browser()
        .post(format!("{}/tickets/{ticket}/reply", app.address))
        .header("Cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE author = 'note'"),
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments"), 0);
}

#[tokio::test]
async fn no_permission_leads_to_more() {
    let app = spawn_app().await;
    use omnibridge::domain::permission::Permission;
    // An administrator of everything, and a key that may only manage agents.
    let (root, _) = app.agent("Root", &Permission::ALL);
    admin::set_user_permissions(&app.db, app.tenant_id, root, &Permission::ALL).unwrap();
    let (_, users_only) = app.agent("Helper", &[Permission::UserCud]);
    // It may neither take the administrator over (password, e-mail) nor make a signing-in agent
    // with more than it holds.
    for body in [
        serde_json::json!({"password": "taken over now"}),
        serde_json::json!({"email": "helper-inbox@acme.example"}),
    ] {
        let a = app
            .agent_call(
                reqwest::Method::PUT,
                &format!("user/{root}"),
                &users_only,
                Some(body.clone()),
            )
            .await;
        assert_eq!(a.status, 403, "{body}: {}", a.body);
    }
    let a = app
        .agent_call(
            reqwest::Method::POST,
            "user",
            &users_only,
            Some(serde_json::json!({"name": "Mallory", "email": "m@acme.example", "password": "long enough"})),
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE email = 'root@agents.example' AND password_hash IS NULL"),
        1
    );
    // A settings administrator in the console makes keys with no more than they hold.
    let id = agent(&app);
    admin::set_user_permissions(
        &app.db,
        app.tenant_id,
        id,
        &[Permission::SettingsCrud, Permission::TicketRead],
    )
    .unwrap();
    let cookie = session(&app).await;
    let token = csrf(&app, &cookie).await;
    let root_id = root.to_string();
    for form in [
        vec![("permission", "USER_CUD")],
        vec![("permission", "TICKET_READ"), ("agent", root_id.as_str())],
    ] {
        let mut form = form;
        form.push(("csrf", token.as_str()));
        let answer = post(&app, "/admin/keys", &cookie, &form).await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{form:?}");
    }
    let fine = post(
        &app,
        "/admin/keys",
        &cookie,
        &[("csrf", &token), ("permission", "TICKET_READ")],
    )
    .await;
    shown(fine).await;
}

#[tokio::test]
async fn the_navigation_counts_each_view_and_the_queue() {
    let app = spawn_app().await;
    let id = agent(&app);
    admin::set_user_permissions(
        &app.db,
        app.tenant_id,
        id,
        &omnibridge::domain::permission::Permission::ALL,
    )
    .unwrap();
    for i in 0..3 {
        chat_ticket_in(&app, &format!("session-nav-{i:04}"), "Hello?").await;
    }
    let (_, key) = app.agent("Viewer", &omnibridge::domain::permission::Permission::ALL);
    for (name, status) in [("New ones", "new"), ("Closed ones", "closed")] {
        let a = app
            .agent_call(
                reqwest::Method::POST,
                "view",
                &key,
                Some(serde_json::json!({"name": name,
                    "conditions": [{"field": "status", "operator": "is", "value": status}]})),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let cookie = session(&app).await;
    let page = get(&app, "/", &cookie).await.text().await.unwrap();
    let count_after = |label: &str| {
        let at = page
            .find(label)
            .unwrap_or_else(|| panic!("{label} in {page}"));
        let rest = &page[at..];
        let from = rest.find("class=\"count\"").unwrap();
        let rest = &rest[from..];
        rest[rest.find('>').unwrap() + 1..rest.find('<').unwrap()].to_owned()
    };
    assert_eq!(count_after("Queue"), "3");
    assert_eq!(count_after("New ones"), "3");
    assert_eq!(count_after("Closed ones"), "0");
}

#[tokio::test]
async fn the_command_line_gives_agents_their_passwords() {
    use std::io::Write;
    let app = spawn_app().await;
    let tenant = app.tenant_id.to_string();
    let cli = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_omnibridge"));
        command
            .env("OMNIBRIDGE__DATABASE__URL", app.database_url())
            .env("RUST_LOG", "warn");
        command
    };
    let out = cli()
        .args(["user", "create", "--tenant", &tenant, "--name", "Grace"])
        .args(["--email", EMAIL, "--password", PASSWORD])
        .args(["--permission", "TICKET_READ", "--permission", "USER_READ"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = created["userId"].as_i64().unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM users WHERE id = {id} \
             AND permissions = 'TICKET_READ,USER_READ'"
        )),
        1
    );
    let cookie = session(&app).await;
    assert_eq!(get(&app, "/", &cookie).await.status(), StatusCode::OK);
    // set-password reads the new one from standard input, and ends the sessions.
    let mut child = cli()
        .args([
            "user",
            "set-password",
            "--tenant",
            &tenant,
            "--id",
            &id.to_string(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a password from stdin\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        get(&app, "/", &cookie).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sign_in(&app, EMAIL, "a password from stdin").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_timeline_tells_changes_in_words() {
    let app = spawn_app().await;
    agent(&app);
    let ticket = chat_ticket(&app, "Is my order late?").await;
    let cookie = session(&app).await;
    let token = csrf(&app, &cookie).await;
    let me = app.count(&format!(
        "SELECT id AS n FROM users WHERE email = '{EMAIL}'"
    ));
    for (path, form) in [
        ("assign", vec![("user", me.to_string())]),
        ("status", vec![("status", "pending".to_owned())]),
    ] {
        let mut form = form;
        form.push(("csrf", token.clone()));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = post(&app, &format!("/tickets/{ticket}/{path}"), &cookie, &form).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{path}");
    }
    let page = get(&app, &format!("/tickets/{ticket}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    for words in [
        "Grace assigned it to Grace",
        "Grace picked the chat up",
        "Grace set the status → pending",
    ] {
        assert!(page.contains(words), "{words} in {page}");
    }
}

#[tokio::test]
async fn admins_see_the_jivochat_webhook_url_and_replace_it_and_mail_quotes_fold() {
    let app = spawn_app().await;
    let me = agent(&app);
    admin::set_user_permissions(
        &app.db,
        app.tenant_id,
        me,
        &omnibridge::domain::permission::Permission::ALL,
    )
    .unwrap();
    let cookie = session(&app).await;
    let token = csrf(&app, &cookie).await;
    let account = app.count("SELECT MIN(id) AS n FROM chat_accounts");
    let path = format!("/admin/chat-accounts/{account}");
    let url_of = |page: &str| {
        let marker = "<code id=\"webhook-url\">";
        let at = page.find(marker).unwrap() + marker.len();
        page[at..at + page[at..].find('<').unwrap()].to_owned()
    };
    let page = get(&app, &path, &cookie).await.text().await.unwrap();
    let before = url_of(&page);
    assert!(before.starts_with("/api/v2/jivochat/"), "{before}");
    let hook = |url: String| {
        let app = &app;
        async move {
            let body =
                serde_json::json!({"event_name": "chat_updated", "chat_id": 1, "visitor": {}});
            app.client
                .post(format!("{}{url}", app.address))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(hook(before.clone()).await, StatusCode::OK);
    let rotated = post(
        &app,
        &format!("{path}/webhook-token"),
        &cookie,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(rotated.status(), StatusCode::SEE_OTHER);
    let page = get(&app, &path, &cookie).await.text().await.unwrap();
    let after = url_of(&page);
    assert_ne!(after, before);
    assert_eq!(hook(before).await, StatusCode::NOT_FOUND);
    assert_eq!(hook(after).await, StatusCode::OK);
    // Without the form's token, nothing changes.
    let refused = post(&app, &format!("{path}/webhook-token"), &cookie, &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // A customer's mail: its quoted history is folded away on the ticket page, but there.
    let relay = crate::inbound_mail::relay_key(&app);
    let raw = "From: Maria <maria@example.net>\r\nSubject: Re: order\r\nMessage-ID: <q-1@example.net>\r\n\r\n\
               Yes please, ship it.\r\n\r\nOn Monday, Acme Support wrote:\r\n> Shall we ship it?\r\n";
    let a = crate::inbound_mail::post_mail(&app, &relay, raw.as_bytes().to_vec()).await;
    let ticket = a.body["item"]["ticketID"].as_i64().unwrap();
    let page = get(&app, &format!("/tickets/{ticket}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<div class=\"text\">Yes please, ship it.</div>"),
        "{page}"
    );
    let folded = page
        .find("<details class=\"quoted\">")
        .expect("a folded quote");
    assert!(page[folded..].contains("&#62; Shall we ship it?"), "{page}");
}
