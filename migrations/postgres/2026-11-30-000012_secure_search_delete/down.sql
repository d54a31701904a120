-- Postgres keeps no deleted words: its search columns are generated from the rows themselves.
SELECT 1;
