-- +goose Up
-- Sync previews (dry runs): a run computed in a transaction that was rolled
-- back. The preview keeps the fetched Personio records (so that an apply
-- writes exactly what was shown), a fingerprint of them (an apply refetches
-- and refuses when Personio changed), the diff (items) and its fingerprint
-- (an apply refuses when Roster's data changed meanwhile).
CREATE TABLE sync_previews (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    run_id         BIGINT      NOT NULL,
    area           TEXT        NOT NULL,
    mode           TEXT        NOT NULL,
    trigger        TEXT        NOT NULL DEFAULT '',
    status         TEXT        NOT NULL,
    personio_hash  TEXT        NOT NULL DEFAULT '',
    diff_hash      TEXT        NOT NULL DEFAULT '',
    records        INTEGER     NOT NULL DEFAULT 0,
    counts         TEXT        NOT NULL DEFAULT '{}',
    note           TEXT        NOT NULL DEFAULT '',
    created_by_id  BIGINT,
    created_at     DATETIME    NOT NULL,
    decided_by_id  BIGINT,
    decided_at     DATETIME,
    updated_since  DATETIME,
    apply_run_id   BIGINT
);
CREATE INDEX sync_previews_org ON sync_previews (org_id, id);

CREATE TABLE sync_preview_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    preview_id  BIGINT NOT NULL REFERENCES sync_previews (id) ON DELETE CASCADE,
    org_id      BIGINT NOT NULL,
    kind        TEXT   NOT NULL,
    user_id     BIGINT,
    personio_id BIGINT,
    name        TEXT   NOT NULL DEFAULT '',
    email       TEXT   NOT NULL DEFAULT '',
    field       TEXT   NOT NULL DEFAULT '',
    old_value   TEXT   NOT NULL DEFAULT '',
    new_value   TEXT   NOT NULL DEFAULT '',
    detail      TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX sync_preview_items_kind ON sync_preview_items (preview_id, kind, id);

CREATE TABLE sync_preview_records (
    preview_id  BIGINT NOT NULL REFERENCES sync_previews (id) ON DELETE CASCADE,
    personio_id BIGINT NOT NULL,
    org_id      BIGINT NOT NULL,
    payload     TEXT   NOT NULL,
    PRIMARY KEY (preview_id, personio_id)
);

-- +goose Down
DROP TABLE sync_preview_records;
DROP TABLE sync_preview_items;
DROP TABLE sync_previews;
