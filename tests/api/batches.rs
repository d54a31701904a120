//! Messages that arrive together are stored together (SQLite's writer; Postgres' message
//! batcher): each answer still names its own message, repeats are still recognised, and a
//! bad message fails alone.

use futures_util::future::join_all;

use omnibridge::domain::permission::Permission;

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

#[tokio::test]
async fn chats_opened_at_once_each_get_one_ticket_one_customer_and_their_own_place_in_the_queue() {
    let app = spawn_app().await;
    let (agent, _) = app.agent("Ann", &[Permission::TicketRead]);
    let chats: Vec<String> = (0..12).map(|c| format!("session-new-{c:04}")).collect();
    // A chat's four messages at once, the chats' all together: first ones open chats side
    // by side, later ones race their own first.
    let app = &app;
    let sends = chats.iter().flat_map(|chat| {
        (0..4).map(move |m| {
            let text = format!("{chat} says {m}");
            async move { (chat, app.send_message(chat, &text).await) }
        })
    });
    let answers = join_all(sends).await;

    let mut tickets = std::collections::HashMap::new();
    let mut created = std::collections::HashMap::new();
    for (chat, a) in &answers {
        assert_eq!(a.status, 200, "{}", a.body);
        let ticket = a.body["ticketID"].as_i64().unwrap();
        assert_eq!(
            *tickets.entry(chat.as_str()).or_insert(ticket),
            ticket,
            "{chat}'s messages are on one ticket"
        );
        if a.body["ticketCreated"] == true {
            *created.entry(chat.as_str()).or_insert(0) += 1;
        }
    }
    for chat in &chats {
        assert_eq!(
            created.get(chat.as_str()),
            Some(&1),
            "{chat} was created once"
        );
        let ticket = tickets[chat.as_str()];
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) AS n FROM messages WHERE ticket_id = {ticket}"
            )),
            4
        );
    }
    let n = chats.len() as i64;
    for table in ["chat_sessions", "tickets", "customers"] {
        assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM {table}")), n);
    }
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT customer_id) AS n FROM tickets"),
        n
    );
    assert_eq!(app.count("SELECT waiting_chats AS n FROM chat_accounts"), n);
    // Places 1 to 12, each once: with nobody online, a chat's first estimate is its place
    // times the account's default wait.
    let wait = app.count("SELECT CAST(default_wait_seconds AS BIGINT) AS n FROM chat_accounts");
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT initial_estimated_wait) AS n FROM chat_sessions"),
        n
    );
    assert_eq!(
        app.count("SELECT CAST(MIN(initial_estimated_wait) AS BIGINT) AS n FROM chat_sessions"),
        wait
    );
    assert_eq!(
        app.count("SELECT CAST(MAX(initial_estimated_wait) AS BIGINT) AS n FROM chat_sessions"),
        n * wait
    );
    // The agent heard of each new chat once.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(DISTINCT ticket_id) AS n FROM notifications \
             WHERE user_id = {agent} AND kind = 'new_chat'"
        )),
        n
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {agent} AND kind = 'new_chat'"
        )),
        n
    );
    // And the queue says the same.
    let queue = app
        .post(
            "requestChatQueue",
            &[("chatAccountToken", app.chat_token.clone())],
            Encoding::Multipart,
        )
        .await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert_eq!(queue.body["queueLength"], n);
    let items = queue.body["items"].as_array().unwrap();
    for (i, item) in items.iter().enumerate() {
        let place = i as i64 + 1;
        assert_eq!(item["position"], place, "{item}");
        assert_eq!(item["initialEstimatedWait"], place * wait, "{item}");
    }
    assert_eq!(items.len() as i64, n);
}
