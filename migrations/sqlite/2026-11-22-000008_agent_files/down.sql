ALTER TABLE deliveries DROP COLUMN attachment_id;
ALTER TABLE attachments DROP COLUMN message_id;
ALTER TABLE attachments DROP COLUMN author;
