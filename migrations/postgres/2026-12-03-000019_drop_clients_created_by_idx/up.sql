-- No query reads created_by: every client is created by the system user, so
-- every entry held the same value. The index of a foreign key's column only
-- serves a DELETE or key UPDATE of users, which nothing does (the system
-- user is the one row, written by the first migration).
DROP INDEX CONCURRENTLY oauth_clients_created_by_idx;
