-- Agents' replies: who wrote a message, and the outbox of calls back to chat servers.
ALTER TABLE messages ADD COLUMN user_id BIGINT REFERENCES users(id) ON DELETE SET NULL;

-- One row per call to a chat server, written in the same transaction as what it delivers,
-- so nothing is lost across restarts. A worker claims due rows with a lease (lease_owner,
-- lease_until), so several instances on one database never send the same row at once.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    message_id BIGINT REFERENCES messages(id),
    chat_account_id BIGINT NOT NULL REFERENCES chat_accounts(id),
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_status INTEGER,
    last_error TEXT,
    delivered_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_message ON deliveries (message_id);
CREATE INDEX deliveries_lease ON deliveries (lease_owner);
