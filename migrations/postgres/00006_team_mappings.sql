-- +goose Up
-- Maps a Personio team or department (by id, or by name when Personio has no
-- id for it) to a Roster team. Many Personio units may map to one Roster team.
CREATE TABLE team_mappings (
    id            BIGSERIAL PRIMARY KEY,
    org_id        BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    source        TEXT        NOT NULL,
    personio_key  TEXT        NOT NULL,
    personio_name TEXT        NOT NULL,
    team_id       BIGINT      NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, source, personio_key)
);
CREATE INDEX team_mappings_team ON team_mappings (team_id);

-- +goose Down
DROP TABLE team_mappings;
