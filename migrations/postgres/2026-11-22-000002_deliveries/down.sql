DROP TABLE deliveries;
ALTER TABLE messages DROP COLUMN user_id;
