-- Client certificates issued to workers (`beacon certs issue-worker`): the SHA-256 of the certificate (DER) names
-- the worker and its region when it connects with mutual TLS. Revoking one refuses it from then on.
CREATE TABLE worker_certs (
    pk          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint BYTEA NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    region_pk   INTEGER NOT NULL REFERENCES regions (pk),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
