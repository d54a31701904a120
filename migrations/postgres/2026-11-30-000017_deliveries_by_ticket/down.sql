DROP INDEX deliveries_ticket;
