INSERT INTO search_index(search_index, rank) VALUES ('secure-delete', 0);
