ALTER TABLE messages ADD CONSTRAINT messages_session_id_idempotency_key_key
    UNIQUE (session_id, idempotency_key);
ALTER TABLE messages ADD CONSTRAINT messages_session_id_retry_key_key
    UNIQUE (session_id, retry_key);
DROP INDEX messages_idempotency_key;
DROP INDEX messages_retry_key;
