-- A message's retry keys (idempotency_key, retry_key) are NULL for most messages, yet a UNIQUE
-- constraint keeps an index entry for every row, NULL or not: two index inserts a message and
-- about three pages a commit that never find anything. Partial unique indexes hold only the
-- keys that were sent. SQLite cannot drop a constraint, so the table is made anew (see
-- metadata.toml). Run again after a crash before it was recorded, it makes the same table.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
-- Ids never come back (the search index's progress mark relies on it): keep the counter.
CREATE TEMP TABLE kept_message_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'messages';
CREATE TABLE messages_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    session_id BIGINT REFERENCES chat_sessions(id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    message_number INTEGER NOT NULL,
    url TEXT NOT NULL,
    additional_data TEXT NOT NULL,
    used_predefined_user_input BOOLEAN NOT NULL,
    external_address_overwrite TEXT NOT NULL,
    -- How a retry is recognised (NULLs never collide): the Idempotency-Key header, and
    -- "<messageNumber>:<sha256 of the text>" when the chat server sent an explicit number.
    idempotency_key TEXT,
    retry_key TEXT,
    created_at BIGINT NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL
);
INSERT INTO messages_new (id, tenant_id, ticket_id, session_id, author, body, message_number,
    url, additional_data, used_predefined_user_input, external_address_overwrite,
    idempotency_key, retry_key, created_at, user_id)
SELECT id, tenant_id, ticket_id, session_id, author, body, message_number,
    url, additional_data, used_predefined_user_input, external_address_overwrite,
    idempotency_key, retry_key, created_at, user_id
FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
DELETE FROM sqlite_sequence WHERE name = 'messages';
INSERT INTO sqlite_sequence (name, seq) SELECT 'messages', max(
    coalesce((SELECT seq FROM temp.kept_message_seq), 0),
    coalesce((SELECT max(id) FROM messages), 0));
DROP TABLE temp.kept_message_seq;
CREATE INDEX messages_ticket ON messages (ticket_id, id);
CREATE UNIQUE INDEX messages_idempotency_key ON messages (session_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX messages_retry_key ON messages (session_id, retry_key)
    WHERE retry_key IS NOT NULL;
CREATE TRIGGER messages_search_update AFTER UPDATE OF body ON messages
WHEN old.id <= (SELECT message_id FROM search_progress) BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 4;
    INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    VALUES (new.id * 4, new.body, 'm', new.id, new.ticket_id);
END;
COMMIT;
PRAGMA foreign_keys = ON;
