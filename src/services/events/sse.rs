//! The SSE framing of the event bus: what `GET /api/v2/notification/stream` sends.

use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::json;
use tokio::sync::broadcast;

use super::{Event, Resume, Subscription, STREAM_RESYNC};

/// The tenant's events as SSE frames (each with its `id`), with heartbeats, and `lagged`
/// when the channel lost events. After the opening line come the events a reconnecting
/// client missed, or `resync` when they are no longer kept. At each heartbeat `allowed` is
/// asked whether the stream may go on; when it may not, the stream says
/// `event: unauthorized` and ends.
pub fn sse<F, Fut>(
    subscription: Subscription,
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
    let mut opening = vec![Bytes::from_static(b": connected\nretry: 3000\n\n")];
    // What was replayed, so that the live channel's copies are not sent again.
    let mut replayed = std::collections::HashSet::new();
    match subscription.resume {
        Resume::Live => {}
        Resume::Replay(missed) => {
            replayed.extend(missed.iter().filter_map(|e| e.id));
            opening.extend(missed.iter().map(|e| event_frame(e)));
        }
        Resume::Resync => opening.push(frame(
            STREAM_RESYNC,
            &json!({"reason": "the events after Last-Event-ID are no longer kept"}),
            None,
        )),
    }
    let rx = subscription.rx;
    let replayed = Rc::new(replayed);
    let allowed = Rc::new(allowed);
    stream::iter(opening.into_iter().map(Ok)).chain(stream::unfold(
        (rx, ticker, false),
        move |(mut rx, mut ticker, ended)| {
            let (allowed, replayed) = (allowed.clone(), replayed.clone());
            async move {
                if ended {
                    return None;
                }
                loop {
                    let frame = tokio::select! {
                        received = rx.recv() => match received {
                            Ok(event) if event.id.is_some_and(|id| replayed.contains(&id)) => {
                                continue
                            }
                            Ok(event) if event.tenant_id == tenant_id => event_frame(&event),
                            Ok(_) => continue,
                            Err(broadcast::error::RecvError::Lagged(missed)) => {
                                frame("lagged", &json!({"missed": missed}), None)
                            }
                            Err(broadcast::error::RecvError::Closed) => return None,
                        },
                        _ = ticker.tick() => {
                            if !allowed().await {
                                let bye = frame(
                                    "unauthorized",
                                    &json!({"message": "the API key is no longer valid"}),
                                    None,
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

fn event_frame(event: &Event) -> Bytes {
    frame(&event.kind, &event.data, event.id)
}

fn frame(kind: &str, data: &serde_json::Value, id: Option<i64>) -> Bytes {
    // serde_json writes no raw newline, so the data is one line. The id comes last: a field's
    // place in the block does not matter to a client.
    match id {
        Some(id) => Bytes::from(format!("event: {kind}\ndata: {data}\nid: {id}\n\n")),
        None => Bytes::from(format!("event: {kind}\ndata: {data}\n\n")),
    }
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
            events.subscribe(1, None),
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
        let typing = next_text(&mut s).await;
        assert!(
            typing.starts_with("event: typing\ndata: {\"ticketID\":1}\nid: "),
            "{typing}"
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
