-- +goose Up
-- Lineage: every value of a user that a sync, a link, an invitation or the
-- team mapping changed (field, old → new), with the run when there is one.
-- Values are short display strings; secrets and bank details never go here.
CREATE TABLE user_lineage (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    INTEGER     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    field      TEXT        NOT NULL,
    old_value  TEXT        NOT NULL DEFAULT '',
    new_value  TEXT        NOT NULL DEFAULT '',
    run_id     BIGINT,
    source     TEXT        NOT NULL DEFAULT '',
    changed_at DATETIME    NOT NULL
);
CREATE INDEX user_lineage_org_user_time ON user_lineage (org_id, user_id, changed_at);

-- +goose Down
DROP TABLE user_lineage;
