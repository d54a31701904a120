-- Lists only ever show live tickets: index only those (partial indexes), so filtering and
-- counting read the index alone and never the table rows.
DROP INDEX tickets_tenant_updated;
DROP INDEX tickets_tenant_status;
DROP INDEX tickets_tenant_assignee;
DROP INDEX tickets_tenant_channel;
DROP INDEX tickets_tenant_created;
DROP INDEX tickets_tenant_priority;
CREATE INDEX tickets_live_updated ON tickets (tenant_id, updated_at) WHERE deleted_at IS NULL;
CREATE INDEX tickets_live_created ON tickets (tenant_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX tickets_live_status ON tickets (tenant_id, status, updated_at) WHERE deleted_at IS NULL;
CREATE INDEX tickets_live_priority ON tickets (tenant_id, priority, updated_at) WHERE deleted_at IS NULL;
CREATE INDEX tickets_live_channel ON tickets (tenant_id, channel_id, updated_at) WHERE deleted_at IS NULL;
CREATE INDEX tickets_live_assignee ON tickets (tenant_id, assigned_user_id, updated_at) WHERE deleted_at IS NULL;
