DROP TRIGGER messages_search_update;
DROP TRIGGER tickets_search_update;
DROP TRIGGER customers_search_update;
-- What the writer had not indexed yet is indexed now, as the triggers would have.
INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    SELECT id * 4, body, 'm', id, ticket_id FROM messages
    WHERE id > (SELECT message_id FROM search_progress);
INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    SELECT id * 4 + 1, title, 't', id, id FROM tickets
    WHERE id > (SELECT ticket_id FROM search_progress);
INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    SELECT id * 4 + 2, coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, ''),
           'c', id, NULL FROM customers
    WHERE id > (SELECT customer_id FROM search_progress);
DROP TABLE search_progress;

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    VALUES (new.id * 4, new.body, 'm', new.id, new.ticket_id);
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF body ON messages BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 4;
    INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    VALUES (new.id * 4, new.body, 'm', new.id, new.ticket_id);
END;
CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    VALUES (new.id * 4 + 1, new.title, 't', new.id, new.id);
END;
CREATE TRIGGER tickets_search_update AFTER UPDATE OF title ON tickets BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 4 + 1;
    INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    VALUES (new.id * 4 + 1, new.title, 't', new.id, new.id);
END;
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    VALUES (new.id * 4 + 2,
            coalesce(new.name, '') || ' ' || coalesce(new.email, '') || ' ' || coalesce(new.phone, ''),
            'c', new.id, NULL);
END;
CREATE TRIGGER customers_search_update AFTER UPDATE OF name, email, phone ON customers BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 4 + 2;
    INSERT INTO search_index (rowid, body, kind, ref_id, ticket_id)
    VALUES (new.id * 4 + 2,
            coalesce(new.name, '') || ' ' || coalesce(new.email, '') || ' ' || coalesce(new.phone, ''),
            'c', new.id, NULL);
END;
