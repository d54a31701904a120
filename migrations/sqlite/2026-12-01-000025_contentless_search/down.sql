-- Back to an index that keeps its own copy of the texts, with each row's kind and source as
-- columns; emptied, and filled again by the writer's catch-up from the marks at 0.
DROP TRIGGER messages_search_update;
DROP TRIGGER tickets_search_update;
DROP TRIGGER customers_search_update;
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5(
    body,
    kind UNINDEXED,
    ref_id UNINDEXED,
    ticket_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search_index(search_index, rank) VALUES ('secure-delete', 1);
UPDATE search_progress SET message_id = 0, ticket_id = 0, customer_id = 0;

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
