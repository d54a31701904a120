-- A message's retry keys (idempotency_key, retry_key) are NULL for most messages, yet a UNIQUE
-- constraint keeps an index entry for every row, NULL or not. Partial unique indexes hold
-- only the keys that were sent (ON CONFLICT DO NOTHING still stops a repeat).
CREATE UNIQUE INDEX messages_idempotency_key ON messages (session_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX messages_retry_key ON messages (session_id, retry_key)
    WHERE retry_key IS NOT NULL;
ALTER TABLE messages DROP CONSTRAINT messages_session_id_idempotency_key_key;
ALTER TABLE messages DROP CONSTRAINT messages_session_id_retry_key_key;
