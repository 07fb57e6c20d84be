// Package hrinvite holds the "Invite users via HR" use cases: listing the
// Personio employees that are not in Roster yet and inviting them as
// invited users linked to their employee, in their mapped team.
package hrinvite

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/teammap"
)

// PageSize is the number of employees per page.
const PageSize = 50

// Service runs the invite-via-HR use cases.
type Service struct {
	store    *store.Store
	accounts *accounts.Service
	now      func() time.Time
	log      *slog.Logger
	// facets caches the mirror's filter choices until the mirror changes.
	facets store.MirrorCache[store.HREmployeeFacets]
}

// New builds the service; invitations go through acc.
func New(st *store.Store, acc *accounts.Service, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, accounts: acc, now: now, log: log}
}

// Filter narrows the list: Unit is a Personio team (or department, per the
// team-source setting) name, CostCenter a cost-center name, Query a part of
// the name or email.
type Filter struct {
	Query, Unit, CostCenter string
}

// Row is one invitable employee.
type Row struct {
	Employee store.HREmployee
	Unit     string // the employee's Personio team or department
	Team     string // the Roster team it will join; "" when unmapped
	Unmapped bool
	NoEmail  bool // cannot be invited
}

// Page is one page of invitable employees and the filter choices.
type Page struct {
	Rows        []Row
	Total       int64 // employees matching the filter
	Page, Pages int
	Source      string // store.TeamSourceTeam or TeamSourceDepartment
	Units       []string
	CostCenters []string
}

func row(m *teammap.Resolver, e store.HREmployee) Row {
	r := Row{Employee: e, NoEmail: !accounts.ValidEmail(e.Email)}
	unit, team, mapped := m.TeamOf(&e)
	r.Unit, r.Team, r.Unmapped = unit, team, !mapped
	return r
}

func filterOf(m *teammap.Resolver, f Filter) store.HREmployeeFilter {
	sf := store.HREmployeeFilter{Query: strings.ToLower(strings.TrimSpace(f.Query)), CostCenter: strings.TrimSpace(f.CostCenter)}
	if m.Source == store.TeamSourceDepartment {
		sf.Department = strings.TrimSpace(f.Unit)
	} else {
		sf.Team = strings.TrimSpace(f.Unit)
	}
	return sf
}

// today is the organisation's current date, in its time zone.
func (s *Service) today(ctx context.Context, orgID int64) string {
	loc := time.UTC
	if org, err := s.store.Organization(ctx, orgID); err == nil && org.TimeZone != "" {
		if l, err := time.LoadLocation(org.TimeZone); err == nil {
			loc = l
		}
	}
	return s.now().In(loc).Format(time.DateOnly)
}

// List returns one page of the employees that can be invited.
func (s *Service) List(ctx context.Context, a roster.Actor, f Filter, page int) (*Page, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	if page < 1 {
		page = 1
	}
	m, err := teammap.LoadResolver(ctx, s.store, a.OrgID)
	if err != nil {
		return nil, err
	}
	sf := filterOf(m, f)
	sf.Limit, sf.Offset = PageSize, (page-1)*PageSize
	es, total, err := s.store.ListInvitableHREmployees(ctx, a.OrgID, sf, s.today(ctx, a.OrgID))
	if err != nil {
		return nil, err
	}
	facets, err := s.Facets(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	out := &Page{Total: total, Page: page, Pages: int((total + PageSize - 1) / PageSize), Source: m.Source,
		Units: facets.Teams, CostCenters: facets.CostCenters}
	if m.Source == store.TeamSourceDepartment {
		out.Units = facets.Departments
	}
	for _, e := range es {
		out.Rows = append(out.Rows, row(m, e))
	}
	return out, nil
}

// Facets returns the distinct teams, departments, offices, cost centers
// and statuses of the organisation's live employees
// (store.HREmployeeFacets), computed once per change of the mirror. The
// lists are shared: do not modify them.
func (s *Service) Facets(ctx context.Context, orgID int64) (store.HREmployeeFacets, error) {
	return s.facets.Get(ctx, s.store, orgID, "", func(ctx context.Context) (store.HREmployeeFacets, error) {
		return s.store.HREmployeeFacets(ctx, orgID)
	})
}

// Invite invites the given employees in one transaction: each becomes an
// invited member linked to the employee, with every field Personio manages,
// the mapped team, the manager linked to their supervisor and, with
// "access from hire date", access from a hire date ahead
// (linking.CompleteInvited), and gets an invitation email. The automatic
// invitation of new hires goes through here too. Any employee
// that cannot be invited fails the whole call with a validation error
// (field "employee_<id>") and nothing changes. It returns how many were
// invited.
func (s *Service) Invite(ctx context.Context, a roster.Actor, personioIDs []int64) (int, error) {
	if err := a.RequireAdmin(); err != nil {
		return 0, err
	}
	ids := slices.Compact(slices.Sorted(slices.Values(personioIDs)))
	if len(ids) == 0 {
		return 0, &roster.ValidationError{Fields: map[string]string{"": "Select at least one employee to invite."}}
	}
	today := s.today(ctx, a.OrgID)
	now := s.now().UTC()
	var send func()
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		emps, err := tx.HREmployeesByIDs(ctx, a.OrgID, ids)
		if err != nil {
			return err
		}
		linked, err := tx.LinkedUsers(ctx, a.OrgID, ids)
		if err != nil {
			return err
		}
		excluded, err := tx.ExcludedHREmployees(ctx, a.OrgID, ids)
		if err != nil {
			return err
		}
		emails := make([]string, 0, len(emps))
		for _, e := range emps {
			if e.Email != "" {
				emails = append(emails, strings.ToLower(strings.TrimSpace(e.Email)))
			}
		}
		byEmail, err := tx.UsersByEmails(ctx, a.OrgID, emails)
		if err != nil {
			return err
		}
		p := roster.Problems{}
		seenEmail := map[string]string{}
		in := make([]accounts.InviteeInput, 0, len(ids))
		for _, id := range ids {
			field := fmt.Sprintf("employee_%d", id)
			e, ok := emps[id]
			if !ok {
				p.Add(field, fmt.Sprintf("Personio employee %d is not in the synced data.", id))
				continue
			}
			if excluded[id] {
				p.Add(field, fmt.Sprintf("%s is excluded from the sync.", e.DisplayName()))
				continue
			}
			email := strings.ToLower(strings.TrimSpace(e.Email))
			if msg := ineligible(&e, today, linked, byEmail, seenEmail); msg != "" {
				p.Add(field, msg)
				continue
			}
			seenEmail[email] = e.DisplayName()
			in = append(in, accounts.InviteeInput{Email: email, Name: linking.EmployeeName(&e), JobTitle: e.Position, PersonioID: e.PersonioID})
		}
		if err := p.Err(); err != nil {
			return err
		}
		users, sendFn, err := s.accounts.InviteEmployees(ctx, tx, a, in)
		if err != nil {
			return err
		}
		// The invitation sets name and job title; the rest of what Personio
		// manages, the first day of access, the mapped team and the manager
		// follow at once, as for new hires invited automatically.
		if err := linking.CompleteInvited(ctx, tx, a, users, emps, today, now); err != nil {
			return err
		}
		send = sendFn
		return nil
	})
	if err != nil {
		return 0, err
	}
	send()
	return len(ids), nil
}

// ineligible says why e cannot be invited today, or "".
func ineligible(e *store.HREmployee, today string, linked map[int64]store.User, byEmail map[string]store.User, seenEmail map[string]string) string {
	name := e.DisplayName()
	email := strings.ToLower(strings.TrimSpace(e.Email))
	switch {
	case e.Removed():
		return fmt.Sprintf("%s was removed from Personio.", name)
	case !e.InScope:
		return fmt.Sprintf("%s is outside the sync filters.", name)
	case e.Status == store.HRStatusInactive,
		e.TerminationDate != "" && e.TerminationDate < today,
		e.LastWorkingDay != "" && e.LastWorkingDay < today:
		return fmt.Sprintf("%s has left the company.", name)
	case !accounts.ValidEmail(email):
		return fmt.Sprintf("%s has no email address in Personio.", name)
	}
	if u, ok := linked[e.PersonioID]; ok {
		return fmt.Sprintf("%s is already in Roster as %s.", name, u.Email)
	}
	if u, ok := byEmail[email]; ok {
		return fmt.Sprintf("%s is already a user (%s).", email, u.Name)
	}
	if other, ok := seenEmail[email]; ok {
		return fmt.Sprintf("%s shares the email %s with %s; invite only one.", name, email, other)
	}
	return ""
}

// InviteAllMatching invites every employee matching f that can be invited
// (those without an email, or sharing one, are left out), as Invite does.
func (s *Service) InviteAllMatching(ctx context.Context, a roster.Actor, f Filter) (int, error) {
	if err := a.RequireAdmin(); err != nil {
		return 0, err
	}
	m, err := teammap.LoadResolver(ctx, s.store, a.OrgID)
	if err != nil {
		return 0, err
	}
	es, _, err := s.store.ListInvitableHREmployees(ctx, a.OrgID, filterOf(m, f), s.today(ctx, a.OrgID))
	if err != nil {
		return 0, err
	}
	// Employees sharing an email are left for the admin to choose from.
	count := map[string]int{}
	for _, e := range es {
		count[e.Email]++
	}
	ids := make([]int64, 0, len(es))
	for _, e := range es {
		if accounts.ValidEmail(e.Email) && count[e.Email] == 1 {
			ids = append(ids, e.PersonioID)
		}
	}
	if len(ids) == 0 {
		return 0, &roster.ValidationError{Fields: map[string]string{"": "No employee matching the filter can be invited."}}
	}
	return s.Invite(ctx, a, ids)
}
