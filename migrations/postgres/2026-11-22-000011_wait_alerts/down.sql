DROP INDEX chat_sessions_unalerted;
ALTER TABLE chat_sessions DROP COLUMN wait_alerted_at;
