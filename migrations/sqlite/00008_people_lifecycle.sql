-- +goose Up
-- People lifecycle (PRODUCT.md section 3): fields Personio manages on a
-- linked user, the manager relation, scheduled deactivations, locks,
-- access from the hire date; notifications; deactivation snapshots for
-- undo; safeguard holds; new hires detected by the sync.
ALTER TABLE users ADD COLUMN manager_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN manager_source TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN hire_date TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_working_day TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN termination_date TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN cost_center TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN picture_url TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN personio_synced_at DATETIME;
ALTER TABLE users ADD COLUMN access_from TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN deactivate_at DATETIME;
ALTER TABLE users ADD COLUMN deactivation_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN locked_at DATETIME;
ALTER TABLE users ADD COLUMN deactivation_skip_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_runs ADD COLUMN users_updated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN deactivated_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_org_manager ON users (org_id, manager_id) WHERE manager_id IS NOT NULL;
CREATE INDEX users_deactivate_at ON users (deactivate_at) WHERE deactivate_at IS NOT NULL;

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    INTEGER      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT        NOT NULL,
    title      TEXT        NOT NULL,
    body       TEXT        NOT NULL DEFAULT '',
    link       TEXT        NOT NULL DEFAULT '',
    dedupe_key TEXT        NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    read_at    DATETIME
);
CREATE INDEX notifications_user ON notifications (org_id, user_id, created_at);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (org_id, user_id, dedupe_key) WHERE dedupe_key <> '';

CREATE TABLE user_deactivations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id        INTEGER      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason         TEXT        NOT NULL,
    run_id         INTEGER,
    snapshot       TEXT        NOT NULL DEFAULT '{}',
    deactivated_at DATETIME NOT NULL,
    undone_at      DATETIME,
    undone_by_id   INTEGER      REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX user_deactivations_user ON user_deactivations (org_id, user_id, deactivated_at);

CREATE TABLE sync_holds (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    run_id         INTEGER,
    status         TEXT        NOT NULL,
    user_ids       TEXT        NOT NULL DEFAULT '[]',
    affected       INTEGER     NOT NULL DEFAULT 0,
    linked_total   INTEGER     NOT NULL DEFAULT 0,
    created_at     DATETIME NOT NULL,
    decided_at     DATETIME,
    decided_by_id  INTEGER      REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX sync_holds_org ON sync_holds (org_id, status);

CREATE TABLE hr_new_hires (
    org_id      INTEGER      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    personio_id INTEGER      NOT NULL,
    run_id      INTEGER,
    detected_at DATETIME NOT NULL,
    hire_date   TEXT        NOT NULL DEFAULT '',
    invite_due  TEXT        NOT NULL DEFAULT '',
    notified_at DATETIME,
    invited_at  DATETIME,
    user_id     INTEGER      REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (org_id, personio_id)
);

-- +goose Down
DROP TABLE hr_new_hires;
DROP TABLE sync_holds;
DROP TABLE user_deactivations;
DROP TABLE notifications;
DROP INDEX users_deactivate_at;
DROP INDEX users_org_manager;
ALTER TABLE sync_runs DROP COLUMN deactivated_count;
ALTER TABLE sync_runs DROP COLUMN users_updated;
ALTER TABLE users DROP COLUMN deactivation_skip_hash;
ALTER TABLE users DROP COLUMN locked_at;
ALTER TABLE users DROP COLUMN deactivation_reason;
ALTER TABLE users DROP COLUMN deactivate_at;
ALTER TABLE users DROP COLUMN access_from;
ALTER TABLE users DROP COLUMN personio_synced_at;
ALTER TABLE users DROP COLUMN picture_url;
ALTER TABLE users DROP COLUMN cost_center;
ALTER TABLE users DROP COLUMN termination_date;
ALTER TABLE users DROP COLUMN last_working_day;
ALTER TABLE users DROP COLUMN hire_date;
ALTER TABLE users DROP COLUMN manager_source;
ALTER TABLE users DROP COLUMN manager_id;
