-- The group a ticket is for, and the group a chat account's new chats go to.
ALTER TABLE tickets ADD COLUMN assigned_group_id BIGINT REFERENCES agent_groups(id) ON DELETE SET NULL;
ALTER TABLE chat_accounts ADD COLUMN group_id BIGINT REFERENCES agent_groups(id) ON DELETE SET NULL;
-- Views by group (a ticket's updates never change it, so updated_at stays out of it).
CREATE INDEX tickets_live_group ON tickets (tenant_id, assigned_group_id) WHERE deleted_at IS NULL AND assigned_group_id IS NOT NULL;
