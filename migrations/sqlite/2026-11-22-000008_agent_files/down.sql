-- SQLite cannot drop a column that is part of a foreign key (message_id, attachment_id);
-- they stay, nullable and unused by older code. The author column goes.
ALTER TABLE attachments DROP COLUMN author;
