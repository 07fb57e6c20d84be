-- +goose Up
-- What the admin pages need at 10,000 employees and 2,000 users under 16
-- clients (make bench, case 6): a change counter of the mirror for caching,
-- and indexes that answer the pages' queries without reading wide rows.

-- A change counter of the employee mirror per organisation, bumped by
-- triggers in the same transaction as every insert, update or delete of
-- hr_employees, whoever writes it (the sync, tests, a rolled-back preview:
-- its bump rolls back with it). Pages cache what they derive from the
-- whole mirror (filter facets, Personio teams with counts) under the
-- counter's value: a cached value is used only while the counter is
-- unchanged (make bench, case 6). The values come from a sequence, so a
-- value taken by a transaction that rolled back is never reused.
CREATE SEQUENCE mirror_version_seq;
-- No foreign key: deleting an organisation deletes its employees, whose
-- trigger then bumps the counter of an organisation that is going (ids are
-- never reused).
CREATE TABLE mirror_versions (
    org_id  BIGINT NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL
);

-- Statement-level triggers: one bump per statement (the sync writes up to
-- 200 rows per statement), for the organisations of its rows.
-- +goose StatementBegin
CREATE FUNCTION bump_mirror_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mirror_versions (org_id, version)
    SELECT o.org_id, nextval('mirror_version_seq') FROM (SELECT DISTINCT org_id FROM changed_rows) o
    ON CONFLICT (org_id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER hr_employees_version_insert AFTER INSERT ON hr_employees
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_mirror_version();
CREATE TRIGGER hr_employees_version_update AFTER UPDATE ON hr_employees
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_mirror_version();
CREATE TRIGGER hr_employees_version_delete AFTER DELETE ON hr_employees
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_mirror_version();

-- The org chart reads the reporting lines of every user (id, name,
-- status, manager) on every request: from this index alone, in id order.
CREATE INDEX users_org_lines ON users (org_id, id) INCLUDE (name, status, manager_id);

-- The users list in its order (LOWER(name), id): a page of a search that
-- matches many users walks this index and stops after the page, instead
-- of sorting every match.
CREATE INDEX users_org_lname ON users (org_id, LOWER(name), id);
-- Its count (a status and a search by name or email) reads the status
-- index alone: it holds the name and email too (replaces 00001's).
DROP INDEX users_org_status;
CREATE INDEX users_org_status ON users (org_id, status, name, email);

-- The live mirror's facets index (00012) also holds what Invite via HR
-- filters and orders by, so that counting the invitable employees of a
-- team and finding the ids of a page read this index alone (not 1,000
-- wide rows): in_scope, the last days, email and personio_id (for the
-- checks against exclusions and users), the name, and removed_at (always
-- NULL here, but a column of the query). Same number of indexes as
-- before: the sync writes no more of them.
DROP INDEX hr_employees_live_facets;
CREATE INDEX hr_employees_live_facets ON hr_employees (org_id, team_name, department_name, office_name, status, cost_center_names,
    in_scope, termination_date, last_working_day, email, personio_id, last_name, first_name, removed_at) WHERE removed_at IS NULL;

-- +goose Down
DROP INDEX hr_employees_live_facets;
CREATE INDEX hr_employees_live_facets ON hr_employees (org_id, team_name, department_name, office_name, status, cost_center_names) WHERE removed_at IS NULL;
DROP INDEX users_org_status;
CREATE INDEX users_org_status ON users (org_id, status);
DROP INDEX users_org_lname;
DROP INDEX users_org_lines;
DROP TRIGGER hr_employees_version_delete ON hr_employees;
DROP TRIGGER hr_employees_version_update ON hr_employees;
DROP TRIGGER hr_employees_version_insert ON hr_employees;
DROP FUNCTION bump_mirror_version();
DROP TABLE mirror_versions;
DROP SEQUENCE mirror_version_seq;
