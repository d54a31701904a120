-- The agent console: agents sign in with a password and act with the permissions they hold.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN permissions TEXT NOT NULL DEFAULT 'TICKET_READ,TICKET_CREATE,TICKET_UPDATE,SET_STATUS,MESSAGE_CREATE,CUSTOMER_READ,VIEW_READ,USER_READ';
CREATE INDEX users_email ON users (email);

-- A signed-in browser: the SHA-256 of its cookie's token, never the token.
CREATE TABLE console_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX console_sessions_token ON console_sessions (token_hash);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- Failed sign-ins, per account (`account:EMAIL`) and per address (`address:IP`).
CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_scope ON sign_in_failures (scope, failed_at);
CREATE INDEX sign_in_failures_time ON sign_in_failures (failed_at);

-- "Forgot password": a one-time link's token, as its SHA-256; it lasts an hour.
CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX password_resets_token ON password_resets (token_hash);
CREATE INDEX password_resets_user ON password_resets (user_id);
