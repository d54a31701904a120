-- Times are Unix epoch milliseconds (BIGINT) on both dialects: portable, index-friendly,
-- and cheap to compare for queue waits and relative view filters.
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    is_online BOOLEAN NOT NULL DEFAULT 0,
    email_notifications BOOLEAN NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_tenant_online ON users (tenant_id, is_online);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    prefix TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    permissions TEXT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE chat_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL,
    language TEXT NOT NULL,
    greeting TEXT NOT NULL,
    offline_message TEXT NOT NULL,
    required_fields TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    service_hours TEXT NOT NULL,
    attachment_max_bytes BIGINT NOT NULL,
    attachment_types TEXT NOT NULL,
    queue_enabled BOOLEAN NOT NULL,
    queue_max_length INTEGER NOT NULL,
    default_wait_seconds INTEGER NOT NULL,
    transcripts BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX chat_accounts_tenant ON chat_accounts (tenant_id);

CREATE TABLE allowed_domains (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, domain)
);

CREATE TABLE blocked_ips (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    cidr TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, cidr)
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT,
    email TEXT,
    phone TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- NULLs never collide, so customers without an e-mail or phone coexist.
CREATE UNIQUE INDEX customers_tenant_email ON customers (tenant_id, email);
CREATE UNIQUE INDEX customers_tenant_phone ON customers (tenant_id, phone);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    channel_id INTEGER NOT NULL,
    direction TEXT NOT NULL,
    assigned_user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    source_url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_update_customer BIGINT,
    closed_at BIGINT,
    deleted_at BIGINT
);
CREATE INDEX tickets_tenant_updated ON tickets (tenant_id, updated_at);
CREATE INDEX tickets_customer ON tickets (customer_id);

CREATE TABLE chat_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    chat_account_id BIGINT NOT NULL REFERENCES chat_accounts(id),
    ticket_id BIGINT NOT NULL UNIQUE REFERENCES tickets(id),
    chat_server TEXT NOT NULL,
    chat_session_id TEXT NOT NULL,
    state TEXT NOT NULL,
    queue_entered_at BIGINT NOT NULL,
    initial_estimated_wait INTEGER NOT NULL,
    picked_up_at BIGINT,
    ended_at BIGINT,
    typing BOOLEAN NOT NULL,
    last_event TEXT,
    last_event_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, chat_server, chat_session_id)
);
CREATE INDEX chat_sessions_queue ON chat_sessions (chat_account_id, state, queue_entered_at);
CREATE INDEX chat_sessions_pickups ON chat_sessions (chat_account_id, picked_up_at);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    session_id BIGINT REFERENCES chat_sessions(id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    message_number INTEGER NOT NULL,
    url TEXT NOT NULL,
    additional_data TEXT NOT NULL,
    used_predefined_user_input BOOLEAN NOT NULL,
    external_address_overwrite TEXT NOT NULL,
    -- How a retry is recognised (NULLs never collide): the Idempotency-Key header, and
    -- "<messageNumber>:<sha256 of the text>" when the chat server sent an explicit number.
    idempotency_key TEXT,
    retry_key TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (session_id, idempotency_key),
    UNIQUE (session_id, retry_key)
);
CREATE INDEX messages_ticket ON messages (ticket_id, id);

CREATE TABLE chat_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    session_id BIGINT NOT NULL REFERENCES chat_sessions(id),
    kind TEXT NOT NULL,
    url TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX chat_events_session ON chat_events (session_id, id);
CREATE INDEX chat_events_ticket ON chat_events (ticket_id, id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    session_id BIGINT REFERENCES chat_sessions(id),
    message_number INTEGER,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (ticket_id, id);
