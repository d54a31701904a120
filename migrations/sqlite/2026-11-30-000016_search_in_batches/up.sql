-- The full-text index is filled in batches by SQLite's writer (src/db/search_index.rs), not
-- by a trigger on every insert: tokenizing, and FTS5 flushing its terms at every savepoint,
-- were about half of what a stored message cost. `search_progress` says how far each source
-- is indexed; it is committed with the index rows it covers, so after a crash the writer
-- goes on from what was committed. Rows past it are indexed as they are, so an update of a
-- row not yet indexed leaves the index alone (the batch reads the new text).
DROP TRIGGER messages_search_insert;
DROP TRIGGER tickets_search_insert;
DROP TRIGGER customers_search_insert;
DROP TRIGGER messages_search_update;
DROP TRIGGER tickets_search_update;
DROP TRIGGER customers_search_update;

CREATE TABLE search_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    message_id BIGINT NOT NULL,
    ticket_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL
);
INSERT INTO search_progress (id, message_id, ticket_id, customer_id) VALUES (
    1,
    coalesce((SELECT max(id) FROM messages), 0),
    coalesce((SELECT max(id) FROM tickets), 0),
    coalesce((SELECT max(id) FROM customers), 0)
);

CREATE TRIGGER messages_search_update AFTER UPDATE OF body ON messages
WHEN old.id <= (SELECT message_id FROM search_progress) BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 4;
    INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    VALUES (new.id * 4, new.body, 'm', new.id, new.ticket_id);
END;
CREATE TRIGGER tickets_search_update AFTER UPDATE OF title ON tickets
WHEN old.id <= (SELECT ticket_id FROM search_progress) BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 4 + 1;
    INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    VALUES (new.id * 4 + 1, new.title, 't', new.id, new.id);
END;
CREATE TRIGGER customers_search_update AFTER UPDATE OF name, email, phone ON customers
WHEN old.id <= (SELECT customer_id FROM search_progress) BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 4 + 2;
    INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    VALUES (new.id * 4 + 2,
            coalesce(new.name, '') || ' ' || coalesce(new.email, '') || ' ' || coalesce(new.phone, ''),
            'c', new.id, NULL);
END;
