-- +goose Up
-- Open sync health problems of an organisation (failed runs, rejected
-- credentials, exhausted rate limit, stale data): one open row per kind,
-- kept until the condition no longer holds (cleared_at set).
CREATE TABLE health_problems (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          INTEGER     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind            TEXT        NOT NULL,
    detail          TEXT        NOT NULL DEFAULT '',
    opened_at       DATETIME    NOT NULL,
    last_alerted_at DATETIME,
    cleared_at      DATETIME
);
CREATE UNIQUE INDEX health_problems_open ON health_problems (org_id, kind) WHERE cleared_at IS NULL;
CREATE INDEX health_problems_org ON health_problems (org_id, opened_at);

-- +goose Down
DROP TABLE health_problems;
