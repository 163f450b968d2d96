-- The purge's never-used rule (lifetime.rs, `expired()`): `last_used_at IS
-- NULL AND lifetime_from < X`. It replaces oauth_clients_lifetime_from_idx
-- (dropped by 000015, after this one is built): partial, because the rule
-- reads never-used clients only, and a client leaves the index at its first
-- use (18 MB on 1M clients of which 85 % never used, against 21 MB). Used
-- with oauth_clients_used_last_used_at_idx in one BitmapOr: on 1M clients a
-- round that finds nothing takes 0.03 ms, one that finds 269 takes 0.35 ms
-- (docs/benchmarks.md, "Indexes of oauth_clients"; a backlog is read in
-- created_at order instead). Every registration still writes it: a new
-- client is never used.
-- CONCURRENTLY, so registrations go on while it builds (rolling.rs).
CREATE INDEX CONCURRENTLY oauth_clients_unused_lifetime_from_idx
    ON oauth_clients (lifetime_from) WHERE last_used_at IS NULL;
