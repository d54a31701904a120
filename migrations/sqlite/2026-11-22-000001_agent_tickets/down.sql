DROP INDEX users_tenant_email;
DROP INDEX tickets_tenant_channel;
DROP INDEX tickets_tenant_assignee;
DROP INDEX tickets_tenant_status;
DROP TABLE ticket_events;
DROP TABLE ticket_tags;
ALTER TABLE tickets DROP COLUMN last_update_agent;
