-- Check kinds: an endpoint is a check of some kind (http today; tcp, dns and tls next) whose kind's own settings
-- are one JSON object in `config`. The HTTP columns move into it, data preserved; what every kind shares
-- (interval, timeout, thresholds, enabled, webhook_url) stays in columns.
ALTER TABLE endpoints ADD COLUMN kind TEXT NOT NULL DEFAULT 'http',
    ADD COLUMN config TEXT NOT NULL DEFAULT '{}';
UPDATE endpoints SET config = json_build_object(
    'url', url,
    'method', method,
    'expected_status', expected_status,
    'headers', headers::json,
    'body', body,
    'expect_body_contains', expect_body_contains,
    'follow_redirects', follow_redirects
)::text;
ALTER TABLE endpoints DROP COLUMN url, DROP COLUMN method, DROP COLUMN expected_status, DROP COLUMN headers,
    DROP COLUMN body, DROP COLUMN expect_body_contains, DROP COLUMN follow_redirects;
