//! Postgres goes away under load and comes back (what a restart looks like to a client: every
//! connection cut, new ones refused, then accepted again). Meanwhile omnibridge answers `503`
//! with `Retry-After` at once, never `500`, never a hang; afterwards it recovers without a
//! restart of its own; every message it answered `200` is stored.
//!
//! The server reaches Postgres through a proxy the test cuts and restores. On SQLite there is
//! no database server to lose: the test checks nothing there.

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use omnibridge::domain::permission::Permission;

use crate::helpers::{postgres_server, spawn_app_with, Options, CHAT_SERVER};

/// A TCP proxy to Postgres that can cut every connection and refuse new ones.
struct Proxy {
    port: u16,
    open: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    /// Both ends of every connection, to cut them.
    streams: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: (String, u16)) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let streams = Arc::new(Mutex::new(Vec::new()));
        let (is_open, stopping, kept) = (open.clone(), stop.clone(), streams.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                if !is_open.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once, as a database that is down
                }
                let Ok(server) = TcpStream::connect((upstream.0.as_str(), upstream.1)) else {
                    continue;
                };
                let mut kept = kept.lock().unwrap();
                kept.push(client.try_clone().unwrap());
                kept.push(server.try_clone().unwrap());
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Proxy {
            port,
            open,
            stop,
            streams,
        }
    }

    /// Every connection cut, new ones closed as they come.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for stream in self.streams.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which sees `stop` and ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// What the chat servers heard.
#[derive(Default)]
struct Heard {
    /// The texts answered 200.
    stored: Vec<String>,
    /// 200s since the database came back.
    after: usize,
    unavailable: usize,
}

#[tokio::test]
async fn postgres_lost_under_load_is_503_with_retry_after_meanwhile_and_recovered_from() {
    let Some(upstream) = postgres_server() else {
        return; // SQLite: no database server to lose
    };
    let proxy = Proxy::start(upstream);
    let app = spawn_app_with(Options {
        postgres_via_port: Some(proxy.port),
        // The senders retry at once: no rate limit in the way.
        limits: omnibridge::config::LimitSettings {
            key_per_second: 0,
            key_burst: 0,
            address_per_second: 0,
            address_burst: 0,
            chat_servers: true,
        },
        ..Options::default()
    })
    .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let heard = RefCell::new(Heard::default());
    let (down, done) = (Cell::new(false), Cell::new(false));
    let sender = |n: usize| {
        let (client, app, heard, down, done) = (&client, &app, &heard, &down, &done);
        async move {
            let mut i = 0;
            while !done.get() {
                i += 1;
                let text = format!("sender {n} message {i}");
                let form = reqwest::multipart::Form::new()
                    .text("chatServer", CHAT_SERVER)
                    .text("chatSessionID", format!("restart-{n}-{:05}", i / 10))
                    .text("chatAccountToken", app.chat_token.clone())
                    .text("message", text.clone());
                let asked = Instant::now();
                let response = client
                    .post(app.url("notifyUserNewChatMessage"))
                    .header("apiKey", &app.api_key)
                    .multipart(form)
                    .send()
                    .await
                    .expect("omnibridge answers");
                let status = response.status().as_u16();
                let retry_after = response.headers().get("Retry-After").cloned();
                match status {
                    200 => {
                        let mut heard = heard.borrow_mut();
                        heard.stored.push(text);
                        if !down.get() && heard.unavailable > 0 {
                            heard.after += 1;
                        }
                    }
                    503 => {
                        assert!(retry_after.is_some(), "a 503 without Retry-After");
                        // At once, not after the pool's wait for a connection.
                        assert!(
                            asked.elapsed() < Duration::from_secs(5),
                            "a 503 after {:?}",
                            asked.elapsed()
                        );
                        heard.borrow_mut().unavailable += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    other => panic!("{text}: {other}"),
                }
            }
        }
    };
    // An agent reads tickets meanwhile: reads take pooled connections, writes of messages
    // go through the batch lanes' own.
    let (_, agent_key) = app.agent("Alice", &Permission::ALL);
    let reads_refused = Cell::new(0);
    let reader = async {
        while !done.get() {
            let asked = Instant::now();
            let response = client
                .get(format!("{}/api/v2/ticket", app.address))
                .header("apiKey", &agent_key)
                .send()
                .await
                .expect("omnibridge answers");
            match response.status().as_u16() {
                200 => {}
                503 => {
                    assert!(response.headers().get("Retry-After").is_some());
                    assert!(
                        asked.elapsed() < Duration::from_secs(5),
                        "a read's 503 after {:?}",
                        asked.elapsed()
                    );
                    reads_refused.set(reads_refused.get() + 1);
                }
                other => panic!("a read: {other}"),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let outage = async {
        let deadline = Instant::now() + Duration::from_secs(60);
        let until = |what: &str, done: &dyn Fn(&Heard) -> bool| {
            assert!(Instant::now() < deadline, "{what}: not within 60 s");
            done(&heard.borrow())
        };
        while !until("messages flow", &|h| h.stored.len() >= 40) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        down.set(true);
        proxy.cut();
        while !until("503s while it is down", &|h| h.unavailable >= 20) || reads_refused.get() < 5 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        proxy.restore();
        down.set(false);
        while !until("recovery", &|h| h.after >= 40) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        done.set(true);
    };
    tokio::join!(outage, reader, sender(0), sender(1), sender(2), sender(3));

    // Every 200 was committed.
    let stored = heard.into_inner().stored;
    let quoted: Vec<String> = stored.iter().map(|t| format!("'{t}'")).collect();
    let found = app.count(&format!(
        "SELECT COUNT(*) AS n FROM messages WHERE body IN ({})",
        quoted.join(", ")
    ));
    assert_eq!(found, stored.len() as i64);
}
