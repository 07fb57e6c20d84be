-- +goose Up
CREATE TABLE organizations (
    id         BIGSERIAL PRIMARY KEY,
    slug       TEXT        NOT NULL UNIQUE,
    name       TEXT        NOT NULL,
    time_zone  TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    org_id         BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email          TEXT        NOT NULL,
    name           TEXT        NOT NULL,
    password_hash  TEXT        NOT NULL DEFAULT '',
    role           TEXT        NOT NULL,
    status         TEXT        NOT NULL,
    job_title      TEXT        NOT NULL DEFAULT '',
    last_login_at  TIMESTAMPTZ,
    deactivated_at TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, email)
);
CREATE INDEX users_org_status ON users (org_id, status);
CREATE INDEX users_org_name ON users (org_id, name);
CREATE INDEX users_email ON users (email);

CREATE TABLE teams (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        TEXT        NOT NULL,
    manager_id  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    approver_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE team_members (
    team_id    BIGINT      NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    source     TEXT        NOT NULL DEFAULT 'manual',
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);
CREATE INDEX team_members_org ON team_members (org_id, team_id);

CREATE TABLE invitations (
    id            BIGSERIAL PRIMARY KEY,
    org_id        BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    TEXT        NOT NULL UNIQUE,
    expires_at    TIMESTAMPTZ NOT NULL,
    created_by_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    accepted_at   TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX invitations_user ON invitations (org_id, user_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id       BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    ip           TEXT        NOT NULL DEFAULT '',
    user_agent   TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_events (
    id           BIGSERIAL PRIMARY KEY,
    org_id       BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_id     BIGINT,
    actor_name   TEXT        NOT NULL DEFAULT '',
    action       TEXT        NOT NULL,
    target_type  TEXT        NOT NULL DEFAULT '',
    target_id    BIGINT,
    target_label TEXT        NOT NULL DEFAULT '',
    details      TEXT        NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_events_org_created ON audit_events (org_id, created_at DESC);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE sessions;
DROP TABLE invitations;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE users;
DROP TABLE organizations;
