use futures_util::future::join_all;

use crate::helpers::spawn_app;

#[tokio::test]
async fn fifty_concurrent_first_messages_create_exactly_one_ticket() {
    let app = spawn_app().await;
    let texts: Vec<String> = (0..50).map(|i| format!("message {i}")).collect();
    let requests = texts
        .iter()
        .map(|t| app.send_message("session-race-0001", t));
    let answers = join_all(requests).await;

    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let tickets: std::collections::HashSet<i64> = answers
        .iter()
        .map(|a| a.body["ticketID"].as_i64().unwrap())
        .collect();
    assert_eq!(tickets.len(), 1);
    let created = answers
        .iter()
        .filter(|a| a.body["ticketCreated"] == true)
        .count();
    assert_eq!(created, 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM chat_sessions"), 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 50);
}

#[tokio::test]
async fn concurrent_new_sessions_of_one_email_share_one_customer() {
    let app = spawn_app().await;
    let forms: Vec<_> = (0..20)
        .map(|i| {
            let mut form = app.message_form(&format!("session-race-1{i:03}"), "hello");
            form.push(("emailAddress", "same@example.com".into()));
            form
        })
        .collect();
    let requests = forms.iter().map(|f| {
        app.post(
            "notifyUserNewChatMessage",
            f,
            crate::helpers::Encoding::Multipart,
        )
    });
    let answers = join_all(requests).await;
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 20);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 1);
}
