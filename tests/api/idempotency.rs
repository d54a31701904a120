use crate::helpers::{spawn_app, Encoding};

#[tokio::test]
async fn a_repeated_message_with_the_same_number_and_text_is_a_duplicate() {
    let app = spawn_app().await;
    let mut form = app.message_form("session-idem-001", "where is my parcel");
    form.push(("messageNumber", "3".into()));
    let first = app
        .post("notifyUserNewChatMessage", &form, Encoding::Multipart)
        .await;
    let retry = app
        .post("notifyUserNewChatMessage", &form, Encoding::Json)
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(first.body["duplicate"], false);
    assert_eq!(retry.body["duplicate"], true);
    assert_eq!(retry.body["messageID"], first.body["messageID"]);
    assert_eq!(retry.body["ticketID"], first.body["ticketID"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 1);
}

#[tokio::test]
async fn a_repeated_number_with_other_text_is_stored() {
    let app = spawn_app().await;
    for text in ["first words", "other words"] {
        let mut form = app.message_form("session-idem-002", text);
        form.push(("messageNumber", "1".into()));
        let a = app
            .post("notifyUserNewChatMessage", &form, Encoding::UrlEncoded)
            .await;
        assert_eq!(a.body["duplicate"], false, "{}", a.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 2);
}

#[tokio::test]
async fn the_same_text_without_a_number_is_never_dropped() {
    let app = spawn_app().await;
    for _ in 0..3 {
        let a = app.send_message("session-idem-003", "ok").await;
        assert_eq!(a.body["duplicate"], false);
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 3);
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retry_a_duplicate() {
    let app = spawn_app().await;
    let form = app.message_form("session-idem-004", "pay by card?");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url("notifyUserNewChatMessage"))
            .header("apiKey", &app.api_key)
            .header("Idempotency-Key", "chat-msg-8c1f")
            .form(&form)
            .send()
            .await
            .unwrap();
        let a = crate::helpers::answer(response).await;
        assert_eq!(a.status, 200, "{}", a.body);
        ids.push((a.body["messageID"].clone(), a.body["duplicate"].clone()));
    }
    assert_eq!(ids[0].0, ids[1].0);
    assert_eq!(ids[1].1, true);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 1);
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_a_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("notifyUserNewChatMessage"))
        .header("apiKey", &app.api_key)
        .header("Idempotency-Key", "x".repeat(300))
        .form(&app.message_form("session-idem-005", "hi"))
        .send()
        .await
        .unwrap();
    let a = crate::helpers::answer(response).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.field_codes("Idempotency-Key"), vec!["pattern"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 0);
}

#[tokio::test]
async fn the_same_number_and_text_is_a_duplicate_whatever_idempotency_key_comes_with_it() {
    let app = spawn_app().await;
    let mut form = app.message_form("session-idem-006", "second try");
    form.push(("messageNumber", "4".into()));
    let mut answers = Vec::new();
    for key in [Some("first-key"), Some("second-key"), None] {
        let mut request = app
            .client
            .post(app.url("notifyUserNewChatMessage"))
            .header("apiKey", &app.api_key);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let a = crate::helpers::answer(request.form(&form).send().await.unwrap()).await;
        assert_eq!(a.status, 200, "{}", a.body);
        answers.push(a);
    }
    assert_eq!(answers[0].body["duplicate"], false);
    assert_eq!(answers[1].body["duplicate"], true);
    assert_eq!(answers[2].body["duplicate"], true);
    assert_eq!(answers[1].body["messageID"], answers[0].body["messageID"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 1);
}
