DROP INDEX tickets_tenant_priority;
DROP INDEX tickets_tenant_created;
DROP INDEX chat_sessions_tenant_state;
DROP TABLE views;
