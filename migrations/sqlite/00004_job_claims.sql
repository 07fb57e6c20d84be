-- +goose Up
-- One row per scheduled job execution: the process that inserts it runs the
-- job; every other replica sees the conflict and skips that slot.
CREATE TABLE job_claims (
    job        TEXT        NOT NULL,
    slot       DATETIME NOT NULL,
    holder     TEXT        NOT NULL,
    claimed_at DATETIME NOT NULL,
    PRIMARY KEY (job, slot)
);
CREATE INDEX job_claims_claimed ON job_claims (claimed_at);

-- +goose Down
DROP TABLE job_claims;
