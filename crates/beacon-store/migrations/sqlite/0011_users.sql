-- People who sign in to the dashboard, and their sessions. A password is stored only as its Argon2id hash (PHC
-- string); a session only as the SHA-256 of its token, with the CSRF token its forms carry.
CREATE TABLE users (
    pk            INTEGER PRIMARY KEY,
    id            BLOB NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE TABLE sessions (
    pk           INTEGER PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    user_pk      INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_pk);
