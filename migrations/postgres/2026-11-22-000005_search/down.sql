DROP INDEX customers_search;
ALTER TABLE customers DROP COLUMN search;
DROP INDEX tickets_search;
ALTER TABLE tickets DROP COLUMN search;
DROP INDEX messages_search;
ALTER TABLE messages DROP COLUMN search;
