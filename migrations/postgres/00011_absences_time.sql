-- +goose Up
-- Absences both ways and time tracking, pushed through a durable outbox
-- (PRODUCT.md sections 7, 8 and 9).

-- Roster's absence categories, paired with a Personio time-off type by
-- name once and by type id afterwards (a rename in Personio keeps it).
CREATE TABLE absence_categories (
    id                 BIGSERIAL PRIMARY KEY,
    org_id             BIGINT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name               TEXT        NOT NULL,
    personio_type_id   BIGINT,
    personio_type_name TEXT        NOT NULL DEFAULT '',
    half_days          BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at         TIMESTAMPTZ        NOT NULL,
    updated_at         TIMESTAMPTZ        NOT NULL
);
CREATE UNIQUE INDEX absence_categories_name ON absence_categories (org_id, name);
CREATE UNIQUE INDEX absence_categories_type ON absence_categories (org_id, personio_type_id) WHERE personio_type_id IS NOT NULL;

-- Absences requested in Roster or imported from Personio. Dates are
-- YYYY-MM-DD (whole days, inclusive). source: roster or personio.
-- status: pending, approved, rejected, cancelled (Roster requests);
-- to_confirm, confirmed (imported from Personio). out_of_sync: changed in
-- the system that does not lead, not synced (shown as such).
CREATE TABLE absences (
    id             BIGSERIAL PRIMARY KEY,
    org_id         BIGINT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id        BIGINT        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category_id    BIGINT        REFERENCES absence_categories (id) ON DELETE SET NULL,
    start_date     TEXT        NOT NULL,
    end_date       TEXT        NOT NULL,
    half_day_start BOOLEAN      NOT NULL DEFAULT FALSE,
    half_day_end   BOOLEAN      NOT NULL DEFAULT FALSE,
    comment        TEXT        NOT NULL DEFAULT '',
    status         TEXT        NOT NULL,
    source         TEXT        NOT NULL DEFAULT 'roster',
    approver_id    BIGINT        REFERENCES users (id) ON DELETE SET NULL,
    decided_by_id  BIGINT        REFERENCES users (id) ON DELETE SET NULL,
    decided_at     TIMESTAMPTZ,
    decision_note  TEXT        NOT NULL DEFAULT '',
    personio_id    BIGINT,
    personio_hash  TEXT        NOT NULL DEFAULT '',
    out_of_sync    TEXT        NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ        NOT NULL,
    updated_at     TIMESTAMPTZ        NOT NULL
);
CREATE INDEX absences_user ON absences (org_id, user_id, start_date);
CREATE INDEX absences_dates ON absences (org_id, start_date, end_date);
CREATE INDEX absences_approver ON absences (org_id, approver_id, status) WHERE approver_id IS NOT NULL;
CREATE UNIQUE INDEX absences_personio ON absences (org_id, personio_id) WHERE personio_id IS NOT NULL;

-- Tracked working time. A running timer has no end_at. status: running,
-- completed, confirmed, rejected. deleted_at: deleted in Roster, kept
-- until the deletion is pushed. personio_id: the v2 attendance period.
CREATE TABLE time_entries (
    id             BIGSERIAL PRIMARY KEY,
    org_id         BIGINT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id        BIGINT        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day            TEXT        NOT NULL,
    start_at       TIMESTAMPTZ        NOT NULL,
    end_at         TIMESTAMPTZ,
    break_minutes  INTEGER     NOT NULL DEFAULT 0,
    comment        TEXT        NOT NULL DEFAULT '',
    project        TEXT        NOT NULL DEFAULT '',
    status         TEXT        NOT NULL,
    decided_by_id  BIGINT        REFERENCES users (id) ON DELETE SET NULL,
    decided_at     TIMESTAMPTZ,
    personio_id    TEXT        NOT NULL DEFAULT '',
    deleted_at     TIMESTAMPTZ,
    created_at     TIMESTAMPTZ        NOT NULL,
    updated_at     TIMESTAMPTZ        NOT NULL
);
CREATE INDEX time_entries_user ON time_entries (org_id, user_id, day);
CREATE INDEX time_entries_status ON time_entries (org_id, status, day);

-- The durable outbox: every push to Personio is a row. kind: absence or
-- time_entry; op: create, update or delete; state: pending, pushed,
-- retrying, failed. personio_id is stored as soon as Personio answers,
-- before anything else is done with it. first_change_at starts the 7-day
-- retry window.
CREATE TABLE outbox_items (
    id              BIGSERIAL PRIMARY KEY,
    org_id          BIGINT        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind            TEXT        NOT NULL,
    record_id       BIGINT        NOT NULL,
    op              TEXT        NOT NULL,
    personio_id     TEXT        NOT NULL DEFAULT '',
    state           TEXT        NOT NULL,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ        NOT NULL,
    last_error      TEXT        NOT NULL DEFAULT '',
    first_change_at TIMESTAMPTZ        NOT NULL,
    pushed_at       TIMESTAMPTZ,
    created_at      TIMESTAMPTZ        NOT NULL,
    updated_at      TIMESTAMPTZ        NOT NULL
);
CREATE INDEX outbox_due ON outbox_items (org_id, state, next_attempt_at);
CREATE INDEX outbox_record ON outbox_items (org_id, kind, record_id);
CREATE INDEX outbox_created ON outbox_items (org_id, created_at);

-- +goose Down
DROP TABLE outbox_items;
DROP TABLE time_entries;
DROP TABLE absences;
DROP TABLE absence_categories;
