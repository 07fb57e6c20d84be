// Package linking holds the "Link existing employees" use cases: matching
// Roster users that are not linked yet to Personio employees by email, and
// linking them (applying the employee's name, title and mapped team).
package linking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/teammap"
)

// MaxSearch is the most employees SearchEmployees returns.
const MaxSearch = 20

// Service runs the linking use cases.
type Service struct {
	store *store.Store
	now   func() time.Time
	log   *slog.Logger
}

// New builds the service.
func New(st *store.Store, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, now: now, log: log}
}

// normEmail lower-cases and trims an email, as the mirror stores it.
func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Change is one field a link will change: Old → New.
type Change struct {
	Old, New string
}

// Changed reports a value that differs.
func (c Change) Changed() bool { return c.Old != c.New }

// Preview is what linking a user to an employee changes.
type Preview struct {
	Name           Change
	JobTitle       Change
	HireDate       Change
	LastWorkingDay Change
	// Fields are every managed field the link changes (Diff).
	Fields []FieldChange
	// Manager is the name of the user linked to the employee's supervisor
	// (the user's manager after linking); "" when the employee has no
	// supervisor or the supervisor is not in Roster (SupervisorMissing).
	Manager           string
	SupervisorMissing bool
	// Team is the Roster team the employee's Personio unit maps to; "" when
	// the unit is not mapped (or the employee has none).
	Team     string
	Unit     string // the employee's Personio team or department
	Unmapped bool
}

// Match is a user with exactly one matching employee.
type Match struct {
	User     store.User
	Employee store.HREmployee
	Preview  Preview
}

// Ambiguous is a user whose email several employees share.
type Ambiguous struct {
	User      store.User
	Employees []store.HREmployee
}

// Result groups the organisation's unlinked users.
type Result struct {
	Matches   []Match
	Ambiguous []Ambiguous
	NoMatch   []store.User
}

// preview is what linking u to e changes; supervisors maps the Personio
// ids of supervisors to the names of the users linked to them.
func preview(m *teammap.Resolver, u *store.User, e *store.HREmployee, supervisors map[int64]string) Preview {
	cur, next := UserFields(u), EmployeeFields(e)
	if next.Name == "" {
		next.Name = cur.Name
	}
	p := Preview{
		Name:           Change{Old: cur.Name, New: next.Name},
		JobTitle:       Change{Old: cur.JobTitle, New: next.JobTitle},
		HireDate:       Change{Old: cur.HireDate, New: next.HireDate},
		LastWorkingDay: Change{Old: cur.LastWorkingDay, New: next.LastWorkingDay},
		Fields:         Diff(cur, next),
	}
	if e.SupervisorID != nil && *e.SupervisorID != e.PersonioID {
		p.Manager = supervisors[*e.SupervisorID]
		p.SupervisorMissing = p.Manager == ""
	}
	unit, team, mapped := m.TeamOf(e)
	p.Unit, p.Team, p.Unmapped = unit, team, !mapped
	return p
}

// supervisorNames maps the supervisors of the employees to the names of
// the not deactivated users linked to them; extra (Personio id → user
// name) adds users about to be linked.
func supervisorNames(ctx context.Context, st *store.Store, orgID int64, emps []*store.HREmployee, extra map[int64]string) (map[int64]string, error) {
	var ids []int64
	for _, e := range emps {
		if e.SupervisorID != nil {
			ids = append(ids, *e.SupervisorID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	linked, err := st.LinkedUsers(ctx, orgID, ids)
	if err != nil {
		return nil, fmt.Errorf("load supervisors: %w", err)
	}
	out := make(map[int64]string, len(linked)+len(extra))
	for pid, n := range extra {
		out[pid] = n
	}
	for pid, u := range linked {
		if u.Status != store.StatusDeactivated {
			out[pid] = u.Name
		}
	}
	return out, nil
}

// EmployeeName is the user name a link (and a later sync) applies: first and last name.
func EmployeeName(e *store.HREmployee) string {
	n := strings.TrimSpace(strings.TrimSpace(e.FirstName) + " " + strings.TrimSpace(e.LastName))
	if n == "" {
		n = e.DisplayName()
	}
	return n
}

// Candidates matches every unlinked, not deactivated user of the
// organisation to the live, unlinked employees with the same email.
func (s *Service) Candidates(ctx context.Context, a roster.Actor) (*Result, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	users, err := s.store.UnlinkedUsers(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	emails := make([]string, 0, len(users))
	for _, u := range users {
		if e := normEmail(u.Email); e != "" {
			emails = append(emails, e)
		}
	}
	slices.Sort(emails)
	emails = slices.Compact(emails)
	emps, err := s.store.UnlinkedHREmployeesByEmail(ctx, a.OrgID, emails)
	if err != nil {
		return nil, err
	}
	byEmail := map[string][]store.HREmployee{}
	for _, e := range emps {
		k := normEmail(e.Email)
		byEmail[k] = append(byEmail[k], e)
	}
	m, err := teammap.LoadResolver(ctx, s.store, a.OrgID)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	type pair struct {
		u *store.User
		e *store.HREmployee
	}
	var matched []pair
	for i := range users {
		u := &users[i]
		es := byEmail[normEmail(u.Email)]
		switch {
		case normEmail(u.Email) == "" || len(es) == 0:
			res.NoMatch = append(res.NoMatch, *u)
		case len(es) == 1:
			matched = append(matched, pair{u: u, e: &es[0]})
		default:
			res.Ambiguous = append(res.Ambiguous, Ambiguous{User: *u, Employees: es})
		}
	}
	sel := make([]*store.HREmployee, len(matched))
	pending := make(map[int64]string, len(matched))
	for i, p := range matched {
		sel[i] = p.e
		pending[p.e.PersonioID] = EmployeeFields(p.e).Name
		if pending[p.e.PersonioID] == "" {
			pending[p.e.PersonioID] = p.u.Name
		}
	}
	sups, err := supervisorNames(ctx, s.store, a.OrgID, sel, pending)
	if err != nil {
		return nil, err
	}
	for _, p := range matched {
		res.Matches = append(res.Matches, Match{User: *p.u, Employee: *p.e, Preview: preview(m, p.u, p.e, sups)})
	}
	return res, nil
}

// SearchEmployees returns up to MaxSearch live, unlinked, not excluded employees whose
// name or email contains q (all of them, by name, when q is empty).
func (s *Service) SearchEmployees(ctx context.Context, a roster.Actor, q string) ([]store.HREmployee, error) {
	return s.UnlinkedEmployees(ctx, a, q, MaxSearch)
}

// UnlinkedEmployees is SearchEmployees with a chosen limit (the plain-form
// fallback lists more).
func (s *Service) UnlinkedEmployees(ctx context.Context, a roster.Actor, q string, limit int) ([]store.HREmployee, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	f := false
	es, _, err := s.store.ListHREmployees(ctx, a.OrgID, store.HREmployeeFilter{Query: strings.ToLower(strings.TrimSpace(q)), Linked: &f, Excluded: &f, Limit: limit})
	return es, err
}

// Pair links one user to one Personio employee.
type Pair struct {
	UserID     int64
	PersonioID int64
}

// Link links every pair in one transaction, applying the preview of each
// (the managed fields, the mapped team as a Personio membership — manual
// memberships stay — and the manager from the supervisor, with the roles
// that follow, as the sync does). Any invalid pair fails the whole call with a
// validation error, field "user_<id>", and nothing changes.
func (s *Service) Link(ctx context.Context, a roster.Actor, pairs []Pair) (int, error) {
	if err := a.RequireAdmin(); err != nil {
		return 0, err
	}
	if len(pairs) == 0 {
		return 0, nil
	}
	now := s.now().UTC()
	if _, ok := store.LineageOriginOf(ctx); !ok {
		ctx = store.WithLineageOrigin(ctx, store.LineageOrigin{Source: "linked by " + a.Name})
	}
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		m, err := teammap.LoadResolver(ctx, tx, a.OrgID)
		if err != nil {
			return err
		}
		p := roster.Problems{}
		seenUser, seenEmp := map[int64]bool{}, map[int64]bool{}
		type item struct {
			u *store.User
			e *store.HREmployee
		}
		items := make([]item, 0, len(pairs))
		for _, pr := range pairs {
			field := fmt.Sprintf("user_%d", pr.UserID)
			u, err := tx.User(ctx, a.OrgID, pr.UserID)
			switch {
			case errors.Is(err, roster.ErrNotFound):
				p.Add(field, fmt.Sprintf("User %d is not a user of your organisation.", pr.UserID))
				continue
			case err != nil:
				return err
			case u.PersonioID != nil:
				p.Add(field, fmt.Sprintf("%s is already linked to a Personio employee.", u.Name))
				continue
			case u.Status == store.StatusDeactivated:
				p.Add(field, fmt.Sprintf("%s is deactivated.", u.Name))
				continue
			case seenUser[u.ID]:
				p.Add(field, fmt.Sprintf("%s was chosen twice.", u.Name))
				continue
			}
			seenUser[u.ID] = true
			e, err := tx.HREmployee(ctx, a.OrgID, pr.PersonioID)
			switch {
			case errors.Is(err, roster.ErrNotFound):
				p.Add(field, fmt.Sprintf("Personio employee %d is not in the synced data.", pr.PersonioID))
				continue
			case err != nil:
				return err
			case e.Removed():
				p.Add(field, fmt.Sprintf("%s was removed from Personio.", e.DisplayName()))
				continue
			case seenEmp[e.PersonioID]:
				p.Add(field, fmt.Sprintf("%s was chosen for two users.", e.DisplayName()))
				continue
			}
			excluded, err := tx.ExcludedHREmployees(ctx, a.OrgID, []int64{e.PersonioID})
			if err != nil {
				return err
			}
			if excluded[e.PersonioID] {
				p.Add(field, fmt.Sprintf("%s is excluded from the sync.", e.DisplayName()))
				continue
			}
			linked, err := tx.LinkedUsers(ctx, a.OrgID, []int64{e.PersonioID})
			if err != nil {
				return err
			}
			if other, ok := linked[e.PersonioID]; ok {
				p.Add(field, fmt.Sprintf("%s is already linked to %s.", e.DisplayName(), other.Name))
				continue
			}
			seenEmp[e.PersonioID] = true
			items = append(items, item{u: u, e: e})
		}
		if err := p.Err(); err != nil {
			return err
		}
		emps := make([]*store.HREmployee, len(items))
		pending := make(map[int64]string, len(items))
		for i, it := range items {
			emps[i] = it.e
			if n := EmployeeFields(it.e).Name; n != "" {
				pending[it.e.PersonioID] = n
			} else {
				pending[it.e.PersonioID] = it.u.Name
			}
		}
		sups, err := supervisorNames(ctx, tx, a.OrgID, emps, pending)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(items))
		for _, it := range items {
			pv := preview(m, it.u, it.e, sups)
			fields := Updates(pv.Fields, now)
			if fields == nil {
				fields = map[string]any{"personio_synced_at": now}
			}
			fields["personio_id"] = it.e.PersonioID
			if err := tx.UpdateUserFields(ctx, a.OrgID, it.u.ID, fields); err != nil {
				return fmt.Errorf("link user %d: %w", it.u.ID, err)
			}
			if err := tx.RecordLineage(ctx, a.OrgID, a.Name, now, Lineage(it.u.ID, pv.Fields)); err != nil {
				return err
			}
			team := fmt.Sprintf("%q", pv.Team)
			if pv.Unmapped {
				team = "unmapped"
			}
			details := []string{fmt.Sprintf("Personio employee %d", it.e.PersonioID)}
			details = append(details, Details(pv.Fields)...)
			details = append(details, "team "+team)
			if err := tx.AddAudit(ctx, store.NewAuditEvent(a, "user.linked", "user", it.u.ID, it.u.Email, strings.Join(details, "; "), now)); err != nil {
				return err
			}
			ids = append(ids, it.u.ID)
		}
		if _, err := teammap.ReassignUsers(ctx, tx, a.OrgID, ids, now); err != nil {
			return err
		}
		_, err = ApplyManagers(ctx, tx, a, now)
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(pairs), nil
}
