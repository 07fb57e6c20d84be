package orgchart

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/timetrack"
)

// Profile is a user's profile as the actor may see it.
//
// Visibility: the user themself, admins and owners, and the user's
// managers (up the reporting chain, or as manager or approver of one of
// the user's teams) see the full profile. Everyone else in the
// organisation sees what the org chart shows: name, title, teams, email,
// manager, start date and reports. Deactivated users are not in the chart:
// only full viewers see their profile; for others it does not exist.
type Profile struct {
	ID         int64
	Name       string
	Title      string
	Email      string
	HireDate   string
	Teams      []store.UserTeam
	Manager    *Ref // Name "" when the manager no longer exists
	Reports    []Ref
	HasPicture bool

	// Linked: the user is linked to a Personio employee, so the fields the
	// sync manages come from Personio (shown to everyone: it says where a
	// field comes from, nothing about the person).
	Linked              bool
	ManagerFromPersonio bool

	// Full is set when the actor sees the whole profile; the fields below
	// are empty otherwise.
	Full            bool
	Status          string
	Role            string
	LastWorkingDay  string
	TerminationDate string
	CostCenter      string
	SyncedAt        *time.Time
	// Activity: recent absences and this week's time (full profile only).
	Activity *Activity
}

// What the full profile shows of absences: those overlapping the last and
// next AbsenceWindowDays days, at most RecentAbsences of them.
const (
	AbsenceWindowDays = 90
	RecentAbsences    = 10
)

// Activity is a user's recent absences and time this week.
type Activity struct {
	// Absences: the live absences (pending, approved, to confirm,
	// confirmed) overlapping [From, To], latest start first, at most
	// RecentAbsences; MoreAbsences counts the ones left out.
	Absences     []store.AbsenceRow
	MoreAbsences int
	From, To     string // YYYY-MM-DD
	Week         Week
}

// Week is the current week (Monday to Sunday in the organisation's time
// zone) of a user's time entries with daily and weekly totals; running
// and rejected entries count towards no total.
type Week struct {
	Monday   time.Time
	Today    string // YYYY-MM-DD
	Days     []WeekDay
	Total    time.Duration
	Entries  int
	Location *time.Location
}

// WeekDay is one day of a Week.
type WeekDay struct {
	Date    time.Time
	Entries []store.ProfileTimeEntry
	Total   time.Duration
}

// Fields the employee sync manages on a linked user.
const (
	FieldName            = "name"
	FieldTitle           = "title"
	FieldHireDate        = "hire_date"
	FieldLastWorkingDay  = "last_working_day"
	FieldTerminationDate = "termination_date"
	FieldCostCenter      = "cost_center"
	FieldPicture         = "picture"
	FieldManager         = "manager"
)

// FromPersonio reports whether a field's value came from Personio: the
// user is linked and the sync manages the field (the manager only when the
// sync set it). Anything else (email, status, role, a manager set by hand)
// is Roster's.
func (p *Profile) FromPersonio(field string) bool {
	if !p.Linked {
		return false
	}
	switch field {
	case FieldName, FieldTitle, FieldHireDate, FieldLastWorkingDay, FieldTerminationDate, FieldCostCenter, FieldPicture:
		return true
	case FieldManager:
		return p.ManagerFromPersonio
	}
	return false
}

// Profile loads user id's profile for the actor; another organisation's
// user is ErrNotFound.
func (s *Service) Profile(ctx context.Context, a roster.Actor, id int64) (*Profile, error) {
	u, err := s.store.User(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	ch, err := s.load(ctx, a)
	if err != nil {
		return nil, err
	}
	full := a.UserID == id || a.IsAdmin() || ch.managesUpChain(a.UserID, id)
	if !full {
		if full, err = s.store.IsManagerOf(ctx, a.OrgID, a.UserID, id); err != nil {
			return nil, err
		}
	}
	if !full && u.Status == store.StatusDeactivated {
		return nil, roster.ErrNotFound
	}
	teams, err := s.store.TeamsOfUser(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	p := &Profile{ID: u.ID, Name: u.Name, Title: u.JobTitle, Email: u.Email, HireDate: u.HireDate, Teams: teams, HasPicture: u.PictureURL != "", Full: full,
		Linked: u.FromPersonio(), ManagerFromPersonio: u.ManagerSource == store.SourcePersonio}
	if u.ManagerID != nil && *u.ManagerID != 0 {
		// A manager outside the organisation has no name here (missing).
		m := ch.ref(*u.ManagerID)
		p.Manager = &m
	}
	for _, r := range ch.lines {
		if r.ManagerID == id && r.ID != id && r.Status != store.StatusDeactivated {
			p.Reports = append(p.Reports, ch.ref(r.ID))
		}
	}
	slices.SortFunc(p.Reports, func(x, y Ref) int {
		if c := strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)); c != 0 {
			return c
		}
		return int(x.ID - y.ID)
	})
	if full {
		p.Status, p.Role = u.Status, u.Role
		p.LastWorkingDay, p.TerminationDate, p.CostCenter = u.LastWorkingDay, u.TerminationDate, u.CostCenter
		p.SyncedAt = u.PersonioSyncedAt
		if p.Activity, err = s.activity(ctx, a.OrgID, id); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// activity loads user id's absences around today and time this week: one
// query each (plus the organisation's time zone).
func (s *Service) activity(ctx context.Context, orgID, id int64) (*Activity, error) {
	loc := time.UTC
	org, err := s.store.Organization(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("orgchart: organisation: %w", err)
	}
	if l, err := time.LoadLocation(org.TimeZone); err == nil {
		loc = l
	}
	now := s.now()
	t := now.In(loc)
	today := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	const day = "2006-01-02"
	act := &Activity{From: today.AddDate(0, 0, -AbsenceWindowDays).Format(day), To: today.AddDate(0, 0, AbsenceWindowDays).Format(day)}
	abs, err := s.store.AbsencesInRange(ctx, orgID, act.From, act.To, []int64{id})
	if err != nil {
		return nil, fmt.Errorf("orgchart: %w", err)
	}
	// Latest start first (the store lists them by start).
	slices.SortStableFunc(abs, func(x, y store.AbsenceRow) int {
		if c := strings.Compare(y.StartDate, x.StartDate); c != 0 {
			return c
		}
		return int(y.ID - x.ID)
	})
	if len(abs) > RecentAbsences {
		act.MoreAbsences = len(abs) - RecentAbsences
		abs = abs[:RecentAbsences]
	}
	act.Absences = abs

	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	w := Week{Monday: monday, Today: today.Format(day), Location: loc}
	for i := range 7 {
		w.Days = append(w.Days, WeekDay{Date: monday.AddDate(0, 0, i)})
	}
	es, err := s.store.ProfileTimeEntries(ctx, orgID, id, monday.Format(day), monday.AddDate(0, 0, 6).Format(day))
	if err != nil {
		return nil, fmt.Errorf("orgchart: %w", err)
	}
	for _, e := range es {
		d, err := time.ParseInLocation(day, e.Day, loc)
		if err != nil {
			continue
		}
		i := int(d.Sub(monday).Hours()/24 + 0.5)
		if i < 0 || i > 6 {
			continue
		}
		w.Days[i].Entries = append(w.Days[i].Entries, e)
		w.Entries++
		if e.EndAt != nil && e.Status != store.TimeRejected {
			worked := timetrack.Worked(&e.TimeEntry, now)
			w.Days[i].Total += worked
			w.Total += worked
		}
	}
	act.Week = w
	return act, nil
}

// managesUpChain reports whether manager is above id in the reporting
// lines (users.manager_id followed upwards, loops stopped).
func (ch *chart) managesUpChain(manager, id int64) bool {
	if manager == 0 || manager == id {
		return false
	}
	seen := map[int64]bool{id: true}
	for cur := ch.person(id).ManagerID; cur != 0 && !seen[cur]; cur = ch.person(cur).ManagerID {
		if cur == manager {
			return true
		}
		seen[cur] = true
	}
	return false
}
