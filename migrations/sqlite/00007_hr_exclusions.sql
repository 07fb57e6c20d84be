-- +goose Up
-- Employees an admin excluded from the sync: not offered for invite or
-- linking, and their linked user is not changed. Kept apart from
-- hr_employees, which the sync rewrites.
CREATE TABLE hr_exclusions (
    org_id         INTEGER  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    personio_id    INTEGER  NOT NULL,
    excluded_by_id INTEGER  REFERENCES users (id) ON DELETE SET NULL,
    reason         TEXT     NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL,
    PRIMARY KEY (org_id, personio_id)
);

-- +goose Down
DROP TABLE hr_exclusions;
