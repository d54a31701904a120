-- What agents' streams were shown, kept for server.stream_replay_seconds: a stream that
-- resumes (Last-Event-ID) on an instance that did not hear an event (it started later, or its
-- listener broke) is replayed from here. Written by each instance's publisher, in batches.
CREATE TABLE stream_events (
    id BIGINT PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    -- The ticket it is about, if any: a purge erases its events too.
    ticket_id BIGINT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX stream_events_tenant ON stream_events (tenant_id, id);
CREATE INDEX stream_events_created ON stream_events (created_at);
CREATE INDEX stream_events_ticket ON stream_events (ticket_id) WHERE ticket_id IS NOT NULL;
