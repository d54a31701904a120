-- The mail outbox: every mail is a row, written in the transaction that causes it, before
-- anything is sent. A worker in each instance claims due rows under a lease (lease_owner,
-- lease_until: a conditional update, so two instances never hold the same row), sends them
-- through SMTP or into .eml files, and records the outcome.
CREATE TABLE mails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ticket_id BIGINT REFERENCES tickets(id),
    message_id BIGINT REFERENCES messages(id),
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    message_id_header TEXT NOT NULL UNIQUE,
    in_reply_to TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    sent_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX mails_due ON mails (state, next_attempt_at);
CREATE INDEX mails_ticket ON mails (ticket_id);
CREATE INDEX mails_lease ON mails (lease_owner);
