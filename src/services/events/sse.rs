//! The SSE framing of the event bus: what `GET /api/v2/notification/stream` sends.

use std::convert::Infallible;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::json;
use tokio::sync::broadcast;

use super::Event;

/// The tenant's events from `rx` as SSE frames, with heartbeats, and `lagged` when `rx`
/// lost events. At each heartbeat `allowed` is asked whether the stream may go on; when it
/// may not, the stream says `event: unauthorized` and ends.
pub fn sse<F, Fut>(
    rx: broadcast::Receiver<Arc<Event>>,
    tenant_id: i64,
    heartbeat: Duration,
    allowed: F,
) -> impl Stream<Item = Result<Bytes, Infallible>>
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = bool>,
{
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let opening = Bytes::from_static(b": connected\nretry: 3000\n\n");
    let allowed = Rc::new(allowed);
    stream::once(async move { Ok(opening) }).chain(stream::unfold(
        (rx, ticker, false),
        move |(mut rx, mut ticker, ended)| {
            let allowed = allowed.clone();
            async move {
                if ended {
                    return None;
                }
                loop {
                    let frame = tokio::select! {
                        received = rx.recv() => match received {
                            Ok(event) if event.tenant_id == tenant_id => {
                                frame(&event.kind, &event.data)
                            }
                            Ok(_) => continue,
                            Err(broadcast::error::RecvError::Lagged(missed)) => {
                                frame("lagged", &json!({"missed": missed}))
                            }
                            Err(broadcast::error::RecvError::Closed) => return None,
                        },
                        _ = ticker.tick() => {
                            if !allowed().await {
                                let bye = frame(
                                    "unauthorized",
                                    &json!({"message": "the API key is no longer valid"}),
                                );
                                return Some((Ok(bye), (rx, ticker, true)));
                            }
                            Bytes::from_static(b": heartbeat\n\n")
                        }
                    };
                    return Some((Ok(frame), (rx, ticker, false)));
                }
            }
        },
    ))
}

fn frame(kind: &str, data: &serde_json::Value) -> Bytes {
    // serde_json writes no raw newline, so the data is one line.
    Bytes::from(format!("event: {kind}\ndata: {data}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::events::Events;

    async fn next_text<S: Stream<Item = Result<Bytes, Infallible>> + Unpin>(s: &mut S) -> String {
        let bytes = s.next().await.expect("a frame").unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn streams_carry_their_tenants_events_heartbeats_and_lagged() {
        let events = Events::local(4);
        let allowed = Rc::new(std::cell::Cell::new(true));
        let check = allowed.clone();
        let mut s = Box::pin(sse(
            events.subscribe(1),
            1,
            Duration::from_millis(50),
            move || {
                let ok = check.get();
                async move { ok }
            },
        ));
        assert!(next_text(&mut s).await.starts_with(": connected"));
        events.publish(Event::new(2, "message", json!({"ticketID": 9})));
        events.publish(Event::new(1, "typing", json!({"ticketID": 1})));
        assert_eq!(
            next_text(&mut s).await,
            "event: typing\ndata: {\"ticketID\":1}\n\n"
        );
        // Nothing happens: a heartbeat.
        assert_eq!(next_text(&mut s).await, ": heartbeat\n\n");
        // A reader that fell behind loses the oldest and is told.
        for i in 0..10 {
            events.publish(Event::new(1, "visited", json!({"n": i})));
        }
        assert_eq!(
            next_text(&mut s).await,
            "event: lagged\ndata: {\"missed\":6}\n\n"
        );
        assert!(next_text(&mut s).await.contains("\"n\":6"));
        // A key that is no longer good ends the stream at the next heartbeat.
        allowed.set(false);
        while !next_text(&mut s).await.starts_with("event: unauthorized") {}
        assert!(s.next().await.is_none());
    }
}
