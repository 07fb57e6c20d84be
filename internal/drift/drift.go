// Package drift holds the drift report: where Roster and the Personio
// mirror disagree (users no employee matches, employees without a user,
// email mismatches, manual edits the next sync will overwrite, team
// mappings that point nowhere), and the one-click fix of each row, each
// going through the use case that owns the change (linking, hrinvite,
// teammap) or, for the email, through this package with validation and an
// audit event.
package drift

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/hrinvite"
	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/teammap"
)

// PageSize is the number of rows per section page.
const PageSize = 50

// Audit actions of the fixes this package makes itself.
const (
	ActionEmailFromPersonio   = "user.email_from_personio"
	ActionAppliedFromPersonio = "user.updated_from_personio"
	ActionMappingRemoved      = "hr.team_mapping_removed"
)

// ExcludeReason is the reason recorded when "Exclude from sync" keeps a
// user's values edited in Roster.
const ExcludeReason = "Keep the values edited in Roster (drift report)"

// Options are the service's dependencies.
type Options struct {
	Store   *store.Store
	Linking *linking.Service
	Invite  *hrinvite.Service
	TeamMap *teammap.Service
	Now     func() time.Time
	Log     *slog.Logger
}

// Service runs the drift report and its fixes.
type Service struct {
	store  *store.Store
	link   *linking.Service
	invite *hrinvite.Service
	tmap   *teammap.Service
	now    func() time.Time
	log    *slog.Logger
}

// New builds the service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: o.Store, link: o.Linking, invite: o.Invite, tmap: o.TeamMap, now: o.Now, log: o.Log}
}

// Pages are the requested page of each section (values below 1 are 1).
type Pages struct {
	Users, Employees, Emails, Overwrites, Mappings int
}

// Section is the paging of one category.
type Section struct {
	Total       int64
	Page, Pages int
}

func section(total int64, page int) Section {
	return Section{Total: total, Page: page, Pages: int((total + PageSize - 1) / PageSize)}
}

// Overwrite is a linked user whose values differ from their employee's:
// the next sync that touches the employee replaces Old by New.
type Overwrite struct {
	UserID       int64
	UserName     string
	UserEmail    string
	PersonioID   int64
	EmployeeName string
	Changes      []linking.FieldChange
}

// Mapping is a team mapping that points nowhere: its Roster team was
// deleted (TeamMissing) or its Personio unit is no longer in the live,
// in-scope mirror (UnitGone), or both.
type Mapping struct {
	ID           int64
	Key          string
	PersonioName string
	TeamID       int64
	TeamName     string // "" when TeamMissing
	TeamMissing  bool
	UnitGone     bool
}

// Report is the drift report of one organisation.
type Report struct {
	Users      []store.User
	UsersPage  Section
	Employees  []hrinvite.Row
	EmpPage    Section
	Emails     []store.DriftEmailRow
	EmailsPage Section
	Overwrites []Overwrite
	OverPage   Section
	Mappings   []Mapping
	MapPage    Section
	Source     string          // the team source of the mappings
	Teams      []store.TeamRow // the organisation's Roster teams (to remap)
}

// Problems is the number of rows over every section.
func (r *Report) Problems() int64 {
	return r.UsersPage.Total + r.EmpPage.Total + r.EmailsPage.Total + r.OverPage.Total + r.MapPage.Total
}

func pageOf(p int) int {
	if p < 1 {
		return 1
	}
	return p
}

// window returns the page of rows (PageSize per page), clamping p.
func window[T any](rows []T, p int) []T {
	from := (p - 1) * PageSize
	if from >= len(rows) {
		return nil
	}
	return rows[from:min(from+PageSize, len(rows))]
}

// Report builds the drift report: one page of each section. It runs a
// fixed number of queries whatever the size of the organisation.
func (s *Service) Report(ctx context.Context, a roster.Actor, p Pages) (*Report, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	r := &Report{}
	p.Users, p.Employees, p.Emails, p.Overwrites, p.Mappings = pageOf(p.Users), pageOf(p.Employees), pageOf(p.Emails), pageOf(p.Overwrites), pageOf(p.Mappings)

	users, n, err := s.store.DriftUnmatchedUsers(ctx, a.OrgID, PageSize, (p.Users-1)*PageSize)
	if err != nil {
		return nil, err
	}
	r.Users, r.UsersPage = users, section(n, p.Users)

	inv, err := s.invite.List(ctx, a, hrinvite.Filter{}, p.Employees)
	if err != nil {
		return nil, err
	}
	r.Employees, r.EmpPage = inv.Rows, section(inv.Total, p.Employees)

	emails, n, err := s.store.DriftEmailMismatches(ctx, a.OrgID, PageSize, (p.Emails-1)*PageSize)
	if err != nil {
		return nil, err
	}
	r.Emails, r.EmailsPage = emails, section(n, p.Emails)

	over, err := s.overwrites(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	r.Overwrites, r.OverPage = window(over, p.Overwrites), section(int64(len(over)), p.Overwrites)

	maps, err := s.mappings(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	r.Mappings, r.MapPage = window(maps.rows, p.Mappings), section(int64(len(maps.rows)), p.Mappings)
	r.Source = maps.source
	if r.Teams, err = s.store.ListTeams(ctx, a.OrgID); err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return r, nil
}

// overwrites lists every synced user whose managed fields differ from
// their employee's, by user name.
func (s *Service) overwrites(ctx context.Context, orgID int64) ([]Overwrite, error) {
	rows, err := s.store.DriftSyncedUsers(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []Overwrite
	for i := range rows {
		r := &rows[i]
		cur := linking.Fields{Name: r.UserName, JobTitle: r.UserJobTitle, HireDate: r.UserHireDate, LastWorkingDay: r.UserLastWorkingDay,
			TerminationDate: r.UserTerminationDate, CostCenter: r.UserCostCenter, PictureURL: r.UserPictureURL}
		cs := linking.Diff(cur, linking.EmployeeFields(&r.HREmployee))
		if len(cs) == 0 {
			continue
		}
		out = append(out, Overwrite{UserID: r.UserID, UserName: r.UserName, UserEmail: r.UserEmail, PersonioID: r.PersonioID,
			EmployeeName: r.HREmployee.DisplayName(), Changes: cs})
	}
	sortOverwrites(out)
	return out, nil
}

func sortOverwrites(out []Overwrite) {
	slices.SortStableFunc(out, func(a, b Overwrite) int {
		if c := strings.Compare(strings.ToLower(a.UserName), strings.ToLower(b.UserName)); c != 0 {
			return c
		}
		return cmp.Compare(a.UserID, b.UserID)
	})
}

type mappingSet struct {
	source string
	rows   []Mapping
	units  map[string]bool // live, in-scope unit keys
}

// mappings lists the mappings of the organisation's team source that
// point to a deleted Roster team or to a Personio unit no longer there.
func (s *Service) mappings(ctx context.Context, orgID int64) (*mappingSet, error) {
	settings, err := s.store.SyncSettings(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("load sync settings: %w", err)
	}
	source := teammap.Source(settings)
	units, err := s.store.HRUnits(ctx, orgID, source)
	if err != nil {
		return nil, err
	}
	ms, err := s.store.DriftMappings(ctx, orgID, source)
	if err != nil {
		return nil, err
	}
	set := &mappingSet{source: source, units: make(map[string]bool, len(units))}
	for _, u := range units {
		set.units[u.Key] = true
	}
	for _, m := range ms {
		row := Mapping{ID: m.ID, Key: m.PersonioKey, PersonioName: m.PersonioName, TeamID: m.TeamID, TeamName: m.TeamName,
			TeamMissing: !m.TeamFound, UnitGone: !set.units[m.PersonioKey]}
		if row.TeamMissing || row.UnitGone {
			set.rows = append(set.rows, row)
		}
	}
	return set, nil
}

// ---- fixes ----

// User loads a user of the organisation (roster.ErrNotFound otherwise).
func (s *Service) User(ctx context.Context, a roster.Actor, userID int64) (*store.User, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	return s.store.User(ctx, a.OrgID, userID)
}

// LinkChoices returns the user to link and up to PageSize live, unlinked,
// not excluded employees whose name or email contains q.
func (s *Service) LinkChoices(ctx context.Context, a roster.Actor, userID int64, q string) (*store.User, []store.HREmployee, error) {
	u, err := s.User(ctx, a, userID)
	if err != nil {
		return nil, nil, err
	}
	es, err := s.link.UnlinkedEmployees(ctx, a, q, PageSize)
	if err != nil {
		return nil, nil, err
	}
	return u, es, nil
}

// Link links a user no employee matched to the chosen employee, through
// the linking use case (validated and audited there).
func (s *Service) Link(ctx context.Context, a roster.Actor, userID, personioID int64) (*store.User, error) {
	u, err := s.User(ctx, a, userID)
	if err != nil {
		return nil, err
	}
	if personioID <= 0 {
		return nil, &roster.ValidationError{Fields: map[string]string{"personio_id": "Choose a Personio employee."}}
	}
	if _, err := s.link.Link(ctx, a, []linking.Pair{{UserID: userID, PersonioID: personioID}}); err != nil {
		return nil, err
	}
	return u, nil
}

// employee loads an employee of the organisation's mirror.
func (s *Service) employee(ctx context.Context, a roster.Actor, personioID int64) (*store.HREmployee, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	return s.store.HREmployee(ctx, a.OrgID, personioID)
}

// Invite invites an employee without a Roster user through hrinvite.
func (s *Service) Invite(ctx context.Context, a roster.Actor, personioID int64) (*store.HREmployee, error) {
	e, err := s.employee(ctx, a, personioID)
	if err != nil {
		return nil, err
	}
	if _, err := s.invite.Invite(ctx, a, []int64{personioID}); err != nil {
		return nil, err
	}
	return e, nil
}

// Exclude excludes an employee from the sync through hrinvite; it reports
// whether it was not excluded yet.
func (s *Service) Exclude(ctx context.Context, a roster.Actor, personioID int64, reason string) (*store.HREmployee, bool, error) {
	if _, err := s.employee(ctx, a, personioID); err != nil {
		return nil, false, err
	}
	return s.invite.Exclude(ctx, a, personioID, reason)
}

// linked loads, inside st, a user of the organisation and the live
// employee linked to it; a user without one is a validation error.
func linked(ctx context.Context, st *store.Store, orgID, userID int64) (*store.User, *store.HREmployee, error) {
	u, err := st.User(ctx, orgID, userID)
	if err != nil {
		return nil, nil, err
	}
	if u.PersonioID == nil {
		return nil, nil, &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("%s is not linked to a Personio employee.", u.Name)}}
	}
	e, err := st.HREmployee(ctx, orgID, *u.PersonioID)
	switch {
	case errors.Is(err, roster.ErrNotFound):
		return nil, nil, &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("The Personio employee of %s is not in the synced data.", u.Name)}}
	case err != nil:
		return nil, nil, err
	case e.Removed():
		return nil, nil, &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("The Personio employee of %s was removed from Personio.", u.Name)}}
	}
	return u, e, nil
}

// UsePersonioEmail gives a linked user the email of their Personio
// employee, after checking it is a valid address no other user of the
// organisation has, and audits the change. It reports whether the email
// changed (false when it already was Personio's).
func (s *Service) UsePersonioEmail(ctx context.Context, a roster.Actor, userID int64) (*store.User, bool, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, false, err
	}
	now := s.now().UTC()
	var (
		user    *store.User
		changed bool
	)
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		u, e, err := linked(ctx, tx, a.OrgID, userID)
		if err != nil {
			return err
		}
		user = u
		email := accounts.NormalizeEmail(e.Email)
		if email == u.Email {
			return nil
		}
		if !accounts.ValidEmail(email) {
			return &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("Personio's email of %s (%q) is not a valid address; correct it in Personio.", u.Name, e.Email)}}
		}
		other, err := tx.UserByEmail(ctx, a.OrgID, email)
		switch {
		case err == nil && other.ID != u.ID:
			return &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("%s is already the email of %s; change one of them first.", email, other.Name)}}
		case err != nil && !errors.Is(err, roster.ErrNotFound):
			return err
		}
		if err := tx.UpdateUserFields(ctx, a.OrgID, u.ID, map[string]any{"email": email}); err != nil {
			return fmt.Errorf("update email of user %d: %w", u.ID, err)
		}
		changed = true
		details := fmt.Sprintf("Personio employee %d; email %q → %q", e.PersonioID, u.Email, email)
		return tx.AddAudit(ctx, store.NewAuditEvent(a, ActionEmailFromPersonio, "user", u.ID, email, details, now))
	})
	if err != nil {
		return nil, false, err
	}
	return user, changed, nil
}

// ApplyPersonio gives a linked user every managed field of their employee
// now (linking.Diff), as the next sync would, and audits the change. It
// returns the changes (none when the user already matched).
func (s *Service) ApplyPersonio(ctx context.Context, a roster.Actor, userID int64) (*store.User, []linking.FieldChange, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, nil, err
	}
	now := s.now().UTC()
	var (
		user *store.User
		cs   []linking.FieldChange
	)
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		u, e, err := linked(ctx, tx, a.OrgID, userID)
		if err != nil {
			return err
		}
		user = u
		cs = linking.Diff(linking.UserFields(u), linking.EmployeeFields(e))
		fields := linking.Updates(cs, now)
		if fields == nil {
			return nil
		}
		if err := tx.UpdateUserFields(ctx, a.OrgID, u.ID, fields); err != nil {
			return fmt.Errorf("apply personio values to user %d: %w", u.ID, err)
		}
		details := fmt.Sprintf("Personio employee %d; %s", e.PersonioID, strings.Join(linking.Details(cs), "; "))
		return tx.AddAudit(ctx, store.NewAuditEvent(a, ActionAppliedFromPersonio, "user", u.ID, u.Email, details, now))
	})
	if err != nil {
		return nil, nil, err
	}
	return user, cs, nil
}

// ExcludeUser excludes the employee linked to a user from the sync
// (hrinvite): the values edited in Roster stay. It reports whether the
// employee was not excluded yet.
func (s *Service) ExcludeUser(ctx context.Context, a roster.Actor, userID int64) (*store.User, bool, error) {
	u, err := s.User(ctx, a, userID)
	if err != nil {
		return nil, false, err
	}
	if u.PersonioID == nil {
		return nil, false, &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("%s is not linked to a Personio employee.", u.Name)}}
	}
	_, changed, err := s.invite.Exclude(ctx, a, *u.PersonioID, ExcludeReason)
	if err != nil {
		return nil, false, err
	}
	return u, changed, nil
}

// mapping loads a mapping of the organisation and whether its Personio
// unit is still in the mirror under the current team source.
func (s *Service) mapping(ctx context.Context, a roster.Actor, id int64) (*store.TeamMapping, bool, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, false, err
	}
	m, err := s.store.TeamMapping(ctx, a.OrgID, id)
	if err != nil {
		return nil, false, err
	}
	set, err := s.mappings(ctx, a.OrgID)
	if err != nil {
		return nil, false, err
	}
	return m, m.Source == set.source && set.units[m.PersonioKey], nil
}

// RemoveMapping removes a mapping. When its Personio unit is still there it
// goes through the Map teams use case (which takes the unit's users out of
// the team the mapping gave them, and audits); otherwise no user can be in
// it and the mapping is deleted here, audited.
func (s *Service) RemoveMapping(ctx context.Context, a roster.Actor, id int64) (*store.TeamMapping, error) {
	m, live, err := s.mapping(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if live {
		if _, err := s.tmap.Save(ctx, a, map[string]int64{m.PersonioKey: 0}); err != nil {
			return nil, err
		}
		return m, nil
	}
	now := s.now().UTC()
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.DeleteTeamMappingByID(ctx, a.OrgID, id); err != nil {
			return err
		}
		details := fmt.Sprintf("Personio %s %q (%s) no longer in Personio; mapping to team %d removed", m.Source, m.PersonioName, m.PersonioKey, m.TeamID)
		return tx.AddAudit(ctx, store.NewAuditEvent(a, ActionMappingRemoved, "team_mapping", m.ID, m.PersonioName, details, now))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Remap points a mapping whose Personio unit is still there to another
// Roster team, through the Map teams use case (validated, users moved,
// audited there).
func (s *Service) Remap(ctx context.Context, a roster.Actor, id, teamID int64) (*store.TeamMapping, error) {
	m, live, err := s.mapping(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !live {
		return nil, &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("The Personio %s %q is no longer in Personio; remove the mapping instead.", m.Source, m.PersonioName)}}
	}
	if teamID <= 0 {
		return nil, &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("Choose a Roster team for %s.", m.PersonioName)}}
	}
	if _, err := s.tmap.Save(ctx, a, map[string]int64{m.PersonioKey: teamID}); err != nil {
		return nil, err
	}
	return m, nil
}
