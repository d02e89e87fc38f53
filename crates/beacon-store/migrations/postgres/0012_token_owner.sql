-- A token made by a signed-in person belongs to them: it never grants more than their role does now, and it is
-- gone with them. Tokens made through the API with an admin token (and the first-start token) have no owner.
ALTER TABLE api_tokens ADD COLUMN user_pk BIGINT REFERENCES users (pk) ON DELETE CASCADE;
CREATE INDEX api_tokens_by_user ON api_tokens (user_pk);
