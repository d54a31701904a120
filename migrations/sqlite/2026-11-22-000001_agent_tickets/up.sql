-- The agent side of tickets: who touched a ticket last, its tags, and its change history.
ALTER TABLE tickets ADD COLUMN last_update_agent BIGINT;

CREATE TABLE ticket_tags (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tenant_tag ON ticket_tags (tenant_id, tag);

-- Status, priority, assignment, title and tag changes, and deletion: the ticket's own events
-- on its timeline (chat events stay in chat_events).
CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- Every list filter has an index that also serves its newest-first order.
CREATE INDEX tickets_tenant_status ON tickets (tenant_id, status, updated_at);
CREATE INDEX tickets_tenant_assignee ON tickets (tenant_id, assigned_user_id, updated_at);
CREATE INDEX tickets_tenant_channel ON tickets (tenant_id, channel_id, updated_at);
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, email);
