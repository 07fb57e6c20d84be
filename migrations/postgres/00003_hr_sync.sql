-- +goose Up
-- Mirror of the HR system's employees, one row per employee and organisation.
-- Dates are 'YYYY-MM-DD' text ('' for none) on both dialects.
CREATE TABLE hr_employees (
    id                  BIGSERIAL PRIMARY KEY,
    org_id              BIGINT           NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    personio_id         BIGINT           NOT NULL,
    first_name          TEXT             NOT NULL DEFAULT '',
    last_name           TEXT             NOT NULL DEFAULT '',
    preferred_name      TEXT             NOT NULL DEFAULT '',
    email               TEXT             NOT NULL DEFAULT '',
    status              TEXT             NOT NULL DEFAULT '',
    position            TEXT             NOT NULL DEFAULT '',
    employment_type     TEXT             NOT NULL DEFAULT '',
    department_id       BIGINT           NOT NULL DEFAULT 0,
    department_name     TEXT             NOT NULL DEFAULT '',
    team_id             BIGINT           NOT NULL DEFAULT 0,
    team_name           TEXT             NOT NULL DEFAULT '',
    office_id           BIGINT           NOT NULL DEFAULT 0,
    office_name         TEXT             NOT NULL DEFAULT '',
    subcompany_id       BIGINT           NOT NULL DEFAULT 0,
    subcompany_name     TEXT             NOT NULL DEFAULT '',
    cost_centers        TEXT             NOT NULL DEFAULT '[]',
    cost_center_names   TEXT             NOT NULL DEFAULT '',
    supervisor_id       BIGINT,
    hire_date           TEXT             NOT NULL DEFAULT '',
    last_working_day    TEXT             NOT NULL DEFAULT '',
    termination_date    TEXT             NOT NULL DEFAULT '',
    contract_end_date   TEXT             NOT NULL DEFAULT '',
    weekly_hours        DOUBLE PRECISION NOT NULL DEFAULT 0,
    profile_picture_url TEXT             NOT NULL DEFAULT '',
    custom              TEXT             NOT NULL DEFAULT '{}',
    search_text         TEXT             NOT NULL DEFAULT '',
    raw_hash            TEXT             NOT NULL DEFAULT '',
    in_scope            BOOLEAN          NOT NULL DEFAULT TRUE,
    scope_reason        TEXT             NOT NULL DEFAULT '',
    warnings            TEXT             NOT NULL DEFAULT '[]',
    check_warnings      TEXT             NOT NULL DEFAULT '[]',
    personio_updated_at TIMESTAMPTZ,
    first_seen_at       TIMESTAMPTZ      NOT NULL,
    last_synced_at      TIMESTAMPTZ      NOT NULL,
    last_run_id         BIGINT           NOT NULL DEFAULT 0,
    removed_at          TIMESTAMPTZ,
    UNIQUE (org_id, personio_id)
);
CREATE INDEX hr_employees_org_email ON hr_employees (org_id, email);
CREATE INDEX hr_employees_org_team ON hr_employees (org_id, team_name);
CREATE INDEX hr_employees_org_status ON hr_employees (org_id, status);
CREATE INDEX hr_employees_org_department ON hr_employees (org_id, department_name);
CREATE INDEX hr_employees_org_name ON hr_employees (org_id, last_name, first_name);

CREATE TABLE sync_runs (
    id              BIGSERIAL PRIMARY KEY,
    org_id          BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    area            TEXT        NOT NULL,
    mode            TEXT        NOT NULL,
    "trigger"       TEXT        NOT NULL,
    status          TEXT        NOT NULL,
    phase           TEXT        NOT NULL DEFAULT '',
    pages_fetched   INTEGER     NOT NULL DEFAULT 0,
    processed       INTEGER     NOT NULL DEFAULT 0,
    new_count       INTEGER     NOT NULL DEFAULT 0,
    changed_count   INTEGER     NOT NULL DEFAULT 0,
    unchanged_count INTEGER     NOT NULL DEFAULT 0,
    removed_count   INTEGER     NOT NULL DEFAULT 0,
    warning_count   INTEGER     NOT NULL DEFAULT 0,
    error_count     INTEGER     NOT NULL DEFAULT 0,
    rows_written    BIGINT      NOT NULL DEFAULT 0,
    api_calls       INTEGER     NOT NULL DEFAULT 0,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    duration_ms     BIGINT      NOT NULL DEFAULT 0,
    error           TEXT        NOT NULL DEFAULT '',
    started_by_id   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    heartbeat_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX sync_runs_org_started ON sync_runs (org_id, started_at DESC);
CREATE INDEX sync_runs_org_area_status ON sync_runs (org_id, area, status);

CREATE TABLE sync_run_warnings (
    id          BIGSERIAL PRIMARY KEY,
    run_id      BIGINT      NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    org_id      BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    personio_id BIGINT      NOT NULL,
    code        TEXT        NOT NULL,
    message     TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (run_id, personio_id, code)
);

-- The API log: one row per HTTP request to the HR system, without secrets.
CREATE TABLE api_calls (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    run_id      BIGINT REFERENCES sync_runs (id) ON DELETE SET NULL,
    area        TEXT        NOT NULL DEFAULT '',
    op          TEXT        NOT NULL DEFAULT '',
    method      TEXT        NOT NULL DEFAULT '',
    path        TEXT        NOT NULL DEFAULT '',
    query       TEXT        NOT NULL DEFAULT '',
    status      INTEGER     NOT NULL DEFAULT 0,
    duration_ms BIGINT      NOT NULL DEFAULT 0,
    bytes       BIGINT      NOT NULL DEFAULT 0,
    retries     INTEGER     NOT NULL DEFAULT 0,
    error       TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX api_calls_org_created ON api_calls (org_id, created_at DESC);
CREATE INDEX api_calls_run ON api_calls (run_id);
CREATE INDEX api_calls_created ON api_calls (created_at);

-- One row per organisation and area while a sync runs: the cross-process lock.
CREATE TABLE sync_leases (
    org_id      BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    area        TEXT        NOT NULL,
    holder      TEXT        NOT NULL,
    run_id      BIGINT      NOT NULL DEFAULT 0,
    acquired_at TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, area)
);

-- +goose Down
DROP TABLE sync_leases;
DROP TABLE api_calls;
DROP TABLE sync_run_warnings;
DROP TABLE sync_runs;
DROP TABLE hr_employees;
