//! Bodies a chat server should never send, and what omnibridge answers instead of a 500.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{answer, spawn_app, spawn_app_with, Options, TestApp};

const ENDPOINTS: [&str; 8] = [
    "requestChatConfig",
    "notifyUserNewChatMessage",
    "notifyUserNewChatEvent",
    "notifyUserVisited",
    "notifyUserEndChat",
    "addAttachment",
    "checkOriginAndIP",
    "requestChatQueue",
];

async fn raw_post(
    app: &TestApp,
    endpoint: &str,
    content_type: &str,
    body: &[u8],
) -> crate::helpers::Answer {
    let response = app
        .client
        .post(app.url(endpoint))
        .header("apiKey", &app.api_key)
        .header("Content-Type", content_type)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// Sends a request by hand and returns the status line and the body.
async fn raw_http(app: &TestApp, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let _ = stream.write_all(body).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn broken_multipart_is_a_400() {
    let app = spawn_app().await;
    let truncated = b"--XyZ\r\nContent-Disposition: form-data; name=\"chatServer\"\r\n\r\nchat.example.com\r\n--XyZ\r\nContent-Disp";
    for (content_type, body) in [
        ("multipart/form-data; boundary=XyZ", &truncated[..]),
        ("multipart/form-data", &b"--a\r\n\r\n"[..]),
        (
            "multipart/form-data; boundary=XyZ",
            &b"no boundary here at all"[..],
        ),
    ] {
        let a = raw_post(&app, "notifyUserNewChatMessage", content_type, body).await;
        assert_eq!(a.status, 400, "{content_type}: {}", a.body);
        assert_eq!(a.body["status"], "error");
    }
}

#[tokio::test]
async fn broken_json_and_json_that_is_not_an_object_are_a_400() {
    let app = spawn_app().await;
    for body in [
        &b"{\"chatServer\": "[..],
        b"[1,2,3]",
        b"\"text\"",
        b"\xff\xfe",
    ] {
        let a = raw_post(&app, "notifyUserNewChatMessage", "application/json", body).await;
        assert_eq!(a.status, 400, "{}", a.body);
        assert_eq!(a.body["code"], "malformed_body");
    }
}

#[tokio::test]
async fn a_wrong_content_type_is_a_415() {
    let app = spawn_app().await;
    for content_type in ["text/plain", "application/xml", "image/png"] {
        let a = raw_post(
            &app,
            "requestChatQueue",
            content_type,
            b"chatAccountToken=acmewebchat0001",
        )
        .await;
        assert_eq!(a.status, 415, "{content_type}");
        assert_eq!(a.body["code"], "unsupported_media_type");
    }
}

#[tokio::test]
async fn a_declared_oversize_body_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    // Declares 50 MiB and sends only a little: the 413 comes without waiting for the rest.
    let head = format!(
        "POST /api/v2/chat/notifyUserNewChatMessage HTTP/1.1\r\nHost: x\r\napiKey: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 52428800\r\n\r\n",
        app.api_key
    );
    let (status, text) = raw_http(&app, &head, b"chatServer=chat.example.com").await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("payload_too_large"));
}

#[tokio::test]
async fn an_oversize_streamed_body_is_a_413_on_every_content_type() {
    let app = spawn_app_with(Options {
        max_body_bytes: 32 * 1024,
        ..Options::default()
    })
    .await;
    let big = "a".repeat(40 * 1024);
    for (content_type, body) in [
        ("application/json", format!("{{\"message\": \"{big}\"}}")),
        (
            "application/x-www-form-urlencoded",
            format!("message={big}"),
        ),
        (
            "multipart/form-data; boundary=B",
            format!(
                "--B\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n{big}\r\n--B--\r\n"
            ),
        ),
    ] {
        // Chunked: no Content-Length to refuse early, so the server must count.
        let head = format!(
            "POST /api/v2/chat/notifyUserNewChatMessage HTTP/1.1\r\nHost: x\r\napiKey: {}\r\n\
             Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            app.api_key
        );
        let chunked = format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
        let (status, text) = raw_http(&app, &head, chunked.as_bytes()).await;
        assert_eq!(status, 413, "{content_type}: {text}");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 0);
}

#[tokio::test]
async fn an_endless_multipart_part_header_is_a_413_not_a_memory_leak() {
    let app = spawn_app_with(Options {
        max_body_bytes: 64 * 1024,
        ..Options::default()
    })
    .await;
    for endpoint in ["notifyUserEndChat", "addAttachment"] {
        let head = format!(
            "POST /api/v2/chat/{endpoint}?chatServer=chat.example.com&chatSessionID=session-0000001\
             &chatAccountToken=acmewebchat0001 HTTP/1.1\r\nHost: x\r\napiKey: {}\r\n\
             Content-Type: multipart/form-data; boundary=B\r\nTransfer-Encoding: chunked\r\n\
             Connection: close\r\n\r\n",
            app.api_key
        );
        // One part whose header never ends: 8 MiB of it, far past every limit.
        let mut body = String::from("--B\r\nContent-Disposition: form-data; name=\"x\"; ");
        body.push_str(&"a".repeat(8 * 1024 * 1024));
        let chunked = format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
        let (status, text) = raw_http(&app, &head, chunked.as_bytes()).await;
        // Either our raw limit (413) or actix-multipart's own cap on a part's header (400)
        // ends it; what matters is that it ends, long before the 8 MiB are buffered.
        let tail = &text[text.len().saturating_sub(300)..];
        match endpoint {
            "notifyUserEndChat" => assert_eq!(status, 413, "{endpoint}: {tail}"),
            _ => assert!(status == 413 || status == 400, "{endpoint}: {tail}"),
        }
    }
}

#[tokio::test]
async fn fields_too_long_for_an_index_are_a_400_not_a_500() {
    let app = spawn_app().await;
    let mut form = app.message_form("session-long-001", "hello");
    form[0].1 = format!("chat.{}.example.com", "a".repeat(20_000));
    form.push(("phoneNumber", format!("+{}", "1".repeat(20_000))));
    form.push(("customerName", "A".repeat(20_000)));
    let a = app
        .post(
            "notifyUserNewChatMessage",
            &form,
            crate::helpers::Encoding::UrlEncoded,
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    for field in ["chatServer", "phoneNumber", "customerName"] {
        assert_eq!(a.field_codes(field), vec!["length"], "{field}");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 0);
}

#[tokio::test]
async fn garbage_never_gets_a_500() {
    let app = spawn_app().await;
    let bodies: [(&str, &[u8]); 8] = [
        ("application/json", b"null"),
        ("application/json", b"{\"message\": {\"nested\": [1, 2]}, \"chatSessionID\": 12345678901}"),
        ("application/json", b"{\"chatServer\": \"\\u0000\\u0000\\u0000\\u0000\\u0000\"}"),
        ("application/x-www-form-urlencoded", b"%%%%=%%%&&&=="),
        ("application/x-www-form-urlencoded", b"message=%FF%FE&chatServer=%00"),
        ("multipart/form-data; boundary=", b"----\r\n\r\n"),
        ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n\xff\xfe\r\n--zz--\r\n"),
        ("application/json; charset=utf-16", b"\0{\0}"),
    ];
    for endpoint in ENDPOINTS {
        for (content_type, body) in bodies {
            let response = app
                .client
                .post(app.url(endpoint))
                .header("apiKey", &app.api_key)
                .header("Content-Type", content_type)
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert!(
                (400..500).contains(&status),
                "{endpoint} {content_type} {body:?}: {status} {text}"
            );
            let json: serde_json::Value = serde_json::from_str(&text).expect("JSON error body");
            assert_eq!(json["status"], "error");
        }
    }
    // Unknown paths and wrong methods answer JSON too.
    let r = app
        .client
        .get(format!("{}/api/v2/chat/nothing", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .get(app.url("notifyUserNewChatMessage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    assert!(r.text().await.unwrap().contains("method_not_allowed"));
    let r = app
        .client
        .patch(format!("{}/api/v2/view/1", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, PUT, DELETE");
}

#[tokio::test]
async fn a_nul_character_is_a_400_naming_the_field_on_both_databases() {
    let app = spawn_app().await;
    for encoding in crate::helpers::ENCODINGS {
        let mut form = app.message_form("session-nul-0001", "hello\u{0}world");
        form.push(("phoneNumber", "12345".into()));
        let a = app.post("notifyUserNewChatMessage", &form, encoding).await;
        assert_eq!(a.status, 400, "{encoding:?}: {}", a.body);
        assert_eq!(a.field_codes("message"), vec!["nul"]);
        assert_eq!(a.field_codes("phoneNumber"), vec!["pattern"]);
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 0);
}

#[tokio::test]
async fn urlencoded_bytes_that_are_not_utf8_are_a_400_like_on_every_content_type() {
    let app = spawn_app().await;
    let form = format!(
        "chatServer=chat.example.com&chatSessionID=session-utf8-001&chatAccountToken={}",
        app.chat_token
    );
    let bad = format!("{form}&message=caf%E9");
    let a = raw_post(
        &app,
        "notifyUserNewChatMessage",
        "application/x-www-form-urlencoded",
        bad.as_bytes(),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["code"], "malformed_body");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages"), 0);
    // A replacement character sent in one field excuses no bad bytes in another.
    let mixed = format!("{form}&message=caf%EF%BF%BD&customerName=caf%E9");
    let a = raw_post(
        &app,
        "notifyUserNewChatMessage",
        "application/x-www-form-urlencoded",
        mixed.as_bytes(),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    // A replacement character the client really sent is text like any other.
    let good = format!("{form}&message=caf%EF%BF%BD");
    let a = raw_post(
        &app,
        "notifyUserNewChatMessage",
        "application/x-www-form-urlencoded",
        good.as_bytes(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_a_408_and_the_connection_is_let_go() {
    let app = spawn_app_with(Options {
        body_timeout_seconds: 1,
        ..Options::default()
    })
    .await;
    let upload = format!(
        "addAttachment?chatServer=chat.example.com&chatSessionID=session-slow-01\
         &chatAccountToken={}",
        app.chat_token
    );
    for (endpoint, content_type) in [
        ("notifyUserNewChatMessage", "application/json"),
        (
            "notifyUserNewChatMessage",
            "multipart/form-data; boundary=X",
        ),
        (upload.as_str(), "multipart/form-data; boundary=X"),
    ] {
        let head = format!(
            "POST /api/v2/chat/{endpoint} HTTP/1.1\r\nHost: x\r\napiKey: {}\r\n\
             Content-Type: {content_type}\r\nContent-Length: 100000\r\n\r\n",
            app.api_key
        );
        // A few bytes of the hundred thousand declared, then nothing: the server answers and
        // closes the connection (its end arrives; the wait for it is only a safety net).
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
            .await
            .unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream
            .write_all(b"--X\r\nContent-Disposition: form")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf)).await;
        assert!(closed.is_ok(), "{endpoint}: the connection was kept open");
        let text = String::from_utf8_lossy(&buf);
        assert!(
            text.starts_with("HTTP/1.1 408"),
            "{endpoint} {content_type}: {text}"
        );
        assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
    }
}

#[tokio::test]
async fn health_and_ready_need_no_key() {
    let app = spawn_app().await;
    for path in ["/health", "/ready"] {
        let r = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}

/// The body of an answer read by `raw_http`, as JSON.
fn json_body(text: &str) -> serde_json::Value {
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: not JSON: {text}"))
}

#[tokio::test]
async fn requests_that_are_no_http_get_the_json_error_too() {
    let app = spawn_app().await;
    // A request line that cannot be parsed, a header with a byte no header may carry, and a
    // Content-Length that is no number: actix answers these before any handler runs.
    for head in [
        "GARBAGE\r\n\r\n".to_owned(),
        "GET /health HTTP/1.1\r\nHost: x\r\nBad\x01Header: y\r\n\r\n".to_owned(),
        "POST /api/v2/chat/requestChatConfig HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n"
            .to_owned(),
    ] {
        let (status, text) = raw_http(&app, &head, b"").await;
        assert_eq!(status, 400, "{head:?}: {text}");
        assert!(
            text.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{text}"
        );
        let json = json_body(&text);
        assert_eq!(json["status"], "error", "{text}");
        assert_eq!(json["code"], "malformed_request", "{text}");
    }
    // A head that stops before its end: actix's request timeout (5 s) answers.
    let (status, text) = raw_http(&app, "GET /health HTTP/1.1\r\nHost: x\r\n", b"").await;
    assert_eq!(status, 408, "{text}");
    assert_eq!(json_body(&text)["code"], "request_timeout", "{text}");
    // A head that grows past what actix reads (128 KiB) without ending.
    let head = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}",
        "a".repeat(200 * 1024)
    );
    let (status, text) = raw_http(&app, &head, b"").await;
    assert_eq!(status, 431, "{}", &text[..text.len().min(300)]);
    let json = json_body(&text);
    assert_eq!(json["code"], "headers_too_large", "{text}");
    // The server is still there.
    let r = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
