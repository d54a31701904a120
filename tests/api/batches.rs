//! Messages that arrive together are stored together (SQLite's writer; Postgres' message
//! batcher): each answer still names its own message, repeats are still recognised, and a
//! bad message fails alone.

use futures_util::future::join_all;

use crate::helpers::{spawn_app, Encoding};

#[tokio::test]
async fn messages_sent_at_once_are_each_stored_once_and_answered_with_their_own_ids() {
    let app = spawn_app().await;
    let chats: Vec<String> = (0..8).map(|c| format!("session-batch-{c:04}")).collect();
    for chat in &chats {
        let a = app.send_message(chat, "opening").await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let ticket_of = |chat: &str| {
        app.count(&format!(
            "SELECT ticket_id AS n FROM chat_sessions WHERE chat_session_id = '{chat}'"
        ))
    };

    // Ten messages to each chat at once: plain ones, one with a messageNumber, one with an
    // Idempotency-Key sent twice, one with contact details; and one to an unknown account.
    let mut requests = Vec::new();
    for (c, chat) in chats.iter().enumerate() {
        for m in 0..10 {
            let text = format!("chat {c} message {m}");
            let mut form = app.message_form(chat, &text);
            let mut key = None;
            match m {
                3 => form.push(("messageNumber", "3".into())),
                4 | 5 => key = Some(format!("key-{c}")),
                6 => form.push(("customerName", format!("Customer {c}"))),
                _ => {}
            }
            let text = if m == 5 {
                format!("chat {c} message 4")
            } else {
                text
            };
            if m == 5 {
                form.retain(|(k, _)| *k != "message");
                form.push(("message", text.clone()));
            }
            requests.push((chat.clone(), text, key, form));
        }
    }
    let mut unknown = app.message_form(&chats[0], "to nobody");
    unknown.retain(|(k, _)| *k != "chatAccountToken");
    unknown.push(("chatAccountToken", "nosuchaccounttoken0".into()));

    let sends =
        requests.iter().map(|(_, _, key, form)| {
            let mut request = app
                .client
                .post(app.url("notifyUserNewChatMessage"))
                .header("apiKey", &app.api_key);
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
            let mut multipart = reqwest::multipart::Form::new();
            for (k, v) in form {
                multipart = multipart.text(k.to_string(), v.clone());
            }
            async move {
                crate::helpers::answer(request.multipart(multipart).send().await.unwrap()).await
            }
        });
    let (answers, stranger) = tokio::join!(
        join_all(sends),
        app.post("notifyUserNewChatMessage", &unknown, Encoding::Multipart)
    );
    assert_eq!(stranger.status, 404, "{}", stranger.body);

    let mut repeats = 0;
    for ((chat, text, key, _), a) in requests.iter().zip(&answers) {
        assert_eq!(a.status, 200, "{}", a.body);
        let id = a.body["messageID"].as_i64().unwrap();
        assert_eq!(a.body["ticketID"].as_i64().unwrap(), ticket_of(chat));
        assert_eq!(a.body["ticketCreated"], false);
        // The answer names the message that holds this text, on this chat's ticket.
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) AS n FROM messages WHERE id = {id} AND body = '{text}' \
                 AND ticket_id = {}",
                ticket_of(chat)
            )),
            1,
            "message {id} is not {text:?}"
        );
        if key.is_some() && a.body["duplicate"] == true {
            repeats += 1;
        }
    }
    // Of each pair sent with the same key, one is stored and one is its repeat.
    assert_eq!(repeats, chats.len());
    for chat in &chats {
        let key_ids: Vec<i64> = requests
            .iter()
            .zip(&answers)
            .filter(|((c, _, key, _), _)| c == chat && key.is_some())
            .map(|(_, a)| a.body["messageID"].as_i64().unwrap())
            .collect();
        assert_eq!(key_ids.len(), 2);
        assert_eq!(
            key_ids[0], key_ids[1],
            "a repeat answers the first one's id"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages"),
        (chats.len() * (1 + 9)) as i64
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM customers WHERE name LIKE 'Customer %'"),
        chats.len() as i64
    );
    // Every ticket was touched by its last message.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM tickets t WHERE t.updated_at < \
             (SELECT MAX(created_at) FROM messages m WHERE m.ticket_id = t.id) \
             OR t.last_update_customer < \
             (SELECT MAX(created_at) FROM messages m WHERE m.ticket_id = t.id)"
        ),
        0
    );
}
