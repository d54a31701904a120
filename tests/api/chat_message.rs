use crate::helpers::{spawn_app, Encoding, ENCODINGS};

#[tokio::test]
async fn the_first_message_creates_customer_ticket_and_waiting_session() {
    let app = spawn_app().await;
    let mut form = app.message_form("session-0000001", "My order has not arrived\nIt was #123");
    form.push(("customerName", "Ann Smith".into()));
    form.push(("emailAddress", "Ann@Example.com".into()));
    form.push(("url", "https://shop.example.com/orders".into()));
    let a = app
        .post("notifyUserNewChatMessage", &form, Encoding::Multipart)
        .await;

    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["type"], "result");
    assert_eq!(a.body["message"], "Message sent.");
    assert_eq!(a.body["ticketCreated"], true);
    assert_eq!(a.body["duplicate"], false);
    let ticket = a.body["ticketID"].as_i64().unwrap();
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM tickets WHERE id = {ticket} AND status = 'new' \
             AND channel_id = 8 AND title = 'My order has not arrived' \
             AND source_url = 'https://shop.example.com/orders'"
        )),
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM customers WHERE name = 'Ann Smith' AND email = 'ann@example.com'"
        ),
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM chat_sessions WHERE state = 'waiting'"),
        1
    );
}

#[tokio::test]
async fn later_messages_append_to_the_same_ticket_in_arrival_order() {
    let app = spawn_app().await;
    let first = app.send_message("session-0000002", "hello").await;
    let ticket = first.body["ticketID"].as_i64().unwrap();
    for (i, encoding) in ENCODINGS.into_iter().enumerate() {
        let mut form = app.message_form("session-0000002", &format!("follow-up {i}"));
        form.push(("messageNumber", (i + 2).to_string()));
        form.push(("additionalData", "{\"cart\":3}".into()));
        form.push(("usedPredefinedUserInput", "1".into()));
        let a = app.post("notifyUserNewChatMessage", &form, encoding).await;
        assert_eq!(a.status, 200, "{encoding:?}: {}", a.body);
        assert_eq!(a.body["ticketID"].as_i64(), Some(ticket));
        assert_eq!(a.body["ticketCreated"], false);
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM messages WHERE ticket_id = {ticket} \
             AND used_predefined_user_input = TRUE AND additional_data = '{{\"cart\":3}}'"
        )),
        3
    );
    // Arrival order is id order, and each keeps its messageNumber.
    let in_order = app.count(&format!(
        "SELECT COUNT(*) AS n FROM messages a JOIN messages b ON b.id > a.id \
         WHERE a.ticket_id = {ticket} AND b.ticket_id = {ticket} AND b.message_number < a.message_number"
    ));
    assert_eq!(in_order, 0);
}

#[tokio::test]
async fn empty_optional_fields_get_their_defaults() {
    let app = spawn_app().await;
    let mut form = app.message_form("session-0000003", "hi");
    for f in [
        "url",
        "additionalData",
        "externalAddressOverwrite",
        "channelID",
        "messageNumber",
    ] {
        form.push((f, String::new()));
    }
    let a = app
        .post("notifyUserNewChatMessage", &form, Encoding::Json)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE message_number = 1 AND url = ''"),
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM tickets WHERE channel_id = 8"),
        1
    );
}

#[tokio::test]
async fn a_phone_number_session_keeps_its_channel_and_finds_its_customer_again() {
    let app = spawn_app().await;
    let mut form = app.message_form("+31612345678", "Hoi via WhatsApp");
    form.push(("channelID", "12".into()));
    form.push(("phoneNumber", "+31612345678".into()));
    let a = app
        .post("notifyUserNewChatMessage", &form, Encoding::UrlEncoded)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // A new session of the same phone number is a new ticket of the same customer.
    let mut form = app.message_form("+31612345678-2", "Nog een vraag");
    form.push(("phoneNumber", "+31612345678".into()));
    let b = app
        .post("notifyUserNewChatMessage", &form, Encoding::UrlEncoded)
        .await;
    assert_eq!(b.status, 200, "{}", b.body);
    assert_ne!(a.body["ticketID"], b.body["ticketID"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM tickets WHERE channel_id = 12"),
        1
    );
}

#[tokio::test]
async fn contact_fields_fill_in_the_customer_later() {
    let app = spawn_app().await;
    app.send_message("session-0000004", "anonymous at first")
        .await;
    let mut form = app.message_form("session-0000004", "I am Bob");
    form.push(("customerName", "Bob Jones".into()));
    form.push(("emailAddress", "bob@example.com".into()));
    form.push(("phoneNumber", "+441234567".into()));
    let a = app
        .post("notifyUserNewChatMessage", &form, Encoding::Multipart)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM customers WHERE name = 'Bob Jones' \
             AND email = 'bob@example.com' AND phone = '+441234567'"
        ),
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 1);
}
