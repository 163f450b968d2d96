-- Every client is created by the system user, the one row of users, and
-- nothing deletes it: the foreign key refused nothing. It cost every
-- registration a check of users and a FOR KEY SHARE lock of that row, shared
-- by the concurrent writers' batches (a multixact): about a tenth of
-- Postgres' CPU per registration (docs/benchmarks.md, "Indexes of
-- oauth_clients"). The previous release's writes stay valid without it.
--
-- Dropping it takes an exclusive lock of oauth_clients and users for a
-- moment. A transaction that holds either for long would make the ALTER
-- wait, and every registration queue behind the ALTER: after 5 s it gives
-- up instead, the migration fails and the next start tries again.
SET LOCAL lock_timeout = '5s';
ALTER TABLE oauth_clients DROP CONSTRAINT IF EXISTS oauth_clients_created_by_fkey;
