-- +goose Up
CREATE TABLE organizations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    slug       TEXT        NOT NULL UNIQUE,
    name       TEXT        NOT NULL,
    time_zone  TEXT        NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email          TEXT        NOT NULL,
    name           TEXT        NOT NULL,
    password_hash  TEXT        NOT NULL DEFAULT '',
    role           TEXT        NOT NULL,
    status         TEXT        NOT NULL,
    job_title      TEXT        NOT NULL DEFAULT '',
    last_login_at  DATETIME,
    deactivated_at DATETIME,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    UNIQUE (org_id, email)
);
CREATE INDEX users_org_status ON users (org_id, status);
CREATE INDEX users_org_name ON users (org_id, name);
CREATE INDEX users_email ON users (email);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        TEXT        NOT NULL,
    manager_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    approver_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE team_members (
    team_id    INTEGER      NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    INTEGER      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     INTEGER      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    source     TEXT        NOT NULL DEFAULT 'manual',
    created_at DATETIME NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);
CREATE INDEX team_members_org ON team_members (org_id, team_id);

CREATE TABLE invitations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id       INTEGER      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    TEXT        NOT NULL UNIQUE,
    expires_at    DATETIME NOT NULL,
    created_by_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    accepted_at   DATETIME,
    revoked_at    DATETIME,
    created_at    DATETIME NOT NULL
);
CREATE INDEX invitations_user ON invitations (org_id, user_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      INTEGER      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id       INTEGER      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at   DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    ip           TEXT        NOT NULL DEFAULT '',
    user_agent   TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_id     INTEGER,
    actor_name   TEXT        NOT NULL DEFAULT '',
    action       TEXT        NOT NULL,
    target_type  TEXT        NOT NULL DEFAULT '',
    target_id    INTEGER,
    target_label TEXT        NOT NULL DEFAULT '',
    details      TEXT        NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL
);
CREATE INDEX audit_events_org_created ON audit_events (org_id, created_at);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE sessions;
DROP TABLE invitations;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE users;
DROP TABLE organizations;
