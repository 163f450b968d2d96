-- No query reads created_by: every client is created by the system user.
-- With foreign keys on, SQLite reads this index only for a DELETE or key
-- UPDATE of users, which nothing does.
DROP INDEX oauth_clients_created_by_idx;
