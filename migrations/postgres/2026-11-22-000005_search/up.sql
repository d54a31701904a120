-- Full-text search over ticket titles, message texts and customers' name, e-mail and phone:
-- generated tsvector columns (always in step with their rows) with GIN indexes. Text is
-- lower-cased and split on anything but letters and digits, as SQLite's unicode61 does.
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', regexp_replace(lower(body), '[^[:alnum:]]+', ' ', 'g'))
) STORED;
CREATE INDEX messages_search ON messages USING GIN (search);

ALTER TABLE tickets ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', regexp_replace(lower(title), '[^[:alnum:]]+', ' ', 'g'))
) STORED;
CREATE INDEX tickets_search ON tickets USING GIN (search);

ALTER TABLE customers ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', regexp_replace(
        lower(coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')),
        '[^[:alnum:]]+', ' ', 'g'))
) STORED;
CREATE INDEX customers_search ON customers USING GIN (search);
