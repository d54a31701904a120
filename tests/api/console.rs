//! The agent console over HTTP: sign-in, its limits, sessions, their ends and CSRF. (The
//! screens themselves are tested in a real browser: `tests/browser/console.py`.)

use omnibridge::services::admin;
use reqwest::redirect::Policy;
use reqwest::StatusCode;

use crate::helpers::{spawn_app, spawn_app_with, Options, TestApp};

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
    let answer = app.send_message("session-0000001", text).await;
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
