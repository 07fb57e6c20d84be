-- +goose Up
CREATE TABLE hr_connections (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id              INTEGER      NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    provider            TEXT        NOT NULL,
    base_url            TEXT        NOT NULL,
    client_id           TEXT        NOT NULL,
    client_secret_enc   TEXT        NOT NULL,
    secret_last4        TEXT        NOT NULL DEFAULT '',
    partner_id          TEXT        NOT NULL DEFAULT '',
    app_id              TEXT        NOT NULL DEFAULT '',
    readable_attributes TEXT        NOT NULL DEFAULT '[]',
    status              TEXT        NOT NULL,
    connected_by_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    connected_at        DATETIME,
    checked_at          DATETIME,
    disconnected_at     DATETIME,
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL
);

CREATE TABLE sync_settings (
    org_id                  INTEGER PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    background_sync         INTEGER     NOT NULL DEFAULT 1,
    full_sync_time          TEXT        NOT NULL DEFAULT '06:30',
    partial_interval_hours  INTEGER     NOT NULL DEFAULT 2,
    lookback_hours          INTEGER     NOT NULL DEFAULT 4,
    filter_subcompanies     TEXT        NOT NULL DEFAULT '[]',
    filter_statuses         TEXT        NOT NULL DEFAULT '[]',
    filter_offices          TEXT        NOT NULL DEFAULT '[]',
    filter_employment_types TEXT        NOT NULL DEFAULT '[]',
    team_source             TEXT        NOT NULL DEFAULT 'team',
    new_hires               TEXT        NOT NULL DEFAULT 'notify',
    access_from_hire_date   INTEGER     NOT NULL DEFAULT 0,
    invite_days_ahead       INTEGER     NOT NULL DEFAULT 0,
    lock_on_last_day        INTEGER     NOT NULL DEFAULT 0,
    grace_days              INTEGER     NOT NULL DEFAULT 0,
    safeguard_percent       INTEGER     NOT NULL DEFAULT 10,
    safeguard_max           INTEGER     NOT NULL DEFAULT 20,
    absences_leading        TEXT        NOT NULL DEFAULT 'off',
    absences_only_approved  INTEGER     NOT NULL DEFAULT 1,
    time_push               INTEGER     NOT NULL DEFAULT 0,
    time_only_confirmed     INTEGER     NOT NULL DEFAULT 1,
    bank_import             INTEGER     NOT NULL DEFAULT 0,
    iban_attribute          TEXT        NOT NULL DEFAULT '',
    bic_attribute           TEXT        NOT NULL DEFAULT '',
    holder_attribute        TEXT        NOT NULL DEFAULT '',
    updated_at              DATETIME NOT NULL
);

-- +goose Down
DROP TABLE sync_settings;
DROP TABLE hr_connections;
