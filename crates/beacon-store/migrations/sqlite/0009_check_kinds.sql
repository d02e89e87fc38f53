-- Check kinds: an endpoint is a check of some kind (http today; tcp, dns and tls next) whose kind's own settings
-- are one JSON object in `config`. The HTTP columns move into it, data preserved; what every kind shares
-- (interval, timeout, thresholds, enabled, webhook_url) stays in columns.
ALTER TABLE endpoints ADD COLUMN kind TEXT NOT NULL DEFAULT 'http';
ALTER TABLE endpoints ADD COLUMN config TEXT NOT NULL DEFAULT '{}';
UPDATE endpoints SET config = json_object(
    'url', url,
    'method', method,
    'expected_status', expected_status,
    'headers', json(headers),
    'body', body,
    'expect_body_contains', expect_body_contains,
    'follow_redirects', CASE WHEN follow_redirects THEN json('true') ELSE json('false') END
);
ALTER TABLE endpoints DROP COLUMN url;
ALTER TABLE endpoints DROP COLUMN method;
ALTER TABLE endpoints DROP COLUMN expected_status;
ALTER TABLE endpoints DROP COLUMN headers;
ALTER TABLE endpoints DROP COLUMN body;
ALTER TABLE endpoints DROP COLUMN expect_body_contains;
ALTER TABLE endpoints DROP COLUMN follow_redirects;
