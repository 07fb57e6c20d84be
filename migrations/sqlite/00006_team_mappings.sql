-- +goose Up
-- Maps a Personio team or department (by id, or by name when Personio has no
-- id for it) to a Roster team. Many Personio units may map to one Roster team.
CREATE TABLE team_mappings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    source        TEXT        NOT NULL,
    personio_key  TEXT        NOT NULL,
    personio_name TEXT        NOT NULL,
    team_id       INTEGER     NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    created_at    DATETIME    NOT NULL,
    updated_at    DATETIME    NOT NULL,
    UNIQUE (org_id, source, personio_key)
);
CREATE INDEX team_mappings_team ON team_mappings (team_id);

-- +goose Down
DROP TABLE team_mappings;
