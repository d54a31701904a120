-- The full-text index keeps only the index: FTS5's own copy of every indexed text (every
-- message's body a second time, in search_index_content) goes. A row's kind and source are
-- its rowid (id * 4 + 0 message, 1 ticket title, 2 customer); a message's ticket is read
-- from messages. contentless_delete lets the update triggers and purges delete by rowid, and
-- secure-delete still takes a deleted row's words out of the index at once.
-- The index starts empty and the marks start at 0: the writer's catch-up (src/db/search_index.rs)
-- indexes everything again in chunks after start, while the server runs.
DROP TRIGGER messages_search_update;
DROP TRIGGER tickets_search_update;
DROP TRIGGER customers_search_update;
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5(
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search_index(search_index, rank) VALUES ('secure-delete', 1);
-- FTS5 merges a level's segments once it holds 8 (its default is 4): the writer indexes every
-- 100 ms, and merging was a third of that work; a search reads a few more segments.
INSERT INTO search_index(search_index, rank) VALUES ('automerge', 8);
UPDATE search_progress SET message_id = 0, ticket_id = 0, customer_id = 0;

CREATE TRIGGER messages_search_update AFTER UPDATE OF body ON messages
WHEN old.id <= (SELECT message_id FROM search_progress) BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 4;
    INSERT INTO search_index (rowid, body) VALUES (new.id * 4, new.body);
END;
CREATE TRIGGER tickets_search_update AFTER UPDATE OF title ON tickets
WHEN old.id <= (SELECT ticket_id FROM search_progress) BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 4 + 1;
    INSERT INTO search_index (rowid, body) VALUES (new.id * 4 + 1, new.title);
END;
CREATE TRIGGER customers_search_update AFTER UPDATE OF name, email, phone ON customers
WHEN old.id <= (SELECT customer_id FROM search_progress) BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 4 + 2;
    INSERT INTO search_index (rowid, body) VALUES (new.id * 4 + 2,
        coalesce(new.name, '') || ' ' || coalesce(new.email, '') || ' ' || coalesce(new.phone, ''));
END;
