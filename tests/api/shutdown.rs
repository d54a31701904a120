//! `omnibridge serve` stops on SIGTERM while chat servers post and agents' event streams are
//! open: it ends the streams, finishes the requests it accepted (each `200` committed), and
//! exits 0 within 10 s (an open stream used to hold it for actix's 30 s).

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use omnibridge::domain::permission::Permission;

use crate::helpers::{spawn_app, EventStream, CHAT_SERVER};

#[tokio::test]
async fn sigterm_ends_the_streams_finishes_what_was_accepted_and_exits_0_within_10_s() {
    // The database, its tenant, chat account and keys; a server process of its own on it.
    let app = spawn_app().await;
    let (_, agent_key) = app.agent("Alice", &Permission::ALL);
    let files = tempfile::tempdir().unwrap();
    let (mut server, address) = app.serve_process(files.path());
    let client = reqwest::Client::new();
    server.until_it_answers(&address).await;
    let mut stream = EventStream::open(&address, &agent_key).await;

    // Four chat servers post until the server stops answering.
    let answered = RefCell::new(Vec::<String>::new());
    let stopped = Cell::new(false);
    let sender = |n: usize| {
        let (client, address, app, answered, stopped) =
            (&client, &address, &app, &answered, &stopped);
        async move {
            for i in 0..100_000 {
                let text = format!("sender {n} message {i}");
                let form = reqwest::multipart::Form::new()
                    .text("chatServer", CHAT_SERVER)
                    .text("chatSessionID", format!("stop-{n}-{:05}", i / 10))
                    .text("chatAccountToken", app.chat_token.clone())
                    .text("message", text.clone());
                let sent = client
                    .post(format!("{address}/api/v2/chat/notifyUserNewChatMessage"))
                    .header("apiKey", &app.api_key)
                    .multipart(form)
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 200 => {
                        answered.borrow_mut().push(text);
                    }
                    // Refused, reset, or not answered 200: nothing to count.
                    _ if stopped.get() => return,
                    Ok(response) => panic!("{text}: {}", response.status()),
                    Err(e) => panic!("{text}: {e}"),
                }
            }
        }
    };
    let stop = async {
        // Once messages flow, ask the server to stop, and wait for it (not longer than 10 s).
        while answered.borrow().len() < 40 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let pid = libc::pid_t::try_from(server.0.id()).unwrap();
        let asked = Instant::now();
        // SAFETY: kill(2) with our own child's id and a signal number touches no memory.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        stopped.set(true);
        loop {
            if let Some(status) = server.0.try_wait().unwrap() {
                break (status, asked.elapsed());
            }
            // Past that, `Server`'s drop kills it.
            assert!(
                asked.elapsed() < Duration::from_secs(15),
                "still running 15 s after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let ((status, took), ..) = tokio::join!(stop, sender(0), sender(1), sender(2), sender(3));
    assert!(status.success(), "exit status {status}");
    assert!(took < Duration::from_secs(10), "took {took:?} to stop");
    assert!(
        stream.ends_after_what_was_sent().await,
        "the event stream was not ended"
    );

    // Every 200 was committed.
    let texts = answered.into_inner();
    assert!(texts.len() >= 40);
    let quoted: Vec<String> = texts.iter().map(|t| format!("'{t}'")).collect();
    let stored = app.count(&format!(
        "SELECT COUNT(*) AS n FROM messages WHERE body IN ({})",
        quoted.join(", ")
    ));
    assert_eq!(stored, texts.len() as i64);
}
