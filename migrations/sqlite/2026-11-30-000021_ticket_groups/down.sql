DROP INDEX tickets_live_group;
ALTER TABLE chat_accounts DROP COLUMN group_id;
ALTER TABLE tickets DROP COLUMN assigned_group_id;
