-- +goose Up
-- A Roster user is linked to at most one Personio employee of its organisation.
ALTER TABLE users ADD COLUMN personio_id INTEGER;
CREATE UNIQUE INDEX users_org_personio ON users (org_id, personio_id) WHERE personio_id IS NOT NULL;

-- +goose Down
DROP INDEX users_org_personio;
ALTER TABLE users DROP COLUMN personio_id;
