-- Files agents attach to a reply or note: who attached it and to which message, and the
-- upload of each to the chat server as its own delivery.
ALTER TABLE attachments ADD COLUMN author TEXT NOT NULL DEFAULT 'customer';
ALTER TABLE attachments ADD COLUMN message_id BIGINT REFERENCES messages(id);
ALTER TABLE deliveries ADD COLUMN attachment_id BIGINT REFERENCES attachments(id);
