package linking

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/teammap"
)

// Audit actions of the manager sync.
const (
	ActionManagerChanged = "user.manager_changed"
	ActionRoleChanged    = "user.role_changed"
)

// Fields are the values of a user that Personio manages ("from Personio"):
// what linking and every later sync apply from the linked employee.
type Fields struct {
	Name, JobTitle                            string
	HireDate, LastWorkingDay, TerminationDate string
	CostCenter, PictureURL                    string
}

// UserFields returns the user's current values of the managed fields.
func UserFields(u *store.User) Fields {
	return Fields{Name: u.Name, JobTitle: u.JobTitle, HireDate: u.HireDate, LastWorkingDay: u.LastWorkingDay,
		TerminationDate: u.TerminationDate, CostCenter: u.CostCenter, PictureURL: u.PictureURL}
}

// EmployeeFields returns what the employee gives the user linked to it; the
// cost center is the names of the employee's cost centers joined with ", ".
func EmployeeFields(e *store.HREmployee) Fields {
	var ccs []string
	for _, c := range e.CostCenterList() {
		if n := strings.TrimSpace(c.Name); n != "" {
			ccs = append(ccs, n)
		}
	}
	return Fields{Name: EmployeeName(e), JobTitle: e.Position, HireDate: e.HireDate, LastWorkingDay: e.LastWorkingDay,
		TerminationDate: e.TerminationDate, CostCenter: strings.Join(ccs, ", "), PictureURL: e.ProfilePictureURL}
}

// FieldChange is one managed field whose value a link or a sync changes.
type FieldChange struct {
	Column string // the users column
	Label  string // for the audit log
	Old    string
	New    string
}

// Detail renders the change for the audit log: label "old" → "new".
func (c FieldChange) Detail() string { return fmt.Sprintf("%s %q → %q", c.Label, c.Old, c.New) }

// Diff lists, in a fixed order, the fields whose employee value differs
// from the user's; an empty employee name never blanks the user's name.
func Diff(user, employee Fields) []FieldChange {
	var out []FieldChange
	add := func(col, label, old, new string) {
		if old != new {
			out = append(out, FieldChange{Column: col, Label: label, Old: old, New: new})
		}
	}
	if employee.Name != "" {
		add("name", "name", user.Name, employee.Name)
	}
	add("job_title", "job title", user.JobTitle, employee.JobTitle)
	add("hire_date", "hire date", user.HireDate, employee.HireDate)
	add("last_working_day", "last working day", user.LastWorkingDay, employee.LastWorkingDay)
	add("termination_date", "termination date", user.TerminationDate, employee.TerminationDate)
	add("cost_center", "cost center", user.CostCenter, employee.CostCenter)
	add("picture_url", "picture", user.PictureURL, employee.PictureURL)
	return out
}

// Updates is the column map that applies the changes, with
// personio_synced_at = now (nil when nothing changes).
func Updates(cs []FieldChange, now time.Time) map[string]any {
	if len(cs) == 0 {
		return nil
	}
	m := make(map[string]any, len(cs)+1)
	for _, c := range cs {
		m[c.Column] = c.New
	}
	m["personio_synced_at"] = now.UTC()
	return m
}

// Details joins the audit details of the changes with "; ".
func Details(cs []FieldChange) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Detail()
	}
	return out
}

// managerChange is what ApplyManagers changes on one user.
type managerChange struct {
	row           *store.ManagerRow
	setManager    bool
	manager       *int64 // the new manager (nil: cleared)
	setRole       bool
	role, roleSrc string
	reports       int
}

// planManagers computes, from every user of an organisation, the manager
// each linked user gets from their employee's supervisor and the roles
// that follow (a member with reports becomes a manager; a manager the sync
// made goes back to member when no report is left). Users that do not
// change are left out.
func planManagers(rows []store.ManagerRow) []*managerChange {
	byPersonio := make(map[int64]int64, len(rows))
	for i := range rows {
		r := &rows[i]
		if r.PersonioID != nil && r.Status != store.StatusDeactivated {
			byPersonio[*r.PersonioID] = r.UserID
		}
	}
	changes := map[int64]*managerChange{}
	reports := map[int64]int{}
	for i := range rows {
		r := &rows[i]
		if r.Status == store.StatusDeactivated {
			continue
		}
		linked := r.PersonioID != nil && r.EmployeeRowID != nil
		frozen := r.PersonioID != nil && (r.ExcludedID != nil || (linked && (r.InScope == nil || !*r.InScope)))
		finalID, finalSrc := r.ManagerID, r.ManagerSource
		switch {
		case frozen:
		case linked:
			var want int64
			if r.SupervisorID != nil {
				want = byPersonio[*r.SupervisorID]
			}
			if want == r.UserID {
				want = 0
			}
			if want != 0 && (r.ManagerID == nil || *r.ManagerID != want || r.ManagerSource != store.SourcePersonio) {
				changes[r.UserID] = &managerChange{row: r, setManager: true, manager: &want}
				finalID, finalSrc = &want, store.SourcePersonio
			} else if want == 0 && r.ManagerSource == store.SourcePersonio && r.ManagerID != nil {
				changes[r.UserID] = &managerChange{row: r, setManager: true}
				finalID, finalSrc = nil, ""
			}
		case r.ManagerSource == store.SourcePersonio && r.ManagerID != nil:
			// No live employee any more (unlinked or removed from Personio).
			changes[r.UserID] = &managerChange{row: r, setManager: true}
			finalID, finalSrc = nil, ""
		}
		if finalID != nil && finalSrc == store.SourcePersonio {
			reports[*finalID]++
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.Status == store.StatusDeactivated {
			continue
		}
		n := reports[r.UserID]
		var role, src string
		switch {
		case n > 0 && r.Role == store.RoleMember:
			role, src = store.RoleManager, store.SourcePersonio
		case n == 0 && r.Role == store.RoleManager && r.RoleSource == store.SourcePersonio:
			role, src = store.RoleMember, ""
		default:
			continue
		}
		c := changes[r.UserID]
		if c == nil {
			c = &managerChange{row: r}
			changes[r.UserID] = c
		}
		c.setRole, c.role, c.roleSrc, c.reports = true, role, src, n
	}
	out := make([]*managerChange, 0, len(changes))
	for _, c := range changes {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *managerChange) int { return cmp.Compare(a.row.UserID, b.row.UserID) })
	return out
}

// ApplyManagers gives every linked, not deactivated user of the
// organisation the user linked to their employee's supervisor as manager
// (source "personio"), clears a manager the sync set when the relation
// went or the supervisor is not in Roster, and adjusts roles: a member
// with reports becomes a manager, a manager the sync made goes back to
// member without reports; owners, admins and managers appointed in Roster
// are never touched. It loads the organisation once, writes only the
// users that change (grouped, in chunks), audits each change with actor a and
// returns the number of users changed. Run it inside a transaction.
func ApplyManagers(ctx context.Context, tx *store.Store, a roster.Actor, now time.Time) (int, error) {
	rows, err := tx.ManagerRows(ctx, a.OrgID)
	if err != nil {
		return 0, err
	}
	plan := planManagers(rows)
	if len(plan) == 0 {
		return 0, nil
	}
	names := make(map[int64]string, len(rows))
	for _, r := range rows {
		names[r.UserID] = r.Name
	}
	label := func(id *int64) string {
		if id == nil {
			return "none"
		}
		return fmt.Sprintf("%q", names[*id])
	}
	byManager := map[int64][]int64{}
	var cleared []int64
	byRole := map[[2]string][]int64{}
	var events []store.AuditEvent
	var lineage []store.LineageChange
	for _, c := range plan {
		r := c.row
		prefix := ""
		if r.PersonioID != nil {
			prefix = fmt.Sprintf("Personio employee %d; ", *r.PersonioID)
		}
		if c.setManager {
			if c.manager != nil {
				byManager[*c.manager] = append(byManager[*c.manager], r.UserID)
			} else {
				cleared = append(cleared, r.UserID)
			}
			details := prefix + fmt.Sprintf("manager %s → %s", label(r.ManagerID), label(c.manager))
			events = append(events, *store.NewAuditEvent(a, ActionManagerChanged, "user", r.UserID, r.Email, details, now))
			lineage = append(lineage, store.LineageChange{UserID: r.UserID, Field: store.LineageManager, Old: userName(names, r.ManagerID), New: userName(names, c.manager)})
		}
		if c.setRole {
			k := [2]string{c.role, c.roleSrc}
			byRole[k] = append(byRole[k], r.UserID)
			why := "no reports left in Personio"
			if c.reports > 0 {
				why = fmt.Sprintf("supervises %d in Personio", c.reports)
			}
			details := prefix + fmt.Sprintf("role %s → %s (%s)", r.Role, c.role, why)
			events = append(events, *store.NewAuditEvent(a, ActionRoleChanged, "user", r.UserID, r.Email, details, now))
			lineage = append(lineage, store.LineageChange{UserID: r.UserID, Field: store.LineageRole, Old: r.Role, New: c.role})
		}
	}
	for _, m := range slices.Sorted(maps.Keys(byManager)) {
		if err := tx.SetUsersManager(ctx, a.OrgID, byManager[m], &m, store.SourcePersonio, now); err != nil {
			return 0, err
		}
	}
	if err := tx.SetUsersManager(ctx, a.OrgID, cleared, nil, "", now); err != nil {
		return 0, err
	}
	for k, ids := range byRole {
		if err := tx.SetUsersRole(ctx, a.OrgID, ids, k[0], k[1], now); err != nil {
			return 0, err
		}
	}
	if err := tx.AddAudits(ctx, events); err != nil {
		return 0, err
	}
	if err := tx.RecordLineage(ctx, a.OrgID, a.Name, now, lineage); err != nil {
		return 0, err
	}
	return len(plan), nil
}

// userName is the lineage value of a manager: their name, "" for none.
func userName(names map[int64]string, id *int64) string {
	if id == nil {
		return ""
	}
	return names[*id]
}

// Lineage lists the field changes of user as lineage changes (field: the
// users column).
func Lineage(userID int64, cs []FieldChange) []store.LineageChange {
	out := make([]store.LineageChange, len(cs))
	for i, c := range cs {
		out[i] = store.LineageChange{UserID: userID, Field: c.Column, Old: c.Old, New: c.New}
	}
	return out
}

// CompleteInvited finishes, inside tx, users just invited for their Personio
// employee (emps, by Personio id), the same way for "Invite users via HR"
// and for the automatic invitation of new hires: every field Personio
// manages (Diff: hire date, last working day, termination date, cost
// center, picture; name and job title come with the invitation), the first
// day of access when "access from hire date" is on and the hire date is
// today or ahead (today is the organisation's date), the mapped team, and
// the managers (ApplyManagers: an invited user gets the user linked to
// their supervisor; an invited supervisor gets their reports).
func CompleteInvited(ctx context.Context, tx *store.Store, a roster.Actor, users []store.User, emps map[int64]store.HREmployee, today string, now time.Time) error {
	if len(users) == 0 {
		return nil
	}
	if _, ok := store.LineageOriginOf(ctx); !ok {
		ctx = store.WithLineageOrigin(ctx, store.LineageOrigin{Source: "invited by " + a.Name})
	}
	settings, err := tx.SyncSettings(ctx, a.OrgID)
	if err != nil {
		return fmt.Errorf("load sync settings: %w", err)
	}
	ids := make([]int64, 0, len(users))
	for i := range users {
		u := &users[i]
		if u.PersonioID == nil {
			return fmt.Errorf("complete invited user %d: not linked to an employee", u.ID)
		}
		e, ok := emps[*u.PersonioID]
		if !ok {
			return fmt.Errorf("complete invited user %d: Personio employee %d not loaded", u.ID, *u.PersonioID)
		}
		fields := Updates(Diff(UserFields(u), EmployeeFields(&e)), now)
		if settings.AccessFromHireDate && e.HireDate != "" && e.HireDate >= today {
			if fields == nil {
				fields = map[string]any{}
			}
			fields["access_from"] = e.HireDate
		}
		if fields != nil {
			if err := tx.UpdateUserFields(ctx, a.OrgID, u.ID, fields); err != nil {
				return fmt.Errorf("complete invited user %d: %w", u.ID, err)
			}
		}
		// The initial values, name and job title (set with the invitation)
		// included.
		if err := tx.RecordLineage(ctx, a.OrgID, a.Name, now, Lineage(u.ID, Diff(Fields{}, EmployeeFields(&e)))); err != nil {
			return err
		}
		ids = append(ids, u.ID)
	}
	if _, err := teammap.ReassignUsers(ctx, tx, a.OrgID, ids, now); err != nil {
		return err
	}
	_, err = ApplyManagers(ctx, tx, a, now)
	return err
}
