//! The contract's validation table, each rule with a failing value, on each content type.

use crate::helpers::{spawn_app, Encoding, Form, TestApp, CHAT_SERVER, ENCODINGS};

/// A valid body for each endpoint that takes one.
fn valid(app: &TestApp, endpoint: &str) -> Form {
    let token = app.chat_token.clone();
    let session = "session-valid-01".to_owned();
    match endpoint {
        "requestChatConfig" => vec![
            ("chatServer", CHAT_SERVER.into()),
            ("chatAccountToken", token),
        ],
        "notifyUserNewChatMessage" => app.message_form(&session, "hello"),
        "notifyUserNewChatEvent" => vec![
            ("chatServer", CHAT_SERVER.into()),
            ("chatSessionID", session),
            ("event", "startedtyping".into()),
        ],
        "notifyUserVisited" => vec![
            ("chatServer", CHAT_SERVER.into()),
            ("chatSessionID", session),
            ("url", "https://shop.example.com/".into()),
        ],
        "notifyUserEndChat" => app.session_form(&session),
        "checkOriginAndIP" => vec![
            ("chatServer", CHAT_SERVER.into()),
            ("chatAccountToken", token),
            ("origin", "shop.example.com".into()),
            ("ip", "203.0.113.9".into()),
        ],
        "requestChatQueue" => vec![("chatAccountToken", token)],
        other => panic!("no valid body for {other}"),
    }
}

/// (endpoint, field, failing value or None for absent, the rule's code)
const CASES: &[(&str, &str, Option<&str>, &str)] = &[
    ("requestChatConfig", "chatServer", None, "required"),
    ("requestChatConfig", "chatServer", Some("a.b"), "length"),
    (
        "requestChatConfig",
        "chatServer",
        Some("chat example com"),
        "pattern",
    ),
    ("requestChatConfig", "chatAccountToken", None, "required"),
    (
        "requestChatConfig",
        "chatAccountToken",
        Some("short"),
        "length",
    ),
    (
        "requestChatConfig",
        "chatAccountToken",
        Some("token_with_underscore"),
        "pattern",
    ),
    ("notifyUserNewChatMessage", "chatServer", None, "required"),
    (
        "notifyUserNewChatMessage",
        "chatServer",
        Some("ab"),
        "length",
    ),
    (
        "notifyUserNewChatMessage",
        "chatServer",
        Some("chat.example.com?x=1"),
        "pattern",
    ),
    (
        "notifyUserNewChatMessage",
        "chatSessionID",
        None,
        "required",
    ),
    (
        "notifyUserNewChatMessage",
        "chatSessionID",
        Some("short-id"),
        "length",
    ),
    (
        "notifyUserNewChatMessage",
        "chatSessionID",
        Some("a123456789a123456789a123456789a123456789a123456789a123456789abcdef"),
        "length",
    ),
    (
        "notifyUserNewChatMessage",
        "chatSessionID",
        Some("session_0000000001"),
        "pattern",
    ),
    (
        "notifyUserNewChatMessage",
        "chatSessionID",
        Some("31+612345678"),
        "pattern",
    ),
    (
        "notifyUserNewChatMessage",
        "chatAccountToken",
        None,
        "required",
    ),
    (
        "notifyUserNewChatMessage",
        "chatAccountToken",
        Some("abc"),
        "length",
    ),
    (
        "notifyUserNewChatMessage",
        "chatAccountToken",
        Some("acme-web-chat-1"),
        "pattern",
    ),
    (
        "notifyUserNewChatMessage",
        "channelID",
        Some("web"),
        "integer",
    ),
    ("notifyUserNewChatMessage", "channelID", Some("0"), "range"),
    ("notifyUserNewChatMessage", "message", None, "required"),
    ("notifyUserNewChatMessage", "message", Some(""), "length"),
    (
        "notifyUserNewChatMessage",
        "messageNumber",
        Some("two"),
        "integer",
    ),
    (
        "notifyUserNewChatMessage",
        "messageNumber",
        Some("0"),
        "range",
    ),
    (
        "notifyUserNewChatMessage",
        "messageNumber",
        Some("51"),
        "range",
    ),
    (
        "notifyUserNewChatMessage",
        "usedPredefinedUserInput",
        Some("yes"),
        "boolean",
    ),
    (
        "notifyUserNewChatMessage",
        "customerName",
        Some("Ann <script>"),
        "pattern",
    ),
    (
        "notifyUserNewChatMessage",
        "emailAddress",
        Some("not-an-address"),
        "email",
    ),
    (
        "notifyUserNewChatMessage",
        "phoneNumber",
        Some("0612345678"),
        "pattern",
    ),
    (
        "notifyUserNewChatMessage",
        "phoneNumber",
        Some("+31 6 1234"),
        "pattern",
    ),
    ("notifyUserNewChatEvent", "chatServer", None, "required"),
    (
        "notifyUserNewChatEvent",
        "chatServer",
        Some("a:b"),
        "length",
    ),
    (
        "notifyUserNewChatEvent",
        "chatServer",
        Some("chat.example.com#x"),
        "pattern",
    ),
    ("notifyUserNewChatEvent", "chatSessionID", None, "required"),
    (
        "notifyUserNewChatEvent",
        "chatSessionID",
        Some("abc"),
        "length",
    ),
    (
        "notifyUserNewChatEvent",
        "chatSessionID",
        Some("+31612345678"),
        "pattern",
    ),
    ("notifyUserNewChatEvent", "event", None, "required"),
    (
        "notifyUserNewChatEvent",
        "event",
        Some("startedTyping"),
        "one_of",
    ),
    ("notifyUserVisited", "chatServer", None, "required"),
    ("notifyUserVisited", "chatServer", Some("abcd"), "length"),
    (
        "notifyUserVisited",
        "chatServer",
        Some("chat example"),
        "pattern",
    ),
    ("notifyUserVisited", "chatSessionID", None, "required"),
    (
        "notifyUserVisited",
        "chatSessionID",
        Some("abcdefghi"),
        "length",
    ),
    (
        "notifyUserVisited",
        "chatSessionID",
        Some("+31612345678"),
        "pattern",
    ),
    ("notifyUserVisited", "url", None, "required"),
    ("notifyUserVisited", "url", Some("a.b"), "length"),
    ("notifyUserEndChat", "chatServer", None, "required"),
    ("notifyUserEndChat", "chatServer", Some("abc"), "length"),
    (
        "notifyUserEndChat",
        "chatServer",
        Some("chat.example.com/é"),
        "pattern",
    ),
    ("notifyUserEndChat", "chatSessionID", None, "required"),
    (
        "notifyUserEndChat",
        "chatSessionID",
        Some("short"),
        "length",
    ),
    (
        "notifyUserEndChat",
        "chatSessionID",
        Some("session 0000001"),
        "pattern",
    ),
    ("checkOriginAndIP", "chatServer", None, "required"),
    ("checkOriginAndIP", "chatServer", Some("ab"), "length"),
    (
        "checkOriginAndIP",
        "chatServer",
        Some("chat.example.com!"),
        "pattern",
    ),
    ("checkOriginAndIP", "chatAccountToken", None, "required"),
    (
        "checkOriginAndIP",
        "chatAccountToken",
        Some("abc"),
        "length",
    ),
    (
        "checkOriginAndIP",
        "chatAccountToken",
        Some("acme.webchat.1"),
        "pattern",
    ),
    ("checkOriginAndIP", "origin", None, "required"),
    ("checkOriginAndIP", "origin", Some(""), "length"),
    (
        "checkOriginAndIP",
        "origin",
        Some("https://shop.example.com"),
        "pattern",
    ),
    ("checkOriginAndIP", "ip", None, "required"),
    ("checkOriginAndIP", "ip", Some("1.2"), "length"),
    ("checkOriginAndIP", "ip", Some("300.1.2.3"), "ip"),
    ("requestChatQueue", "chatAccountToken", None, "required"),
    (
        "requestChatQueue",
        "chatAccountToken",
        Some("abc"),
        "length",
    ),
    (
        "requestChatQueue",
        "chatAccountToken",
        Some("acme_webchat_0001"),
        "pattern",
    ),
];

#[tokio::test]
async fn every_rule_of_the_validation_table_fails_with_its_code_on_every_content_type() {
    let app = spawn_app().await;
    let mut failures = Vec::new();
    for encoding in ENCODINGS {
        for (endpoint, field, value, code) in CASES {
            let mut form: Form = valid(&app, endpoint)
                .into_iter()
                .filter(|(k, _)| k != field)
                .collect();
            if let Some(v) = value {
                form.push((field, (*v).to_owned()));
            }
            let a = app.post(endpoint, &form, encoding).await;
            let codes = a.field_codes(field);
            if a.status != 400
                || a.body["code"] != "validation_failed"
                || !codes.contains(&code.to_string())
            {
                failures.push(format!(
                    "{encoding:?} {endpoint} {field}={value:?}: expected 400 with {code}, got {} {}",
                    a.status, a.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing invalid was stored.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 0);
}

#[tokio::test]
async fn every_failing_field_is_reported_in_one_answer() {
    let app = spawn_app().await;
    for encoding in ENCODINGS {
        let form = vec![
            ("chatServer", "chat.example.com".to_owned()),
            ("chatSessionID", "bad_id".to_owned()),
            ("chatAccountToken", app.chat_token.clone()),
            ("message", "hi".to_owned()),
            ("phoneNumber", "12345".to_owned()),
            ("messageNumber", "99".to_owned()),
        ];
        let a = app.post("notifyUserNewChatMessage", &form, encoding).await;
        assert_eq!(a.status, 400);
        assert_eq!(a.body["status"], "error");
        assert_eq!(
            a.body["message"].as_str().unwrap().split(':').next(),
            Some("3 fields are invalid")
        );
        let mut length_and_pattern = a.field_codes("chatSessionID");
        length_and_pattern.sort();
        assert_eq!(length_and_pattern, vec!["length", "pattern"]);
        assert_eq!(a.field_codes("phoneNumber"), vec!["pattern"]);
        assert_eq!(a.field_codes("messageNumber"), vec!["range"]);
    }
}

#[tokio::test]
async fn an_unknown_event_lists_the_accepted_names() {
    let app = spawn_app().await;
    let mut form = app.session_form("session-valid-01");
    form.push(("event", "dancing".into()));
    let a = app
        .post("notifyUserNewChatEvent", &form, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 400);
    let message = a.body["message"].as_str().unwrap();
    for name in [
        "startedtyping",
        "stoppedtyping",
        "expandedchat",
        "minimizedchat",
    ] {
        assert!(message.contains(name), "{message}");
    }
}

#[tokio::test]
async fn addattachment_query_rules_are_enforced() {
    let app = spawn_app().await;
    let cases = [
        ("chatServer", Some("ab"), "length"),
        ("chatServer", None, "required"),
        ("chatSessionID", Some("bad_session_01"), "pattern"),
        ("chatSessionID", Some("short"), "length"),
        ("chatAccountToken", Some("abc"), "length"),
        ("chatAccountToken", None, "required"),
        ("phoneNumber", Some("31-612"), "pattern"),
        ("messageNumber", Some("0"), "range"),
        ("messageNumber", Some("one"), "integer"),
    ];
    for (field, value, code) in cases {
        let mut query: Vec<(&str, String)> = vec![
            ("chatServer", CHAT_SERVER.into()),
            ("chatSessionID", "+31612345678".into()),
            ("chatAccountToken", app.chat_token.clone()),
        ];
        query.retain(|(k, _)| *k != field);
        if let Some(v) = value {
            query.push((field, v.into()));
        }
        let part = reqwest::multipart::Part::bytes(b"bytes".to_vec()).file_name("a.txt");
        let response = app
            .client
            .post(app.url("addAttachment"))
            .header("apiKey", &app.api_key)
            .query(&query)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        let a = crate::helpers::answer(response).await;
        assert_eq!(a.status, 400, "{field}={value:?}: {}", a.body);
        assert!(
            a.field_codes(field).contains(&code.to_string()),
            "{field}: {}",
            a.body
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments"), 0);
}
