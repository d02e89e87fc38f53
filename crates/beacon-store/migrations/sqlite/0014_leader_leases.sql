-- Duties that must run once however many servers share the database (cleanup, storage sampling): the server
-- holding a duty's lease runs it and renews the lease; when it dies the lease expires and another takes it.
CREATE TABLE leader_leases (
    duty       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
