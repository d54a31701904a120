//! Mail in through `POST /api/v2/email/inbound`, with raw messages as real mail programs write
//! them (`fixtures/email/`): threading, files, auto-replies, bounces, charsets, limits.

use omnibridge::domain::permission::Permission;
use omnibridge::services::admin;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    answer, header, spawn_app, spawn_app_with, wait_until, Answer, Options, TestApp,
};

/// A fixture's bytes with its placeholders (`{{REPLY_TO}}`, ...) replaced.
pub fn eml(name: &str, replace: &[(&str, &str)]) -> Vec<u8> {
    let path = format!("{}/fixtures/email/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for (from, to) in replace {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i..].starts_with(from.as_bytes()) {
                out.extend_from_slice(to.as_bytes());
                i += from.len();
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        bytes = out;
    }
    bytes
}

pub async fn post_mail(app: &TestApp, key: &str, raw: Vec<u8>) -> Answer {
    let response = app
        .client
        .post(format!("{}/api/v2/email/inbound", app.address))
        .header("apiKey", key)
        .header("Content-Type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .expect("request sent");
    answer(response).await
}

/// A key a mail relay would hold: `API_EMAIL` alone.
pub fn relay_key(app: &TestApp) -> String {
    admin::create_api_key(&app.db, app.tenant_id, &[Permission::ApiEmail])
        .expect("key")
        .key
}

pub async fn ticket(app: &TestApp, key: &str, id: i64) -> Value {
    let t = app
        .agent_call(
            Method::GET,
            &format!("ticket/{id}?getTicketHistory=true"),
            key,
            None,
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.body);
    t.body["item"].clone()
}

pub fn messages(ticket: &Value) -> Vec<Value> {
    ticket["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "message")
        .cloned()
        .collect()
}

/// Replies to the ticket by e-mail and answers the `Message-ID` (without brackets) of the
/// mail that went out, as written to the mail folder.
pub async fn mail_reply(app: &TestApp, key: &str, ticket: i64, text: &str) -> String {
    let a = app
        .agent_call(
            Method::POST,
            "message",
            key,
            Some(json!({"ticketID": ticket, "type": 1, "message": text})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let dir = app.mail_dir.clone();
    let marker = format!("X-Omnibridge-Ticket: {ticket}");
    let find = move || -> Option<String> {
        std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .find(|m| m.contains(&marker) && m.contains(text_marker(text)))
    };
    wait_until("the reply's mail", || find().is_some());
    let mail = find().unwrap();
    header(&mail, "Message-ID")
        .unwrap()
        .trim_matches(|c| c == '<' || c == '>')
        .to_owned()
}

fn text_marker(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or(text)
}

async fn assign_and_solve(app: &TestApp, key: &str, id: i64, agent: i64) {
    let a = app
        .agent_call(
            Method::PUT,
            &format!("ticket/{id}"),
            key,
            Some(json!({"assignedUserID": agent})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .agent_call(
            Method::POST,
            "ticket/setStatus",
            key,
            Some(json!({"ticketID": id, "status": "solved"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn a_customers_mail_opens_an_email_ticket_and_the_same_mail_again_changes_nothing() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let (_, agent) = app.agent("Alice", &Permission::AGENT);

    let a = post_mail(&app, &relay, eml("plain.eml", &[])).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["outcome"], "created", "{}", a.body);
    let id = a.body["item"]["ticketID"].as_i64().unwrap();
    let t = ticket(&app, &agent, id).await;
    assert_eq!(t["channel_id"], 1, "{t}");
    assert_eq!(t["title"], "Question about my order 4711", "{t}");
    let customer = app
        .agent_call(
            Method::GET,
            &format!("customer/{}", t["customer_id"]),
            &agent,
            None,
        )
        .await;
    assert_eq!(
        customer.body["item"]["email"], "maria@example.net",
        "{}",
        customer.body
    );
    assert_eq!(
        customer.body["item"]["name"], "Maria Customer",
        "{}",
        customer.body
    );
    let m = messages(&t);
    assert_eq!(m.len(), 1, "{t}");
    assert_eq!(m[0]["author"], "customer");
    assert!(
        m[0]["message"].as_str().unwrap().contains("Viele Grüße"),
        "{t}"
    );

    // A relay delivering twice (a retry after a lost answer) stores it once.
    let again = post_mail(&app, &relay, eml("plain.eml", &[])).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["item"]["duplicate"], true, "{}", again.body);
    assert_eq!(again.body["item"]["ticketID"], id);
    assert_eq!(messages(&ticket(&app, &agent, id).await).len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 1);

    // Agents hear of the new ticket, once.
    let n = app
        .agent_call(Method::GET, "notification", &agent, None)
        .await;
    let kinds: Vec<&Value> = n.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["kind"])
        .collect();
    assert_eq!(kinds, [&json!("new_email")], "{}", n.body);

    // Only a key with API_EMAIL, only message/rfc822.
    let a = post_mail(&app, &agent, eml("plain.eml", &[])).await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = app
        .client
        .post(format!("{}/api/v2/email/inbound", app.address))
        .header("apiKey", &relay)
        .header("Content-Type", "text/plain")
        .body(eml("plain.eml", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(answer(a).await.status, 415);
}

#[tokio::test]
async fn html_only_mail_gets_a_text_version_and_charsets_are_decoded() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let (_, agent) = app.agent("Alice", &Permission::AGENT);
    let text_of = |t: &Value| messages(t)[0]["message"].as_str().unwrap().to_owned();

    let a = post_mail(&app, &relay, eml("html_only.eml", &[])).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = ticket(&app, &agent, a.body["item"]["ticketID"].as_i64().unwrap()).await;
    let text = text_of(&t);
    assert!(text.contains("I cannot log in to my account"), "{text}");
    assert!(text.contains("Firefox & Windows 11"), "{text}");
    for markup in ["<p", "<b>", "font-family", "MsoNormal", "&amp;"] {
        assert!(!text.contains(markup), "{markup} in {text}");
    }

    let a = post_mail(&app, &relay, eml("latin1.eml", &[])).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = ticket(&app, &agent, a.body["item"]["ticketID"].as_i64().unwrap()).await;
    assert_eq!(t["title"], "Оплата заказа", "{t}");
    assert!(
        text_of(&t).contains("Здравствуйте, не могу оплатить заказ 4711."),
        "{t}"
    );

    let a = post_mail(&app, &relay, eml("iso-8859-1.eml", &[])).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = ticket(&app, &agent, a.body["item"]["ticketID"].as_i64().unwrap()).await;
    assert_eq!(t["title"], "Lieferung nicht angekommen", "{t}");
    assert!(text_of(&t).contains("Viele Grüße"), "{t}");
    // All three from one sender: one customer.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM customers"), 1);
}

#[tokio::test]
async fn a_mails_files_are_stored_sniffed_and_safely_named() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let (_, agent) = app.agent("Alice", &Permission::AGENT);
    let a = post_mail(&app, &relay, eml("attachment.eml", &[])).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let id = a.body["item"]["ticketID"].as_i64().unwrap();
    let message = a.body["item"]["messageID"].as_i64().unwrap();
    let t = ticket(&app, &agent, id).await;
    let files: Vec<&Value> = t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "attachment")
        .collect();
    assert_eq!(files.len(), 1, "{t}");
    let file = files[0];
    assert_eq!(file["file_name"], "invoice scan.png", "{t}");
    assert_eq!(file["content_type"], "image/png", "{t}");
    assert_eq!(file["author"], "customer");
    assert_eq!(file["message_id"], message);
    let bytes = app
        .client
        .get(format!("{}{}", app.address, file["url"].as_str().unwrap()))
        .header("apiKey", &agent)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(bytes.len() as i64, file["size"].as_i64().unwrap());
    // The text is the plain part, not the HTML one.
    let text = messages(&t)[0]["message"].as_str().unwrap().to_owned();
    assert!(text.contains("invoice INV-2026-1130"), "{text}");
    // Nothing is left in the temporary folder.
    let tmp = app.attachments_dir.join("tmp");
    let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0);
}

#[tokio::test]
async fn an_answer_to_an_agents_mail_lands_on_its_ticket_reopens_it_and_tells_its_assignee() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let (alice, agent) = app.agent("Alice", &Permission::ALL);
    let a = post_mail(&app, &relay, eml("plain.eml", &[])).await;
    let id = a.body["item"]["ticketID"].as_i64().unwrap();
    assign_and_solve(&app, &agent, id, alice).await;
    let sent = mail_reply(&app, &agent, id, "Resetting your password now.").await;
    assert!(sent.ends_with("@acme.example"), "{sent}");
    app.agent_call(Method::GET, "notification", &agent, None)
        .await; // read: marks them read

    let tag = id.to_string();
    let raw = eml(
        "reply.eml",
        &[("{{REPLY_TO}}", &sent), ("{{TICKET}}", &tag)],
    );
    let a = post_mail(&app, &relay, raw.clone()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["outcome"], "appended", "{}", a.body);
    assert_eq!(a.body["item"]["ticketID"], id, "{}", a.body);
    let t = ticket(&app, &agent, id).await;
    assert_eq!(t["status"], "open", "{t}");
    let m = messages(&t);
    let answer = m.last().unwrap();
    assert_eq!(answer["author"], "customer");
    let text = answer["message"].as_str().unwrap();
    // The quoted history is kept, and where it starts is said, for the console to fold.
    assert!(text.contains("> we have reset your password"), "{text}");
    let start = answer["quote_start"].as_u64().unwrap() as usize;
    let fresh: String = text.chars().take(start).collect();
    assert!(fresh.starts_with("Thanks, that solved it."), "{fresh:?}");
    assert!(!fresh.contains("wrote:"), "{fresh:?}");

    let n = app
        .agent_call(Method::GET, "notification", &agent, None)
        .await;
    let unread: Vec<&Value> = n.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["is_read"] == false)
        .collect();
    assert_eq!(unread.len(), 1, "{}", n.body);
    assert_eq!(unread[0]["kind"], "customer_reply");
    assert_eq!(unread[0]["ticket_id"], id);

    // The same answer, delivered again: nothing changes.
    let again = post_mail(&app, &relay, raw).await;
    assert_eq!(again.body["item"]["duplicate"], true, "{}", again.body);
    assert_eq!(messages(&ticket(&app, &agent, id).await).len(), m.len());
}

#[tokio::test]
async fn a_subjects_ticket_number_threads_only_that_tickets_customer() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let (_, agent) = app.agent("Alice", &Permission::AGENT);
    let a = post_mail(&app, &relay, eml("plain.eml", &[])).await;
    let id = a.body["item"]["ticketID"].as_i64().unwrap();
    let tag = id.to_string();
    // An answer whose In-Reply-To names no mail omnibridge knows: the subject's [#id] counts.
    let unknown = "lost-1234@elsewhere.example";
    let raw = eml(
        "reply.eml",
        &[("{{REPLY_TO}}", unknown), ("{{TICKET}}", &tag)],
    );
    let a = post_mail(&app, &relay, raw).await;
    assert_eq!(a.body["item"]["outcome"], "appended", "{}", a.body);
    assert_eq!(a.body["item"]["ticketID"], id);

    // The same from someone else: a new ticket, not a way into another customer's.
    let raw = eml(
        "reply.eml",
        &[("{{REPLY_TO}}", unknown), ("{{TICKET}}", &tag)],
    );
    let raw = String::from_utf8(raw)
        .unwrap()
        .replace("maria@example.net", "mallory@example.org")
        .replace("<7f2d9c41", "<other-7f2d9c41");
    let a = post_mail(&app, &relay, raw.into_bytes()).await;
    assert_eq!(a.body["item"]["outcome"], "created", "{}", a.body);
    assert_ne!(a.body["item"]["ticketID"], id);
    let t = ticket(&app, &agent, id).await;
    assert_eq!(messages(&t).len(), 2, "{t}");
}

#[tokio::test]
async fn auto_replies_are_stored_but_reopen_nothing_and_tell_nobody() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let (alice, agent) = app.agent("Alice", &Permission::ALL);
    let a = post_mail(&app, &relay, eml("plain.eml", &[])).await;
    let id = a.body["item"]["ticketID"].as_i64().unwrap();
    assign_and_solve(&app, &agent, id, alice).await;
    let sent = mail_reply(&app, &agent, id, "Here is your answer.").await;
    app.agent_call(Method::GET, "notification", &agent, None)
        .await;
    let mails_before = app.count("SELECT COUNT(*) AS n FROM mails");

    let tag = id.to_string();
    let a = post_mail(
        &app,
        &relay,
        eml(
            "auto_reply.eml",
            &[("{{REPLY_TO}}", &sent), ("{{TICKET}}", &tag)],
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["outcome"], "auto_reply", "{}", a.body);
    assert_eq!(a.body["item"]["ticketID"], id);
    let t = ticket(&app, &agent, id).await;
    assert_eq!(t["status"], "solved", "{t}");
    let last = messages(&t).last().unwrap().clone();
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("out of the office"),
        "{t}"
    );
    assert!(last["additional_data"]
        .as_str()
        .unwrap()
        .contains("\"autoReply\":true"));

    // An auto-reply on nothing omnibridge sent: stored on a ticket of its own, silently.
    let a = post_mail(&app, &relay, eml("auto_reply_xautoreply.eml", &[])).await;
    assert_eq!(a.body["item"]["outcome"], "auto_reply", "{}", a.body);
    assert_ne!(a.body["item"]["ticketID"], id);

    let n = app
        .agent_call(Method::GET, "notification", &agent, None)
        .await;
    assert!(
        n.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["is_read"] == true),
        "{}",
        n.body
    );
    // Never answered: no mail went out because of them.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mails"), mails_before);
}

#[tokio::test]
async fn a_bounce_marks_the_mail_it_reports_failed_and_tells_the_replys_author() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let (_, agent) = app.agent("Alice", &Permission::ALL);
    let a = post_mail(&app, &relay, eml("plain.eml", &[])).await;
    let id = a.body["item"]["ticketID"].as_i64().unwrap();
    let tag = id.to_string();

    for (fixture, text) in [
        ("bounce.eml", "First answer."),
        ("bounce_message_rfc822.eml", "Second answer."),
    ] {
        let sent = mail_reply(&app, &agent, id, text).await;
        let key = sent.split('@').next().unwrap().to_owned();
        let state = |state: &str| {
            app.count(&format!(
                "SELECT COUNT(*) AS n FROM mails WHERE message_id_header = '{key}' AND state = '{state}'"
            ))
        };
        wait_until("the mail is sent", || state("sent") == 1);
        // A report that names the mail but not its recipient (anyone could write one) fails
        // nothing.
        let forged = eml(fixture, &[("{{BOUNCED}}", &sent), ("{{TICKET}}", &tag)]);
        let forged = String::from_utf8(forged)
            .unwrap()
            .replace("Message-Id: <2026", "Message-Id: <forged-2026");
        let a = post_mail(&app, &relay, forged.into_bytes()).await;
        assert_eq!(a.body["item"]["outcome"], "bounce", "{}", a.body);
        assert_eq!(state("sent"), 1, "a forged report failed the mail");
        // The mail server's report on the mail's own recipient does.
        let raw = eml(
            fixture,
            &[
                ("{{BOUNCED}}", &sent),
                ("{{TICKET}}", &tag),
                ("nobody@example.org", "maria@example.net"),
            ],
        );
        let a = post_mail(&app, &relay, raw).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["item"]["outcome"], "bounce", "{fixture}: {}", a.body);
        assert_eq!(a.body["item"]["ticketID"], id);
        let t = ticket(&app, &agent, id).await;
        let reply = messages(&t)
            .into_iter()
            .find(|m| m["message"].as_str().unwrap().starts_with(text))
            .unwrap();
        let delivery = &reply["delivery"];
        assert_eq!(delivery["state"], "failed", "{fixture}: {t}");
        let error = delivery["last_error"].as_str().unwrap();
        assert!(error.contains("5.1.1"), "{error}");
        assert!(error.contains("User unknown"), "{error}");
    }
    let n = app
        .agent_call(Method::GET, "notification", &agent, None)
        .await;
    let failed = n.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "reply_failed")
        .count();
    assert_eq!(failed, 2, "{}", n.body);
    // A bounce is no customer message.
    assert_eq!(messages(&ticket(&app, &agent, id).await).len(), 3);
}

#[tokio::test]
async fn malformed_or_oversized_mail_is_refused_and_our_own_mail_is_dropped() {
    let app = spawn_app_with(Options {
        inbound_max_bytes: 4096,
        ..Options::default()
    })
    .await;
    let relay = relay_key(&app);
    let a = post_mail(&app, &relay, Vec::new()).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.field_codes("message"), ["malformed"], "{}", a.body);
    let a = post_mail(&app, &relay, b"Subject: hi\r\n\r\nno sender\r\n".to_vec()).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.body["message"].as_str().unwrap().contains("From"),
        "{}",
        a.body
    );
    let mut big = eml("plain.eml", &[]);
    big.extend(std::iter::repeat_n(b'x', 5000));
    let a = post_mail(&app, &relay, big).await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 0);

    // One of our own mails, come back (a forwarding loop): dropped, once.
    let own = eml("plain.eml", &[]).into_iter().collect::<Vec<u8>>();
    let own = String::from_utf8(own).unwrap().replace(
        "From: Maria Customer <maria@example.net>",
        "From: Acme Support <SUPPORT@acme.example>",
    );
    let a = post_mail(&app, &relay, own.into_bytes()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["item"]["outcome"], "dropped", "{}", a.body);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 0);
}

/// The mails written to the mail folder (no SMTP server is set) to this address.
fn mails_to(app: &TestApp, address: &str) -> Vec<String> {
    std::fs::read_dir(&app.mail_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .filter(|m| header(m, "To").is_some_and(|to| to.contains(address)))
        .collect()
}

#[tokio::test]
async fn a_missed_chat_is_followed_up_by_email_and_the_answers_come_back_to_it() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let (_, agent) = app.agent("Alice", &Permission::ALL);
    app.transcripts_on(&agent).await;

    // A customer who left an address, and nobody answered before the chat ended.
    let mut form = app.message_form("session-missed-1", "Anybody there? My parcel is late.");
    form.push(("emailAddress", "dora@customer.example".into()));
    let a = app
        .post(
            "notifyUserNewChatMessage",
            &form,
            crate::helpers::Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let chat = a.body["ticketID"].as_i64().unwrap();
    let a = app
        .post(
            "notifyUserEndChat",
            &app.session_form("session-missed-1"),
            crate::helpers::Encoding::Multipart,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    // The transcript says the team answers by e-mail, with the account's offline message.
    wait_until("the transcript", || {
        mails_to(&app, "dora@customer.example").len() == 1
    });
    let transcript = mails_to(&app, "dora@customer.example").remove(0);
    assert!(
        transcript.contains("We are offline right now"),
        "{transcript}"
    );
    assert!(transcript.contains("we will answer you"), "{transcript}");
    // Nothing the visitor typed: anyone can type anyone's address into a chat.
    assert!(!transcript.contains("parcel"), "{transcript}");
    let transcript_id = header(&transcript, "Message-ID").unwrap();

    // The agent follows up by e-mail on the chat's own ticket.
    let sent = mail_reply(
        &app,
        &agent,
        chat,
        "Sorry we missed you: your parcel left today.",
    )
    .await;
    let t = ticket(&app, &agent, chat).await;
    let reply = messages(&t).into_iter().last().unwrap();
    assert_eq!(reply["delivery"]["channel"], "email", "{t}");
    assert_eq!(reply["delivery"]["to"], "dora@customer.example", "{t}");

    // The customer answers the follow-up, and then the transcript: both land on the chat.
    for (i, answers) in [format!("<{sent}>"), transcript_id].iter().enumerate() {
        let raw = format!(
            "From: Dora <dora@customer.example>\r\nTo: support@acme.example\r\n\
             Subject: Re: something\r\nMessage-ID: <dora-{i}@customer.example>\r\n\
             In-Reply-To: {answers}\r\nReferences: {answers}\r\n\r\nThank you! ({i})\r\n"
        );
        let a = post_mail(&app, &relay, raw.into_bytes()).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["item"]["outcome"], "appended", "{}", a.body);
        assert_eq!(a.body["item"]["ticketID"], chat, "{}", a.body);
    }
    let t = ticket(&app, &agent, chat).await;
    let texts: Vec<String> = messages(&t)
        .iter()
        .map(|m| m["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts.last().unwrap(), "Thank you! (1)", "{texts:?}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 1);
}

#[tokio::test]
async fn a_second_missed_chat_of_an_address_the_same_day_gets_no_second_notice() {
    let app = spawn_app().await;
    let (_, agent) = app.agent("Alice", &Permission::ALL);
    app.transcripts_on(&agent).await;
    for session in ["session-missed-a", "session-missed-b"] {
        let mut form = app.message_form(session, "Hello? Anybody?");
        form.push(("emailAddress", "erin@customer.example".into()));
        let a = app
            .post(
                "notifyUserNewChatMessage",
                &form,
                crate::helpers::Encoding::Multipart,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let end = app.session_form(session);
        let a = app
            .post(
                "notifyUserEndChat",
                &end,
                crate::helpers::Encoding::Multipart,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM mails WHERE kind = 'offline_notice'"),
        1
    );
}

#[tokio::test]
async fn an_answer_to_another_tenants_mail_goes_only_to_that_tenant() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let other = admin::create_tenant(&app.db, "Other").unwrap();
    let user = admin::create_user(&app.db, other, "Olga", "olga@other.example").unwrap();
    let their_key = admin::create_agent_api_key(&app.db, other, Some(user), &Permission::ALL)
        .unwrap()
        .key;
    let a = post_mail(&app, &their_key, eml("plain.eml", &[])).await;
    let theirs = a.body["item"]["ticketID"].as_i64().unwrap();
    let sent = mail_reply(&app, &their_key, theirs, "Their answer.").await;
    let tag = theirs.to_string();
    let answer = eml(
        "reply.eml",
        &[("{{REPLY_TO}}", &sent), ("{{TICKET}}", &tag)],
    );
    // Handed to this tenant: refused, not filed here.
    let a = post_mail(&app, &relay, answer.clone()).await;
    assert_eq!(a.status, 403, "{}", a.body);
    let here = format!(
        "SELECT COUNT(*) AS n FROM tickets WHERE tenant_id = {}",
        app.tenant_id
    );
    assert_eq!(app.count(&here), 0);
    let a = post_mail(&app, &their_key, answer).await;
    assert_eq!(a.body["item"]["outcome"], "appended", "{}", a.body);
    assert_eq!(a.body["item"]["ticketID"], theirs);
}

#[tokio::test]
async fn after_a_purge_the_customers_next_mail_starts_afresh() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let (_, agent) = app.agent("Alice", &Permission::ALL);
    let a = post_mail(&app, &relay, eml("plain.eml", &[])).await;
    let id = a.body["item"]["ticketID"].as_i64().unwrap();
    let sent = mail_reply(&app, &agent, id, "An answer before the purge.").await;
    let customer = app.count(&format!(
        "SELECT customer_id AS n FROM tickets WHERE id = {id}"
    ));
    let p = app
        .agent_call(
            Method::DELETE,
            &format!("customer/{customer}/purgeData"),
            &agent,
            None,
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let tag = id.to_string();
    let answer = eml(
        "reply.eml",
        &[("{{REPLY_TO}}", &sent), ("{{TICKET}}", &tag)],
    );
    let a = post_mail(&app, &relay, answer).await;
    assert_eq!(a.body["item"]["outcome"], "created", "{}", a.body);
    assert_ne!(a.body["item"]["ticketID"], id);
    assert_eq!(messages(&ticket(&app, &agent, id).await).len(), 2);
}

#[tokio::test]
async fn a_nul_in_a_mail_is_dropped_not_a_failure() {
    let app = spawn_app().await;
    let relay = relay_key(&app);
    let raw = "From: =?utf-8?Q?Ma=00ria?= <maria@example.net>\r\nSubject: =?utf-8?Q?a=00b?=\r\n\
               Message-ID: <nul-1@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\
               Content-Transfer-Encoding: quoted-printable\r\n\r\nhello=00 there\r\n";
    let a = post_mail(&app, &relay, raw.as_bytes().to_vec()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let stored = "SELECT COUNT(*) AS n FROM messages WHERE body = 'hello there'";
    assert_eq!(app.count(stored), 1);
}
