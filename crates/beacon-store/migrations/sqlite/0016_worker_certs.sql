-- Client certificates issued to workers (`beacon certs issue-worker`): the SHA-256 of the certificate (DER) names
-- the worker and its region when it connects with mutual TLS. Revoking one refuses it from then on.
CREATE TABLE worker_certs (
    pk          INTEGER PRIMARY KEY,
    fingerprint BLOB NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    region_pk   INTEGER NOT NULL REFERENCES regions (pk),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
