-- Nothing changes on Postgres: its search columns are generated with their rows and
-- indexed by GIN, whose pending list already takes a row's terms in bulk. SQLite's index
-- moved from triggers to the writer's batches (see migrations/sqlite).
SELECT 1;
