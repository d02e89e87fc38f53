-- Public status pages (`/status/<slug>`): which services each shows, in order. Badge keys: a monitor named in
-- public badge URLs without its id; replaced to revoke. Both go with what they show.
CREATE TABLE status_pages (
    pk          INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    show_urls   BOOLEAN NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE TABLE status_page_services (
    page_pk    INTEGER NOT NULL REFERENCES status_pages (pk) ON DELETE CASCADE,
    service_pk INTEGER NOT NULL REFERENCES services (pk) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (page_pk, service_pk)
);
CREATE INDEX status_page_services_by_service ON status_page_services (service_pk);
CREATE TABLE badges (
    key          TEXT PRIMARY KEY,
    endpoint_pk  INTEGER UNIQUE REFERENCES endpoints (pk) ON DELETE CASCADE,
    heartbeat_pk INTEGER UNIQUE REFERENCES heartbeats (pk) ON DELETE CASCADE
);
