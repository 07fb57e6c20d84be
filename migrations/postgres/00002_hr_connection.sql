-- +goose Up
CREATE TABLE hr_connections (
    id                  BIGSERIAL PRIMARY KEY,
    org_id              BIGINT      NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    provider            TEXT        NOT NULL,
    base_url            TEXT        NOT NULL,
    client_id           TEXT        NOT NULL,
    client_secret_enc   TEXT        NOT NULL,
    secret_last4        TEXT        NOT NULL DEFAULT '',
    partner_id          TEXT        NOT NULL DEFAULT '',
    app_id              TEXT        NOT NULL DEFAULT '',
    readable_attributes TEXT        NOT NULL DEFAULT '[]',
    status              TEXT        NOT NULL,
    connected_by_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    connected_at        TIMESTAMPTZ,
    checked_at          TIMESTAMPTZ,
    disconnected_at     TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE sync_settings (
    org_id                  BIGINT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    background_sync         BOOLEAN     NOT NULL DEFAULT TRUE,
    full_sync_time          TEXT        NOT NULL DEFAULT '06:30',
    partial_interval_hours  INTEGER     NOT NULL DEFAULT 2,
    lookback_hours          INTEGER     NOT NULL DEFAULT 4,
    filter_subcompanies     TEXT        NOT NULL DEFAULT '[]',
    filter_statuses         TEXT        NOT NULL DEFAULT '[]',
    filter_offices          TEXT        NOT NULL DEFAULT '[]',
    filter_employment_types TEXT        NOT NULL DEFAULT '[]',
    team_source             TEXT        NOT NULL DEFAULT 'team',
    new_hires               TEXT        NOT NULL DEFAULT 'notify',
    access_from_hire_date   BOOLEAN     NOT NULL DEFAULT FALSE,
    invite_days_ahead       INTEGER     NOT NULL DEFAULT 0,
    lock_on_last_day        BOOLEAN     NOT NULL DEFAULT FALSE,
    grace_days              INTEGER     NOT NULL DEFAULT 0,
    safeguard_percent       INTEGER     NOT NULL DEFAULT 10,
    safeguard_max           INTEGER     NOT NULL DEFAULT 20,
    absences_leading        TEXT        NOT NULL DEFAULT 'off',
    absences_only_approved  BOOLEAN     NOT NULL DEFAULT TRUE,
    time_push               BOOLEAN     NOT NULL DEFAULT FALSE,
    time_only_confirmed     BOOLEAN     NOT NULL DEFAULT TRUE,
    bank_import             BOOLEAN     NOT NULL DEFAULT FALSE,
    iban_attribute          TEXT        NOT NULL DEFAULT '',
    bic_attribute           TEXT        NOT NULL DEFAULT '',
    holder_attribute        TEXT        NOT NULL DEFAULT '',
    updated_at              TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE sync_settings;
DROP TABLE hr_connections;
