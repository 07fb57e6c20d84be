-- +goose Up
-- Where a user's role came from: "personio" when the HR sync made a member
-- a manager because their Personio employee supervises others ("" when set
-- in Roster). Only a role the sync gave is taken back by the sync.
ALTER TABLE users ADD COLUMN role_source TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN role_source;
