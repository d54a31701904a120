-- When agents were told a chat had waited too long (once per chat).
ALTER TABLE chat_sessions ADD COLUMN wait_alerted_at BIGINT;
CREATE INDEX chat_sessions_unalerted ON chat_sessions (state, queue_entered_at)
    WHERE wait_alerted_at IS NULL;
