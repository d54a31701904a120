//! Mail in from a real IMAP mailbox (Dovecot, started by the test): the poller stores each
//! new message through the same path as the inbound endpoint, and marks it only once stored.

use omnibridge::domain::permission::Permission;

use crate::helpers::{spawn_app_with, wait_until, Options, TestApp};
use crate::imap_server::ImapServer;
use crate::inbound_mail::{eml, mail_reply, messages, ticket};

/// Waits (up to 30 s) until the mailbox's flags satisfy `done`.
async fn flags_until(imap: &ImapServer, what: &str, done: impl Fn(&[(u32, String)]) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let flags = imap.flags().await;
        if done(&flags) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}; flags: {flags:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn customer_messages(app: &TestApp, ticket: i64) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) AS n FROM messages WHERE ticket_id = {ticket} AND author = 'customer'"
    ))
}

#[tokio::test]
async fn a_customers_answer_in_the_mailbox_lands_on_its_ticket_and_is_marked_once_stored() {
    let Some(imap) = ImapServer::start().await else {
        return;
    };
    let app = spawn_app_with(Options {
        imap_url: imap.url(),
        ..Options::default()
    })
    .await;
    let (_, agent) = app.agent("Alice", &Permission::ALL);

    // A first mail: a new ticket; the message is \Seen once it is stored.
    imap.append(&eml("plain.eml", &[])).await;
    wait_until("the mail's ticket", || {
        app.count("SELECT COUNT(*) AS n FROM tickets") == 1
    });
    let id = app.count("SELECT id AS n FROM tickets");
    flags_until(&imap, "the first mail seen", |f| {
        f.len() == 1 && f[0].1.contains("\\Seen")
    })
    .await;

    // The agent answers by e-mail; the customer's answer to it comes in through the mailbox.
    let sent = mail_reply(&app, &agent, id, "We are looking into it.").await;
    let tag = id.to_string();
    imap.append(&eml(
        "reply.eml",
        &[("{{REPLY_TO}}", &sent), ("{{TICKET}}", &tag)],
    ))
    .await;
    wait_until("the answer on its ticket", || {
        customer_messages(&app, id) == 2
    });
    let t = ticket(&app, &agent, id).await;
    let last = messages(&t).pop().unwrap();
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .starts_with("Thanks, that solved it."),
        "{t}"
    );

    // A message that cannot be taken stays in the mailbox, flagged, unseen; the rest go on.
    imap.append(b"Subject: no sender\r\n\r\nWho am I?\r\n")
        .await;
    // The same first mail again (a second copy): read, and stored once only.
    imap.append(&eml("plain.eml", &[])).await;
    flags_until(&imap, "the bad one flagged, the copy seen", |f| {
        f.len() == 4
            && f[2].1.contains("$OmnibridgeRejected")
            && !f[2].1.contains("\\Seen")
            && f[3].1.contains("\\Seen")
    })
    .await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tickets"), 1);
    assert_eq!(customer_messages(&app, id), 2);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM inbound_mails"),
        2,
        "the copy is recorded once"
    );
}

#[tokio::test]
async fn with_a_done_folder_stored_mail_is_moved_out_of_the_inbox() {
    let Some(imap) = ImapServer::start().await else {
        return;
    };
    let app = spawn_app_with(Options {
        imap_url: imap.url(),
        imap_done_folder: "Processed".into(),
        ..Options::default()
    })
    .await;
    imap.append(&eml("html_only.eml", &[])).await;
    imap.append(b"no header at all").await;
    wait_until("the mail's ticket", || {
        app.count("SELECT COUNT(*) AS n FROM tickets") == 1
    });
    // The stored one has left the inbox; the one that could not be taken stays, flagged.
    flags_until(&imap, "only the rejected one left", |f| {
        f.len() == 1 && f[0].1.contains("$OmnibridgeRejected")
    })
    .await;
}

#[tokio::test]
async fn an_answer_in_the_mailbox_to_another_tenants_mail_goes_to_that_tenant() {
    let Some(imap) = ImapServer::start().await else {
        return;
    };
    let app = spawn_app_with(Options {
        imap_url: imap.url(),
        ..Options::default()
    })
    .await;
    let other = omnibridge::services::admin::create_tenant(&app.db, "Other").unwrap();
    let their_key = omnibridge::services::admin::create_api_key(&app.db, other, &Permission::ALL)
        .unwrap()
        .key;
    let a = crate::inbound_mail::post_mail(&app, &their_key, eml("plain.eml", &[])).await;
    let theirs = a.body["item"]["ticketID"].as_i64().unwrap();
    let sent = mail_reply(&app, &their_key, theirs, "Their answer.").await;
    let tag = theirs.to_string();
    imap.append(&eml(
        "reply.eml",
        &[("{{REPLY_TO}}", &sent), ("{{TICKET}}", &tag)],
    ))
    .await;
    wait_until("the answer on the other tenant's ticket", || {
        customer_messages(&app, theirs) == 2
    });
    let here = format!(
        "SELECT COUNT(*) AS n FROM tickets WHERE tenant_id = {}",
        app.tenant_id
    );
    assert_eq!(app.count(&here), 0);
}
