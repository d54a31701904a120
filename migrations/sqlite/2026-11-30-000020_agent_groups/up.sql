-- Agent groups (Sales, Support, ...) of a tenant, and who is in each.
CREATE TABLE agent_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX agent_groups_tenant_name ON agent_groups (tenant_id, name);
CREATE TABLE agent_group_members (
    group_id BIGINT NOT NULL REFERENCES agent_groups(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX agent_group_members_user ON agent_group_members (user_id);
