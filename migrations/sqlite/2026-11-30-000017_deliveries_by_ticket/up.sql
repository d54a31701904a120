-- A ticket's deliveries: its timeline, and the worker's check that none of them is in flight
-- before it claims the next.
CREATE INDEX deliveries_ticket ON deliveries (ticket_id, id);
