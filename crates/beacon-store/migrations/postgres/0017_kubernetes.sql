-- The Kubernetes watcher (seed 001). `kube_objects`: one row per object ever seen annotated, keyed by its uid —
-- `active` while it is annotated and present, `deleted` after (kept for the event history until cleanup). Its
-- `created` / `deleted` events are ordinary outbox rows (`events.kube_object_pk`), fanned out to the webhooks of
-- the watcher's service. `kube_watch_positions`: the last resourceVersion each watch stored, to resume from.
-- `webhooks.options`: per-format settings as JSON (method, CloudEvents source and type prefix, payload filters);
-- `webhooks.managed_by`: 'kubernetes' for the webhook the watcher's configuration owns.
CREATE TABLE kube_objects (
    pk               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               UUID NOT NULL UNIQUE,
    uid              TEXT NOT NULL UNIQUE,
    api_version      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    namespace        TEXT NOT NULL,
    name             TEXT NOT NULL,
    annotation_value TEXT NOT NULL,
    labels           TEXT NOT NULL,
    annotations      TEXT NOT NULL,
    resource_version TEXT NOT NULL,
    status           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    deleted_at       BIGINT,
    -- The watcher's service when it was recorded: its events fan out to that service's webhooks.
    service_pk       BIGINT
);
CREATE INDEX kube_objects_by_kind ON kube_objects (kind, api_version, status);
CREATE INDEX kube_objects_deleted ON kube_objects (deleted_at) WHERE status = 'deleted';

CREATE TABLE kube_watch_positions (
    watch            TEXT PRIMARY KEY,
    resource_version TEXT NOT NULL,
    updated_at       BIGINT NOT NULL
);

ALTER TABLE events ADD COLUMN kube_object_pk BIGINT;
CREATE INDEX events_by_kube_object ON events (kube_object_pk) WHERE kube_object_pk IS NOT NULL;
ALTER TABLE webhooks ADD COLUMN options TEXT;
ALTER TABLE webhooks ADD COLUMN managed_by TEXT;
