-- JivoChat webhooks: each chat account's secret part of its webhook URL
-- (`/api/v2/jivochat/{id}-{webhook_token}`), shown to admins and rotatable.
ALTER TABLE chat_accounts ADD COLUMN webhook_token TEXT NOT NULL DEFAULT '';
UPDATE chat_accounts SET webhook_token = lower(hex(randomblob(24)));

-- What other systems call a customer: JivoChat's visitor `number`, say.
CREATE TABLE customer_external_ids (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, source, external_id)
);
CREATE INDEX customer_external_ids_customer ON customer_external_ids (customer_id);

-- Every mail received (through the inbound endpoint or IMAP), by its Message-ID: a mail
-- delivered twice is stored once, and a customer's later mail naming this one in
-- References finds its ticket. `kind`: message, auto_reply, bounce, own.
CREATE TABLE inbound_mails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    message_id_header TEXT NOT NULL,
    kind TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets(id),
    message_id BIGINT REFERENCES messages(id),
    received_at BIGINT NOT NULL,
    UNIQUE (tenant_id, message_id_header)
);
CREATE INDEX inbound_mails_ticket ON inbound_mails (ticket_id);

-- "Has this address had that notice lately?": asked before a missed chat's notice is mailed.
CREATE INDEX mails_recipient ON mails (tenant_id, to_address, created_at);
