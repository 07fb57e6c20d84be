// Package dashboard gathers what the home page shows an admin: the health
// of the HR connection, user counts, recent runs, and the joiners and
// leavers due in the next days (PRODUCT.md section 13, "Upcoming changes").
package dashboard

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

const (
	// Horizon is how many days ahead joiners and leavers are listed.
	Horizon = 30
	// ListLimit caps each upcoming list.
	ListLimit = 50
	// RecentRuns is how many runs are listed.
	RecentRuns = 5
	// FailureWindow is how far back failed runs are counted.
	FailureWindow = 7 * 24 * time.Hour
)

// Service reads the dashboard.
type Service struct {
	st   *store.Store
	now  func() time.Time
	runs RunLister
}

// RunLister lists an organisation's latest runs, newest first.
type RunLister func(ctx context.Context, orgID int64, limit int) ([]store.SyncRun, error)

// New builds a Service; now defaults to time.Now.
func New(st *store.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now, runs: st.ListSyncRuns}
}

// WithRuns makes the dashboard list runs through l (the sync engine's
// ListRuns, which first closes runs abandoned by a process that ended, so
// that a killed run does not show as running).
func (s *Service) WithRuns(l RunLister) *Service {
	s.runs = l
	return s
}

// Admin is the admin dashboard.
type Admin struct {
	Counts store.UserCounts
	Teams  int
	// Connected is set when the organisation has a live HR connection;
	// HasConnection when it ever had one.
	Connected, HasConnection bool
	// LastSuccess is the last successful employee run (nil: none yet);
	// LastRun the last run of any outcome.
	LastSuccess, LastRun *store.SyncRun
	Recent               []store.SyncRun
	// Failures counts failed runs of the last FailureWindow.
	Failures int64
	// Today, Until bound the upcoming lists ("YYYY-MM-DD", organisation's
	// time zone).
	Today, Until     string
	Joiners, Leavers []store.UpcomingEmployee
	Now              time.Time
}

// ForAdmin reads the admin dashboard in a fixed number of queries. loc is
// the organisation's time zone (the day the lists start).
func (s *Service) ForAdmin(ctx context.Context, a roster.Actor, loc *time.Location) (*Admin, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	now := s.now()
	d := &Admin{Now: now}
	var err error
	if d.Counts, err = s.st.CountUsersForDashboard(ctx, a.OrgID); err != nil {
		return nil, err
	}
	teams, err := s.st.ListTeams(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	d.Teams = len(teams)
	conn, err := s.st.HRConnection(ctx, a.OrgID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		d.HasConnection, d.Connected = true, conn.Status == store.ConnConnected
	}
	if d.Recent, err = s.runs(ctx, a.OrgID, 2*RecentRuns); err != nil {
		return nil, err
	}
	// Previews and refused applies changed nothing: the dashboard shows
	// the runs that did.
	d.Recent = slices.DeleteFunc(d.Recent, func(r store.SyncRun) bool { return r.AppliedNothing() })
	d.Recent = d.Recent[:min(len(d.Recent), RecentRuns)]
	if len(d.Recent) > 0 {
		d.LastRun = &d.Recent[0]
	}
	last, err := s.st.LastSuccessfulSyncRun(ctx, a.OrgID, store.AreaEmployees)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		d.LastSuccess = last
	}
	if d.Failures, err = s.st.CountFailedSyncRuns(ctx, a.OrgID, now.Add(-FailureWindow)); err != nil {
		return nil, err
	}
	today := now.In(loc)
	d.Today, d.Until = today.Format(time.DateOnly), today.AddDate(0, 0, Horizon).Format(time.DateOnly)
	if d.Joiners, err = s.st.UpcomingJoiners(ctx, a.OrgID, d.Today, d.Until, ListLimit); err != nil {
		return nil, err
	}
	if d.Leavers, err = s.st.UpcomingLeavers(ctx, a.OrgID, d.Today, d.Until, ListLimit); err != nil {
		return nil, err
	}
	return d, nil
}
