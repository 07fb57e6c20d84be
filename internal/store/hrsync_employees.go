package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// HREmployee is the mirror of one employee of the organisation's HR system.
// Dates are "YYYY-MM-DD" ("" for none). CostCenters, Custom, Warnings and
// CheckWarnings hold JSON.
type HREmployee struct {
	ID                int64 `gorm:"primaryKey"`
	OrgID             int64
	PersonioID        int64
	FirstName         string
	LastName          string
	PreferredName     string
	Email             string // lower-cased and trimmed
	Status            string
	Position          string
	EmploymentType    string
	DepartmentID      int64
	DepartmentName    string
	TeamID            int64
	TeamName          string
	OfficeID          int64
	OfficeName        string
	SubcompanyID      int64
	SubcompanyName    string
	CostCenters       string // JSON list of HRCostCenter
	CostCenterNames   string // "|name|name|", for filtering
	SupervisorID      *int64
	HireDate          string
	LastWorkingDay    string
	TerminationDate   string
	ContractEndDate   string
	WeeklyHours       float64
	ProfilePictureURL string
	Custom            string // JSON object of the other attributes by key
	SearchText        string // lower-cased names and email, for search
	// RawHash is the hash of the normalised record (and its record
	// warnings); a sync writes a row only when it changes.
	RawHash string
	// InScope is false when the sync filters exclude the employee;
	// ScopeReason then names the filter (subcompany, status, office,
	// employment_type).
	InScope     bool
	ScopeReason string
	// Warnings are problems of the record itself (JSON list of
	// EmployeeWarning); CheckWarnings those found by comparing records
	// (duplicate email, unknown supervisor, cycle).
	Warnings          string
	CheckWarnings     string
	PersonioUpdatedAt *time.Time
	FirstSeenAt       time.Time
	LastSyncedAt      time.Time // last time the row changed
	LastRunID         int64     // run that last changed the row
	RemovedAt         *time.Time
}

// HRCostCenter is one cost center of an employee.
type HRCostCenter struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	Percentage float64 `json:"percentage"`
}

// EmployeeWarning is one problem with an employee's record.
type EmployeeWarning struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// DisplayName is the preferred name, or first and last name.
func (e *HREmployee) DisplayName() string {
	if e.PreferredName != "" {
		return e.PreferredName
	}
	return strings.TrimSpace(e.FirstName + " " + e.LastName)
}

// Removed reports an employee that disappeared from the HR system.
func (e *HREmployee) Removed() bool { return e.RemovedAt != nil }

// CostCenterList decodes CostCenters.
func (e *HREmployee) CostCenterList() []HRCostCenter {
	var cs []HRCostCenter
	_ = json.Unmarshal([]byte(e.CostCenters), &cs)
	return cs
}

// AllWarnings decodes Warnings and CheckWarnings.
func (e *HREmployee) AllWarnings() []EmployeeWarning {
	var a, b []EmployeeWarning
	_ = json.Unmarshal([]byte(e.Warnings), &a)
	_ = json.Unmarshal([]byte(e.CheckWarnings), &b)
	return append(a, b...)
}

// HREmployeeState is what a sync compares to decide whether a row changed.
type HREmployeeState struct {
	PersonioID  int64
	RawHash     string
	InScope     bool
	ScopeReason string
	Removed     bool
}

// HREmployeeStates loads the comparison state of the given employees.
func (s *Store) HREmployeeStates(ctx context.Context, orgID int64, personioIDs []int64) (map[int64]HREmployeeState, error) {
	out := make(map[int64]HREmployeeState, len(personioIDs))
	if len(personioIDs) == 0 {
		return out, nil
	}
	rows, err := s.ctx(ctx).Model(&HREmployee{}).
		Select("personio_id, raw_hash, in_scope, scope_reason, removed_at IS NOT NULL").
		Where("org_id = ? AND personio_id IN ?", orgID, personioIDs).Rows()
	if err != nil {
		return nil, fmt.Errorf("load employee states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st HREmployeeState
		if err := rows.Scan(&st.PersonioID, &st.RawHash, &st.InScope, &st.ScopeReason, &st.Removed); err != nil {
			return nil, fmt.Errorf("scan employee state: %w", err)
		}
		out[st.PersonioID] = st
	}
	return out, rows.Err()
}

// hrEmployeeInsertColumns are the columns UpsertHREmployees writes, in the
// order of hrEmployeeValues; all but the first three and first_seen_at are
// overwritten when the row exists.
var hrEmployeeInsertColumns = [...]string{
	"org_id", "personio_id", "first_seen_at",
	"first_name", "last_name", "preferred_name", "email", "status", "position", "employment_type",
	"department_id", "department_name", "team_id", "team_name", "office_id", "office_name",
	"subcompany_id", "subcompany_name", "cost_centers", "cost_center_names", "supervisor_id",
	"hire_date", "last_working_day", "termination_date", "contract_end_date", "weekly_hours",
	"profile_picture_url", "custom", "search_text", "raw_hash", "in_scope", "scope_reason", "warnings",
	"check_warnings", "personio_updated_at", "last_synced_at", "last_run_id", "removed_at",
}

// hrEmployeeKeep are inserted but never overwritten by UpsertHREmployees.
func hrEmployeeKeep(col string) bool {
	switch col {
	case "org_id", "personio_id", "first_seen_at", "check_warnings":
		return true
	}
	return false
}

func hrEmployeeValues(args []any, e *HREmployee) []any {
	var removed any
	if e.RemovedAt != nil {
		removed = e.RemovedAt.UTC()
	}
	var updated any
	if e.PersonioUpdatedAt != nil {
		updated = e.PersonioUpdatedAt.UTC()
	}
	var supervisor any
	if e.SupervisorID != nil {
		supervisor = *e.SupervisorID
	}
	checks := e.CheckWarnings
	if checks == "" {
		checks = "[]"
	}
	return append(args, e.OrgID, e.PersonioID, e.FirstSeenAt.UTC(),
		e.FirstName, e.LastName, e.PreferredName, e.Email, e.Status, e.Position, e.EmploymentType,
		e.DepartmentID, e.DepartmentName, e.TeamID, e.TeamName, e.OfficeID, e.OfficeName,
		e.SubcompanyID, e.SubcompanyName, e.CostCenters, e.CostCenterNames, supervisor,
		e.HireDate, e.LastWorkingDay, e.TerminationDate, e.ContractEndDate, e.WeeklyHours,
		e.ProfilePictureURL, e.Custom, e.SearchText, e.RawHash, e.InScope, e.ScopeReason, e.Warnings,
		checks, updated, e.LastSyncedAt.UTC(), e.LastRunID, removed)
}

// UpsertHREmployees inserts or overwrites the rows (by org_id and
// personio_id) with multi-row INSERT … ON CONFLICT statements. FirstSeenAt
// and CheckWarnings of existing rows are kept.
func (s *Store) UpsertHREmployees(ctx context.Context, rows []HREmployee) error {
	return s.writeHREmployees(ctx, rows, true)
}

// WriteHREmployees writes the rows of one sync transaction: existing holds
// the rows' current state, read in the same transaction (HREmployeeStates).
// On SQLite, whose write transactions exclude each other, the rows that do
// not exist are inserted with plain multi-row INSERTs, a third shorter
// without the ON CONFLICT clause (the driver parses every statement it
// executes: it keeps no prepared statements). Everything else is
// UpsertHREmployees.
func (s *Store) WriteHREmployees(ctx context.Context, rows []HREmployee, existing map[int64]HREmployeeState) error {
	if s.dialect != SQLite {
		return s.UpsertHREmployees(ctx, rows)
	}
	fresh := make([]HREmployee, 0, len(rows))
	var known []HREmployee
	for i := range rows {
		if _, ok := existing[rows[i].PersonioID]; ok {
			known = append(known, rows[i])
		} else {
			fresh = append(fresh, rows[i])
		}
	}
	if err := s.writeHREmployees(ctx, known, true); err != nil {
		return err
	}
	return s.writeHREmployees(ctx, fresh, false)
}

// sqliteRowsPerStatement is the number of rows per multi-row statement on
// SQLite: its driver binds parameters in time quadratic in their number.
const sqliteRowsPerStatement = 10

// writeHREmployees inserts the rows, upserting them if upsert is set.
//
// On SQLite, integers, booleans and NULLs are written into the statement as
// literals (the same values the driver would bind: integers, 1 or 0) and
// only the other values are bound, which makes the quadratic binding of its
// driver cheaper. PostgreSQL gets the same statement text for every chunk
// of the same size (its driver caches prepared statements by text).
func (s *Store) writeHREmployees(ctx context.Context, rows []HREmployee, upsert bool) error {
	per := 200
	literals := s.dialect == SQLite
	if literals {
		per = sqliteRowsPerStatement
	}
	what := "insert employees"
	if upsert {
		what = "upsert employees"
	}
	vals := make([]any, 0, len(hrEmployeeInsertColumns))
	var b strings.Builder
	for chunk := range slices.Chunk(rows, per) {
		b.Reset()
		b.WriteString(hrEmployeeInsertHead)
		args := make([]any, 0, len(chunk)*len(hrEmployeeInsertColumns))
		for i := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			vals = hrEmployeeValues(vals[:0], &chunk[i])
			args = appendTuple(&b, args, vals, literals)
		}
		if upsert {
			b.WriteString(hrEmployeeUpsertTail)
		}
		if err := s.ctx(ctx).Exec(b.String(), args...).Error; err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// appendTuple writes "(…)" for one row's values to b, with placeholders for
// the values it appends to args (all of them unless literals). No spaces:
// SQLite's tokenizer reads every one of them, on every execution.
func appendTuple(b *strings.Builder, args, vals []any, literals bool) []any {
	var num [24]byte
	b.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		if literals {
			switch x := v.(type) {
			case nil:
				b.WriteString("NULL")
				continue
			case int64:
				b.Write(strconv.AppendInt(num[:0], x, 10))
				continue
			case bool:
				if x {
					b.WriteByte('1')
				} else {
					b.WriteByte('0')
				}
				continue
			}
		}
		b.WriteByte('?')
		args = append(args, v)
	}
	b.WriteByte(')')
	return args
}

var (
	// hrEmployeeInsertHead starts the INSERT of UpsertHREmployees: the
	// value tuples follow.
	hrEmployeeInsertHead = "INSERT INTO hr_employees (" + strings.Join(hrEmployeeInsertColumns[:], ", ") + ") VALUES "
	// hrEmployeeUpsertTail follows the tuples of an upsert.
	hrEmployeeUpsertTail = func() string {
		var b strings.Builder
		b.WriteString(" ON CONFLICT (org_id, personio_id) DO UPDATE SET ")
		first := true
		for _, col := range hrEmployeeInsertColumns {
			if hrEmployeeKeep(col) {
				continue
			}
			if !first {
				b.WriteString(", ")
			}
			first = false
			b.WriteString(col + " = excluded." + col)
		}
		return b.String()
	}()
)

// AnalyzeHREmployees refreshes the planner statistics of the mirror after
// a bulk import (PostgreSQL; a no-op on SQLite, whose plans for the sync's
// queries do not depend on statistics). Without it, the first syncs after a
// large import can choose sequential scans until autovacuum catches up.
func (s *Store) AnalyzeHREmployees(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	if err := s.ctx(ctx).Exec("ANALYZE hr_employees").Error; err != nil {
		return fmt.Errorf("analyze hr_employees: %w", err)
	}
	return nil
}

// EachLiveHREmployeeID calls fn with batches of the personio ids of the
// organisation's employees that are not marked removed, in id order.
func (s *Store) EachLiveHREmployeeID(ctx context.Context, orgID int64, batch int, fn func(ids []int64) error) error {
	if batch <= 0 {
		batch = 5000
	}
	after := int64(-1 << 62)
	for {
		var ids []int64
		err := s.ctx(ctx).Model(&HREmployee{}).Where("org_id = ? AND removed_at IS NULL AND personio_id > ?", orgID, after).
			Order("personio_id").Limit(batch).Pluck("personio_id", &ids).Error
		if err != nil {
			return fmt.Errorf("list employee ids: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := fn(ids); err != nil {
			return err
		}
		if len(ids) < batch {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// MarkHREmployeesRemoved sets removed_at on the given live employees and
// returns how many rows it changed.
func (s *Store) MarkHREmployeesRemoved(ctx context.Context, orgID int64, personioIDs []int64, at time.Time, runID int64) (int64, error) {
	var n int64
	for chunk := range slices.Chunk(personioIDs, 500) {
		res := s.ctx(ctx).Model(&HREmployee{}).Where("org_id = ? AND removed_at IS NULL AND personio_id IN ?", orgID, chunk).
			Updates(map[string]any{"removed_at": at.UTC(), "last_synced_at": at.UTC(), "last_run_id": runID})
		if res.Error != nil {
			return n, fmt.Errorf("mark employees removed: %w", res.Error)
		}
		n += res.RowsAffected
	}
	return n, nil
}

// HREmailUse is one live employee whose email another live employee shares.
type HREmailUse struct {
	PersonioID int64
	Email      string
}

// DuplicateHREmails lists the live employees whose email is shared with
// another live employee, ordered by email and id.
func (s *Store) DuplicateHREmails(ctx context.Context, orgID int64) ([]HREmailUse, error) {
	dup := s.ctx(ctx).Model(&HREmployee{}).Select("email").
		Where("org_id = ? AND removed_at IS NULL AND email <> ''", orgID).Group("email").Having("COUNT(*) > 1")
	var out []HREmailUse
	err := s.ctx(ctx).Model(&HREmployee{}).Select("personio_id, email").
		Where("org_id = ? AND removed_at IS NULL AND email IN (?)", orgID, dup).
		Order("email, personio_id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("find duplicate emails: %w", err)
	}
	return out, nil
}

// HRSupervisorEdge is an employee and their supervisor.
type HRSupervisorEdge struct {
	PersonioID   int64
	SupervisorID int64
}

// UnknownHRSupervisors lists live employees whose supervisor is not a live
// employee of the mirror.
func (s *Store) UnknownHRSupervisors(ctx context.Context, orgID int64) ([]HRSupervisorEdge, error) {
	var out []HRSupervisorEdge
	err := s.ctx(ctx).Raw(`SELECT e.personio_id, e.supervisor_id FROM hr_employees e
WHERE e.org_id = ? AND e.removed_at IS NULL AND e.supervisor_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM hr_employees s
                  WHERE s.org_id = e.org_id AND s.personio_id = e.supervisor_id AND s.removed_at IS NULL)
ORDER BY e.personio_id`, orgID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("find unknown supervisors: %w", err)
	}
	return out, nil
}

// EachHRSupervisorEdge streams (employee, supervisor) of every live
// employee that has a supervisor.
func (s *Store) EachHRSupervisorEdge(ctx context.Context, orgID int64, fn func(HRSupervisorEdge) error) error {
	rows, err := s.ctx(ctx).Model(&HREmployee{}).Select("personio_id, supervisor_id").
		Where("org_id = ? AND removed_at IS NULL AND supervisor_id IS NOT NULL", orgID).Rows()
	if err != nil {
		return fmt.Errorf("list supervisor edges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e HRSupervisorEdge
		if err := rows.Scan(&e.PersonioID, &e.SupervisorID); err != nil {
			return fmt.Errorf("scan supervisor edge: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// HRCheckWarnings returns the non-empty check warnings (JSON) of the
// organisation's employees by personio id.
func (s *Store) HRCheckWarnings(ctx context.Context, orgID int64) (map[int64]string, error) {
	var rows []struct {
		PersonioID    int64
		CheckWarnings string
	}
	err := s.ctx(ctx).Model(&HREmployee{}).Select("personio_id, check_warnings").
		Where("org_id = ? AND check_warnings <> '[]' AND check_warnings <> ''", orgID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load check warnings: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.PersonioID] = r.CheckWarnings
	}
	return out, nil
}

// SetHRCheckWarnings writes the check warnings (JSON) of the given
// employees in one transaction and returns how many rows it changed.
func (s *Store) SetHRCheckWarnings(ctx context.Context, orgID int64, byID map[int64]string) (int64, error) {
	if len(byID) == 0 {
		return 0, nil
	}
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var n int64
	err := s.Tx(ctx, func(tx *Store) error {
		for _, id := range ids {
			res := tx.db.Model(&HREmployee{}).Where("org_id = ? AND personio_id = ?", orgID, id).
				Update("check_warnings", byID[id])
			if res.Error != nil {
				return res.Error
			}
			n += res.RowsAffected
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("set check warnings: %w", err)
	}
	return n, nil
}

// HREmployeeFilter selects mirrored employees. Zero fields do not filter.
type HREmployeeFilter struct {
	Query      string // name or email, case-insensitive substring
	Team       string
	Department string
	CostCenter string
	Office     string
	Status     string
	// InScope, when set, selects employees inside (true) or outside (false)
	// the sync filters.
	InScope *bool
	// WithWarnings selects employees that have at least one warning.
	WithWarnings bool
	// Linked, when set, selects employees with (true) or without (false) a
	// Roster user linked to them.
	Linked *bool
	// Excluded, when set, selects employees an admin excluded from the
	// sync (true) or not (false).
	Excluded *bool
	// IncludeRemoved also returns employees that disappeared from the HR
	// system.
	IncludeRemoved bool
	Limit          int
	Offset         int
}

func (s *Store) hrEmployeeQuery(ctx context.Context, orgID int64, f HREmployeeFilter) *gorm.DB {
	q := s.ctx(ctx).Model(&HREmployee{}).Where("org_id = ?", orgID)
	if !f.IncludeRemoved {
		q = q.Where("removed_at IS NULL")
	}
	if f.Query != "" {
		q = q.Where("search_text LIKE ? ESCAPE '\\'", like(f.Query))
	}
	if f.Team != "" {
		q = q.Where("team_name = ?", f.Team)
	}
	if f.Department != "" {
		q = q.Where("department_name = ?", f.Department)
	}
	if f.Office != "" {
		q = q.Where("office_name = ?", f.Office)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.CostCenter != "" {
		q = q.Where("cost_center_names LIKE ? ESCAPE '\\'", "%|"+escapeLike(f.CostCenter)+"|%")
	}
	if f.InScope != nil {
		q = q.Where("in_scope = ?", *f.InScope)
	}
	if f.WithWarnings {
		q = q.Where("(warnings <> '[]' OR check_warnings <> '[]')")
	}
	if f.Linked != nil {
		linked := "EXISTS (SELECT 1 FROM users u WHERE u.org_id = hr_employees.org_id AND u.personio_id = hr_employees.personio_id)"
		if *f.Linked {
			q = q.Where(linked)
		} else {
			q = q.Where("NOT " + linked)
		}
	}
	if f.Excluded != nil {
		if *f.Excluded {
			q = q.Where("NOT " + notExcludedSQL("hr_employees"))
		} else {
			q = q.Where(notExcludedSQL("hr_employees"))
		}
	}
	return q
}

// LinkedUsers maps personio ids of the organisation to the users linked to them.
func (s *Store) LinkedUsers(ctx context.Context, orgID int64, personioIDs []int64) (map[int64]User, error) {
	out := map[int64]User{}
	if len(personioIDs) == 0 {
		return out, nil
	}
	var us []User
	if err := s.ctx(ctx).Where("org_id = ? AND personio_id IN ?", orgID, personioIDs).Find(&us).Error; err != nil {
		return nil, err
	}
	for _, u := range us {
		out[*u.PersonioID] = u
	}
	return out, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListHREmployees returns a page of the organisation's mirrored employees
// ordered by name, and the number of matching employees.
func (s *Store) ListHREmployees(ctx context.Context, orgID int64, f HREmployeeFilter) ([]HREmployee, int64, error) {
	q := s.hrEmployeeQuery(ctx, orgID, f)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count employees: %w", err)
	}
	var es []HREmployee
	q = q.Order("last_name, first_name, personio_id")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	if err := q.Find(&es).Error; err != nil {
		return nil, 0, fmt.Errorf("list employees: %w", err)
	}
	return es, total, nil
}

// EachHREmployee streams the matching employees in personio id order, in
// batches, without holding them all (exports). Limit and Offset are ignored.
func (s *Store) EachHREmployee(ctx context.Context, orgID int64, f HREmployeeFilter, fn func(*HREmployee) error) error {
	f.Limit, f.Offset = 0, 0
	const batch = 500
	after := int64(-1 << 62)
	for {
		var es []HREmployee
		err := s.hrEmployeeQuery(ctx, orgID, f).Where("personio_id > ?", after).Order("personio_id").Limit(batch).Find(&es).Error
		if err != nil {
			return fmt.Errorf("stream employees: %w", err)
		}
		for i := range es {
			if err := fn(&es[i]); err != nil {
				return err
			}
		}
		if len(es) < batch {
			return nil
		}
		after = es[len(es)-1].PersonioID
	}
}

// HREmployee loads one mirrored employee by personio id.
func (s *Store) HREmployee(ctx context.Context, orgID, personioID int64) (*HREmployee, error) {
	var e HREmployee
	if err := s.ctx(ctx).Where("org_id = ? AND personio_id = ?", orgID, personioID).First(&e).Error; err != nil {
		return nil, notFound(err)
	}
	return &e, nil
}

// HREmployeeFacets are the distinct values of the live mirror, for filter
// selects.
type HREmployeeFacets struct {
	Teams, Departments, Offices, CostCenters, Statuses []string
}

// HREmployeeFacets returns the distinct teams, departments, offices, cost
// centers and statuses of the organisation's live employees.
func (s *Store) HREmployeeFacets(ctx context.Context, orgID int64) (HREmployeeFacets, error) {
	var f HREmployeeFacets
	// One pass over the live mirror for all five facets: the distinct
	// combinations are few (teams × departments × offices × statuses ×
	// cost-center sets), the rows many.
	var combos []struct {
		TeamName, DepartmentName, OfficeName, Status, CostCenterNames string
	}
	err := s.ctx(ctx).Model(&HREmployee{}).Where("org_id = ? AND removed_at IS NULL", orgID).
		Select("team_name, department_name, office_name, status, cost_center_names").
		Group("team_name, department_name, office_name, status, cost_center_names").Scan(&combos).Error
	if err != nil {
		return f, fmt.Errorf("list employee facets: %w", err)
	}
	seen := map[*[]string]map[string]bool{}
	add := func(dst *[]string, v string) {
		if v == "" {
			return
		}
		if seen[dst] == nil {
			seen[dst] = map[string]bool{}
		}
		if !seen[dst][v] {
			seen[dst][v] = true
			*dst = append(*dst, v)
		}
	}
	for _, c := range combos {
		add(&f.Teams, c.TeamName)
		add(&f.Departments, c.DepartmentName)
		add(&f.Offices, c.OfficeName)
		add(&f.Statuses, c.Status)
		for _, name := range strings.Split(strings.Trim(c.CostCenterNames, "|"), "|") {
			add(&f.CostCenters, name)
		}
	}
	for _, l := range [][]string{f.Teams, f.Departments, f.Offices, f.Statuses, f.CostCenters} {
		slices.Sort(l)
	}
	return f, nil
}

// CountHREmployees counts the organisation's live mirrored employees.
func (s *Store) CountHREmployees(ctx context.Context, orgID int64) (int64, error) {
	var n int64
	err := s.ctx(ctx).Model(&HREmployee{}).Where("org_id = ? AND removed_at IS NULL", orgID).Count(&n).Error
	return n, err
}
