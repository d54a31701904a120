-- The same table as on Postgres, for one schema; SQLite's one instance keeps its streams'
-- recent events in memory and never writes here.
CREATE TABLE stream_events (
    id BIGINT PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    -- The ticket it is about, if any: a purge erases its events too.
    ticket_id BIGINT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
