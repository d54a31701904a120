//! The disk that keeps attachments fills up: a file that does not fit is answered `507`,
//! nothing of it stays on disk or in the database, and the next file that fits is stored.
//!
//! The server runs in a mount namespace of its own (`unshare`, as root or as a user allowed
//! user namespaces) with a 256 KiB tmpfs over its attachments folder.

use std::process::{Command, Stdio};

use omnibridge::domain::permission::Permission;
use reqwest::multipart::{Form, Part};
use sha2::{Digest, Sha256};

use crate::helpers::{free_port, serve_settings, spawn_app, ServerProcess, CHAT_SERVER};

async fn upload(
    client: &reqwest::Client,
    address: &str,
    key: &str,
    token: &str,
    session: &str,
    bytes: Vec<u8>,
) -> (u16, serde_json::Value) {
    let part = Part::bytes(bytes).file_name("scan.bin");
    let response = client
        .post(format!("{address}/api/v2/chat/addAttachment"))
        .header("apiKey", key)
        .query(&[
            ("chatServer", CHAT_SERVER),
            ("chatSessionID", session),
            ("chatAccountToken", token),
        ])
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("request sent");
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Whether this machine lets a process mount in a namespace of its own.
fn can_mount_privately() -> bool {
    Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn a_file_that_does_not_fit_is_507_and_leaves_nothing_behind() {
    if !can_mount_privately() {
        eprintln!("skipped: no user namespaces here (unshare --user fails); CI has them");
        return;
    }
    let app = spawn_app().await;
    let (_, agent_key) = app.agent("Alice", &Permission::ALL);
    let files = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = ServerProcess(
        serve_settings(
            Command::new("unshare")
                .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
                .arg("mount -t tmpfs -o size=256k omnibridge-files \"$0\" && exec \"$1\" serve")
                .arg(files.path())
                .arg(env!("CARGO_BIN_EXE_omnibridge")),
            app.database_url(),
            port,
            files.path(),
        )
        .spawn()
        .expect("unshare (util-linux) runs"),
    );
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    server.until_it_answers(&address).await;

    // A megabyte on a 256 KiB disk: refused, and its chat not opened.
    let (status, body) = upload(
        &client,
        &address,
        &app.api_key,
        &app.chat_token,
        "disk-full-01",
        vec![7u8; 1024 * 1024],
    )
    .await;
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["status"], "error");
    assert_eq!(body["code"], "insufficient_storage");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments"), 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM chat_sessions"), 0);

    // Nothing of it is left: a file of 200 KiB fits again, whole.
    let fits: Vec<u8> = (0..200 * 1024).map(|i| (i % 251) as u8).collect();
    let (status, body) = upload(
        &client,
        &address,
        &app.api_key,
        &app.chat_token,
        "disk-full-02",
        fits.clone(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["size"], fits.len());
    assert_eq!(body["sha256"], hex::encode(Sha256::digest(&fits)));
    let ticket = body["ticketID"].as_i64().unwrap();

    // An agent's reply with a file too big for what is left: 507, and no message stored.
    let messages = app.count(&format!(
        "SELECT COUNT(*) AS n FROM messages WHERE ticket_id = {ticket}"
    ));
    let form = Form::new()
        .text("ticketID", ticket.to_string())
        .text("type", "note")
        .text("message", "The scan you asked for.")
        .part(
            "file",
            Part::bytes(vec![1u8; 512 * 1024]).file_name("big.pdf"),
        );
    let response = client
        .post(format!("{address}/api/v2/message"))
        .header("apiKey", &agent_key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 507);
    let after = app.count(&format!(
        "SELECT COUNT(*) AS n FROM messages WHERE ticket_id = {ticket}"
    ));
    assert_eq!(after, messages);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM attachments"), 1);
}
