-- Views must answer their first page fast over millions of tickets.
-- 1. A chat ticket's session state lives on the ticket too (kept in step by the code that
--    changes the session, in the same transaction), so a chat_state condition is a column
--    test instead of a subquery over chat_sessions.
-- 2. Each list index carries every column a view condition can test, so counting and
--    filtering read the index alone, never the table rows; the leading columns serve the
--    selective conditions (status, assignee, chat state, channel) and both time sorts.
ALTER TABLE tickets ADD COLUMN chat_state TEXT;
UPDATE tickets SET chat_state = (SELECT state FROM chat_sessions WHERE chat_sessions.ticket_id = tickets.id);
DROP INDEX chat_sessions_tenant_state;
DROP INDEX tickets_live_updated;
DROP INDEX tickets_live_created;
DROP INDEX tickets_live_status;
DROP INDEX tickets_live_priority;
DROP INDEX tickets_live_channel;
DROP INDEX tickets_live_assignee;
CREATE INDEX tickets_live_updated ON tickets
    (tenant_id, updated_at, status, priority, assigned_user_id, chat_state, channel_id)
    WHERE deleted_at IS NULL;
CREATE INDEX tickets_live_created ON tickets
    (tenant_id, created_at, status, priority, assigned_user_id, chat_state, channel_id)
    WHERE deleted_at IS NULL;
CREATE INDEX tickets_live_status ON tickets
    (tenant_id, status, updated_at, priority, assigned_user_id, chat_state, channel_id)
    WHERE deleted_at IS NULL;
CREATE INDEX tickets_live_assignee ON tickets
    (tenant_id, assigned_user_id, updated_at, status, priority, chat_state, channel_id)
    WHERE deleted_at IS NULL;
CREATE INDEX tickets_live_chat_state ON tickets
    (tenant_id, chat_state, updated_at, status, priority, assigned_user_id, channel_id)
    WHERE deleted_at IS NULL;
CREATE INDEX tickets_live_channel ON tickets
    (tenant_id, channel_id, updated_at, status, priority, assigned_user_id, chat_state)
    WHERE deleted_at IS NULL;
