-- Escalation policies: steps "notify these channels this long after an incident opens, unless acknowledged or
-- resolved by then", run `repeat` more times. `steps` is JSON: [{"delay_ms": n, "channels": [channel pk, ...]}].
-- A service names its policy; its incidents' steps are written as delayed `escalation` events when they open.
CREATE TABLE escalation_policies (
    pk         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         UUID NOT NULL UNIQUE,
    name       TEXT NOT NULL UNIQUE,
    steps      TEXT NOT NULL,
    repeat     INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
ALTER TABLE services ADD COLUMN escalation_policy_pk BIGINT REFERENCES escalation_policies (pk) ON DELETE SET NULL;
