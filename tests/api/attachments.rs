use base64::Engine;
use omnibridge::services::admin::{self, ChatAccountOptions};
use sha2::{Digest, Sha256};

use crate::helpers::{answer, spawn_app, spawn_app_with, Answer, Options, TestApp, CHAT_SERVER};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn query(app: &TestApp, session: &str) -> Vec<(&'static str, String)> {
    vec![
        ("chatServer", CHAT_SERVER.into()),
        ("chatSessionID", session.into()),
        ("chatAccountToken", app.chat_token.clone()),
    ]
}

async fn upload(app: &TestApp, query: &[(&str, String)], name: &str, bytes: Vec<u8>) -> Answer {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("application/x-msdownload")
        .unwrap();
    let response = app
        .client
        .post(app.url("addAttachment"))
        .header("apiKey", &app.api_key)
        .query(query)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    answer(response).await
}

fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    walk(&app.attachments_dir)
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                vec![e.path()]
            }
        })
        .collect()
}

#[tokio::test]
async fn a_multipart_file_is_stored_with_its_hash_size_sniffed_type_and_a_safe_name() {
    let app = spawn_app().await;
    let ticket = app
        .send_message("session-file-001", "see the picture")
        .await
        .body["ticketID"]
        .clone();
    let mut q = query(&app, "session-file-001");
    q.push(("messageNumber", "2".into()));
    let a = upload(&app, &q, "../../etc/evil.exe", PNG.to_vec()).await;

    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["message"], "Attachment added.");
    assert_eq!(a.body["ticketID"], ticket);
    assert_eq!(a.body["ticketCreated"], false);
    assert_eq!(a.body["contentType"], "image/png");
    assert_eq!(a.body["fileName"], "evil.exe");
    assert_eq!(a.body["size"], PNG.len());
    let sha = hex::encode(Sha256::digest(PNG));
    assert_eq!(a.body["sha256"], sha);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM attachments WHERE sha256 = '{sha}' AND message_number = 2 \
             AND content_type = 'image/png' AND file_name = 'evil.exe'"
        )),
        1
    );
    let files = stored_files(&app);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(std::fs::read(&files[0]).unwrap(), PNG);
    assert!(!files[0].to_string_lossy().contains("evil"));
}

#[tokio::test]
async fn parts_other_than_the_file_are_ignored() {
    let app = spawn_app().await;
    let q = query(&app, "session-file-009");
    // A binary part without a file name, and a large text part: neither is read.
    let thumbnail = reqwest::multipart::Part::bytes(vec![0xff, 0xfe, 0x00, 0x81]);
    let form = reqwest::multipart::Form::new()
        .part("thumbnail", thumbnail)
        .text("meta", "x".repeat(100 * 1024))
        .part(
            "file",
            reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("photo.png"),
        );
    let response = app
        .client
        .post(app.url("addAttachment"))
        .header("apiKey", &app.api_key)
        .query(&q)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let a = answer(response).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["fileName"], "photo.png");
}

#[tokio::test]
async fn a_first_attachment_creates_the_ticket_of_a_phone_session() {
    let app = spawn_app().await;
    let mut q = query(&app, "+31612345678");
    q.push(("phoneNumber", "31612345678".into()));
    let a = upload(&app, &q, "scan.pdf", b"%PDF-1.4 tiny".to_vec()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["ticketCreated"], true);
    assert_eq!(a.body["contentType"], "application/pdf");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM customers WHERE phone = '+31612345678'"),
        1
    );
    // A message of the same session lands on the same ticket.
    let m = app
        .send_message("+31612345678", "did you get my scan?")
        .await;
    assert_eq!(m.body["ticketID"], a.body["ticketID"]);
}

#[tokio::test]
async fn a_base64_file_in_a_json_body_is_accepted() {
    let app = spawn_app().await;
    app.send_message("session-file-002", "hello").await;
    let response = app
        .client
        .post(app.url("addAttachment"))
        .header("apiKey", &app.api_key)
        .query(&query(&app, "session-file-002"))
        .json(&serde_json::json!({"file": "Ynl0ZXM=", "fileName": "notes.txt"}))
        .send()
        .await
        .unwrap();
    let a = answer(response).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["size"], 5);
    assert_eq!(a.body["contentType"], "text/plain");
    assert_eq!(a.body["fileName"], "notes.txt");
    assert_eq!(a.body["sha256"], hex::encode(Sha256::digest(b"bytes")));

    let bad = app
        .client
        .post(app.url("addAttachment"))
        .header("apiKey", &app.api_key)
        .query(&query(&app, "session-file-002"))
        .json(&serde_json::json!({"file": "not base64 !!"}))
        .send()
        .await
        .unwrap();
    let bad = answer(bad).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_codes("file"), vec!["base64"]);
}

#[tokio::test]
async fn a_missing_file_is_a_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("addAttachment"))
        .header("apiKey", &app.api_key)
        .query(&query(&app, "session-file-003"))
        .multipart(reqwest::multipart::Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    let a = answer(response).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.field_codes("file"), vec!["required"]);
}

#[tokio::test]
async fn an_oversized_attachment_is_a_413_and_leaves_nothing_behind() {
    let app = spawn_app_with(Options {
        max_attachment_bytes: 64 * 1024,
        ..Options::default()
    })
    .await;
    app.send_message("session-file-004", "big file coming")
        .await;
    // Streamed without a length, so the server has to count as it goes.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..40).map(|_| Ok(vec![b'a'; 4096])).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let part = reqwest::multipart::Part::stream(body).file_name("big.txt");
    let response = app
        .client
        .post(app.url("addAttachment"))
        .header("apiKey", &app.api_key)
        .query(&query(&app, "session-file-004"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await;
    if let Ok(response) = response {
        let a = answer(response).await;
        assert_eq!(a.status, 413, "{}", a.body);
        assert_eq!(a.body["code"], "payload_too_large");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments"), 0);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    // The server is fine afterwards.
    assert_eq!(
        upload(
            &app,
            &query(&app, "session-file-004"),
            "ok.txt",
            b"small".to_vec()
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn a_type_the_chat_account_does_not_accept_is_a_415() {
    let app = spawn_app().await;
    let options = ChatAccountOptions {
        token: Some("imagesonly0001".into()),
        attachment_types: vec!["image/*".into()],
        ..ChatAccountOptions::named("Images only")
    };
    admin::create_chat_account(&app.db, app.tenant_id, &options).unwrap();
    let mut q = query(&app, "session-file-005");
    q[2].1 = "imagesonly0001".into();
    let a = upload(&app, &q, "photo.png", b"MZ\x90\0 not really a png".to_vec()).await;
    assert_eq!(a.status, 415, "{}", a.body);
    assert_eq!(a.body["code"], "unsupported_media_type");
    let ok = upload(&app, &q, "photo.png", PNG.to_vec()).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments"), 1);
}

#[tokio::test]
async fn base64_and_multipart_uploads_of_the_same_bytes_hash_the_same() {
    let app = spawn_app().await;
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let a = upload(
        &app,
        &query(&app, "session-file-006"),
        "data.bin",
        bytes.clone(),
    )
    .await;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let response = app
        .client
        .post(app.url("addAttachment"))
        .header("apiKey", &app.api_key)
        .query(&query(&app, "session-file-006"))
        .form(&[("file", encoded)])
        .send()
        .await
        .unwrap();
    let b = answer(response).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(b.status, 200, "{}", b.body);
    assert_eq!(a.body["sha256"], b.body["sha256"]);
    assert_eq!(a.body["contentType"], "application/octet-stream");
}
