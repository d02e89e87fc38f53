-- A monitor's own notification rules, over its service's. `monitor_routes`: a channel the monitor adds
-- (subscribed to event kinds, as `channel_routes`) or mutes (it hears nothing of this monitor through its
-- subscriptions). `monitor_follow_ups`: reminders and an escalation policy of the monitor's own; `*_own` false
-- follows the service, true uses the monitor's column (NULL: none).
CREATE TABLE monitor_routes (
    pk           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_pk   BIGINT NOT NULL REFERENCES webhooks (pk) ON DELETE CASCADE,
    endpoint_pk  BIGINT REFERENCES endpoints (pk) ON DELETE CASCADE,
    heartbeat_pk BIGINT REFERENCES heartbeats (pk) ON DELETE CASCADE,
    -- ",kind1,kind2,"; "," for a mute.
    events       TEXT NOT NULL,
    muted        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT NOT NULL,
    CHECK ((endpoint_pk IS NULL) <> (heartbeat_pk IS NULL))
);
CREATE UNIQUE INDEX monitor_routes_endpoint ON monitor_routes (endpoint_pk, channel_pk) WHERE endpoint_pk IS NOT NULL;
CREATE UNIQUE INDEX monitor_routes_heartbeat ON monitor_routes (heartbeat_pk, channel_pk) WHERE heartbeat_pk IS NOT NULL;
CREATE INDEX monitor_routes_channel ON monitor_routes (channel_pk);

CREATE TABLE monitor_follow_ups (
    pk                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_pk          BIGINT UNIQUE REFERENCES endpoints (pk) ON DELETE CASCADE,
    heartbeat_pk         BIGINT UNIQUE REFERENCES heartbeats (pk) ON DELETE CASCADE,
    remind_own           BOOLEAN NOT NULL DEFAULT FALSE,
    remind_every_ms      BIGINT,
    remind_max           INTEGER,
    escalation_own       BOOLEAN NOT NULL DEFAULT FALSE,
    escalation_policy_pk BIGINT REFERENCES escalation_policies (pk) ON DELETE SET NULL,
    updated_at           BIGINT NOT NULL,
    CHECK ((endpoint_pk IS NULL) <> (heartbeat_pk IS NULL))
);
