-- A purge deletes the customer's words from the full-text index at once, not at its next
-- merge: FTS5's secure-delete removes a deleted row's tokens from the index's segments.
INSERT INTO search_index(search_index, rank) VALUES ('secure-delete', 1);
