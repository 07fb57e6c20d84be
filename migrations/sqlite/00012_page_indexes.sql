-- +goose Up
-- Indexes the pages need at 10,000 employees (make bench, case 6): the live
-- mirror's facets and counts are read from this index alone (HR employees,
-- Invite via HR).
CREATE INDEX hr_employees_live_facets ON hr_employees (org_id, team_name, department_name, office_name, status, cost_center_names) WHERE removed_at IS NULL;

-- The live mirror by name: the HR employees list (ordered, paginated) and
-- its count.
CREATE INDEX hr_employees_live_name ON hr_employees (org_id, last_name, first_name, personio_id) WHERE removed_at IS NULL;

-- They replace the two full indexes they cover (team filter, name order),
-- so that the sync, which writes every index of the mirror, pays no more.
DROP INDEX hr_employees_org_team;
DROP INDEX hr_employees_org_name;

-- +goose Down
CREATE INDEX hr_employees_org_name ON hr_employees (org_id, last_name, first_name);
CREATE INDEX hr_employees_org_team ON hr_employees (org_id, team_name);
DROP INDEX hr_employees_live_name;
DROP INDEX hr_employees_live_facets;
