-- Saved ticket filters agents open as work lists. `conditions` is the validated JSON list of
-- {field, operator, value}; all must hold.
CREATE TABLE views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    conditions TEXT NOT NULL,
    sort_field TEXT NOT NULL,
    sort_direction TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX views_tenant ON views (tenant_id, id);

-- View conditions on chat state and tags, and sorting by creation.
CREATE INDEX chat_sessions_tenant_state ON chat_sessions (tenant_id, state, ticket_id);
CREATE INDEX tickets_tenant_created ON tickets (tenant_id, created_at);
CREATE INDEX tickets_tenant_priority ON tickets (tenant_id, priority, updated_at);
