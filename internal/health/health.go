// Package health watches an organisation's HR sync: it opens a problem when
// a sync run fails, Personio rejects the credentials, the rate limit stays
// exhausted or the data goes stale, alerts the admins by email and in the
// bell at most once per problem and day, and clears the problem as soon as
// its condition no longer holds (a later successful run, a fresh sync).
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// Problem kinds.
const (
	// KindSyncFailed: the latest employee sync run failed (other than below).
	KindSyncFailed = "sync_failed"
	// KindCredentials: the latest run failed because Personio rejected the
	// client ID or secret (HTTP 401, hris.ErrBadCredentials).
	KindCredentials = "credentials"
	// KindRateLimit: the latest run failed because Personio's rate limit
	// stayed exhausted after the client's retries (HTTP 429,
	// hris.ErrRateLimited).
	KindRateLimit = "rate_limit"
	// KindStale: background sync is on and the last successful employee
	// sync is older than twice the partial sync interval.
	KindStale = "stale"
)

// runKinds are the kinds a run's outcome decides; a failed run opens
// exactly one of them and clears the others.
var runKinds = []string{KindSyncFailed, KindCredentials, KindRateLimit}

// allKinds are every kind, in display order.
var allKinds = []string{KindCredentials, KindRateLimit, KindSyncFailed, KindStale}

// Error texts of the API log (hris.CallInfo.Err starts with the error kind).
const (
	callErrCredentials = "credentials rejected"
	callErrRateLimited = "rate limited"
)

// Notifier delivers the alerts (notify.Service).
type Notifier interface {
	NotifyAdmins(ctx context.Context, orgID int64, n notify.Note) (int, error)
}

// Options configure a Service.
type Options struct {
	Store  *store.Store
	Notify Notifier
	// Now is the clock of the hooks (AfterSync, OnFinish); time.Now when nil.
	Now func() time.Time
	Log *slog.Logger
}

// Service checks and lists sync health problems.
type Service struct {
	st     *store.Store
	notify Notifier
	now    func() time.Time
	log    *slog.Logger
}

// New builds a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: o.Store, notify: o.Notify, now: o.Now, log: o.Log}
}

// Problem is an open problem as the HR tab shows it.
type Problem struct {
	ID       int64
	Kind     string
	Title    string
	Detail   string
	Link     string // where to look or fix it
	OpenedAt time.Time
	// LastAlertedAt is when the admins were last alerted (nil: not yet).
	LastAlertedAt *time.Time
}

// Title is the headline of a problem kind.
func Title(kind string) string {
	switch kind {
	case KindSyncFailed:
		return "Personio sync failed"
	case KindCredentials:
		return "Personio rejected the credentials"
	case KindRateLimit:
		return "Personio's rate limit was exhausted"
	case KindStale:
		return "Personio data is out of date"
	}
	return kind
}

// Open lists the organisation's open problems (admins only).
func (s *Service) Open(ctx context.Context, a roster.Actor) ([]Problem, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	ps, err := s.st.OpenHealthProblems(ctx, a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	out := make([]Problem, 0, len(ps))
	for _, k := range allKinds {
		for _, p := range ps {
			if p.Kind == k {
				out = append(out, Problem{ID: p.ID, Kind: p.Kind, Title: Title(p.Kind), Detail: p.Detail, Link: link(p.Kind),
					OpenedAt: p.OpenedAt, LastAlertedAt: p.LastAlertedAt})
			}
		}
	}
	return out, nil
}

func link(kind string) string {
	switch kind {
	case KindCredentials:
		return "/settings/hr/connect/credentials"
	case KindStale:
		return "/settings/hr/sync"
	}
	return "/settings/hr/api-log?status=error"
}

// CheckAll checks every organisation that is connected or has an open
// problem (the periodic job); one organisation's failure does not stop the
// others.
func (s *Service) CheckAll(ctx context.Context, now time.Time) error {
	conn, err := s.st.ConnectedOrgIDs(ctx)
	if err != nil {
		return fmt.Errorf("health: list organisations: %w", err)
	}
	open, err := s.st.OrgIDsWithOpenHealthProblems(ctx)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	seen := map[int64]bool{}
	var errs []error
	for _, id := range append(conn, open...) {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := s.Check(ctx, id, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Check evaluates the organisation's health at now from its latest finished
// employee sync run and its settings, opens and clears problems, and alerts
// the admins about open problems not alerted yet today.
func (s *Service) Check(ctx context.Context, orgID int64, now time.Time) error {
	runs, err := s.st.ListSyncRuns(ctx, orgID, 50)
	if err != nil {
		return fmt.Errorf("health: runs of org %d: %w", orgID, err)
	}
	var latest *store.SyncRun
	for i := range runs {
		r := &runs[i]
		// Previews and applies refused as out of date changed nothing:
		// the health follows the runs that synced (or failed to).
		if r.Status != store.RunRunning && !r.AppliedNothing() && coversEmployees(r.Area) {
			latest = r
			break
		}
	}
	return s.evaluate(ctx, orgID, now, latest)
}

// AfterSync is a lifecycle Also step: the run's employee sync succeeded, so
// the problems a failed run or stale data opened are cleared. It never fails
// the run (errors are logged).
func (s *Service) AfterSync(ctx context.Context, run *store.SyncRun) error {
	now := s.now()
	ok := *run
	ok.Status, ok.Error, ok.FinishedAt = store.RunSucceeded, "", &now
	if err := s.evaluate(ctx, run.OrgID, now, &ok); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "health check after sync failed", slog.Int64("org_id", run.OrgID),
			slog.Int64("run_id", run.ID), slog.String("error", err.Error()))
	}
	return nil
}

// OnFinish is the hrsync OnFinish hook: after a run failed it opens the
// matching problem and alerts the admins.
func (s *Service) OnFinish(ctx context.Context, run *store.SyncRun) {
	if run == nil || run.Status != store.RunFailed || !coversEmployees(run.Area) {
		return
	}
	if err := s.evaluate(ctx, run.OrgID, s.now(), run); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "health check after a failed sync failed", slog.Int64("org_id", run.OrgID),
			slog.Int64("run_id", run.ID), slog.String("error", err.Error()))
	}
}

func coversEmployees(area string) bool {
	return area == store.AreaEmployees || area == store.AreaAll
}

// evaluate applies latest (the newest finished employee run, nil: none).
func (s *Service) evaluate(ctx context.Context, orgID int64, now time.Time, latest *store.SyncRun) error {
	conn, err := s.st.HRConnection(ctx, orgID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("health: connection of org %d: %w", orgID, err)
	}
	if err != nil || conn.Status != store.ConnConnected {
		// Nothing syncs without a connection: nothing to watch.
		if _, err := s.st.ClearHealthProblems(ctx, orgID, allKinds, now); err != nil {
			return fmt.Errorf("health: %w", err)
		}
		return nil
	}
	if latest != nil {
		if err := s.applyRun(ctx, orgID, now, latest); err != nil {
			return err
		}
	}
	if err := s.applyStale(ctx, orgID, now, conn, latest); err != nil {
		return err
	}
	return s.alert(ctx, orgID, now)
}

// applyRun opens the problem of a failed run (and clears the other run
// kinds), or clears every run kind after a successful one.
func (s *Service) applyRun(ctx context.Context, orgID int64, now time.Time, r *store.SyncRun) error {
	if r.Status != store.RunFailed {
		if _, err := s.st.ClearHealthProblems(ctx, orgID, runKinds, now); err != nil {
			return fmt.Errorf("health: %w", err)
		}
		return nil
	}
	kind, err := s.classify(ctx, orgID, r)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("Run #%d failed: %s", r.ID, strings.TrimSpace(r.Error))
	if _, _, err := s.st.OpenHealthProblem(ctx, orgID, kind, detail, now); err != nil {
		return fmt.Errorf("health: %w", err)
	}
	var others []string
	for _, k := range runKinds {
		if k != kind {
			others = append(others, k)
		}
	}
	if _, err := s.st.ClearHealthProblems(ctx, orgID, others, now); err != nil {
		return fmt.Errorf("health: %w", err)
	}
	return nil
}

// classify tells why a run failed from its newest failed API call (the API
// log records each attempt with the kind of its error).
func (s *Service) classify(ctx context.Context, orgID int64, r *store.SyncRun) (string, error) {
	calls, _, err := s.st.ListAPICalls(ctx, orgID, store.APICallFilter{RunID: r.ID, Status: store.CallStatusError, Limit: 1})
	if err != nil {
		return "", fmt.Errorf("health: API log of run %d: %w", r.ID, err)
	}
	if len(calls) == 0 {
		return KindSyncFailed, nil
	}
	c := calls[0]
	switch {
	case c.Status == 401 || strings.HasPrefix(c.Error, callErrCredentials):
		return KindCredentials, nil
	case c.Status == 429 || strings.HasPrefix(c.Error, callErrRateLimited):
		return KindRateLimit, nil
	}
	return KindSyncFailed, nil
}

// StaleAfter is how old the last successful employee sync may get with
// background sync on: twice the partial interval (twice a day when the
// partial syncs are off).
func StaleAfter(set *store.SyncSettings) time.Duration {
	h := set.PartialIntervalHours
	if h <= 0 {
		h = 24
	}
	return 2 * time.Duration(h) * time.Hour
}

func (s *Service) applyStale(ctx context.Context, orgID int64, now time.Time, conn *store.HRConnection, latest *store.SyncRun) error {
	set, err := s.st.SyncSettings(ctx, orgID)
	if err != nil {
		return fmt.Errorf("health: settings of org %d: %w", orgID, err)
	}
	var since time.Time
	var what string
	if latest != nil && latest.Status == store.RunSucceeded && latest.FinishedAt != nil {
		since, what = *latest.FinishedAt, "The last successful employee sync finished"
	} else if last, err := s.st.LastSuccessfulSyncRun(ctx, orgID, store.AreaEmployees); err == nil && last.FinishedAt != nil {
		since, what = *last.FinishedAt, "The last successful employee sync finished"
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("health: last successful run of org %d: %w", orgID, err)
	} else if conn.ConnectedAt != nil {
		since, what = *conn.ConnectedAt, "No employee sync succeeded since Personio was connected"
	}
	limit := StaleAfter(set)
	if !set.BackgroundSync || since.IsZero() || now.Sub(since) <= limit {
		if _, err := s.st.ClearHealthProblems(ctx, orgID, []string{KindStale}, now); err != nil {
			return fmt.Errorf("health: %w", err)
		}
		return nil
	}
	detail := fmt.Sprintf("%s at %s UTC, more than %s ago (twice the partial sync interval).",
		what, since.UTC().Format("2006-01-02 15:04"), hours(limit))
	if _, _, err := s.st.OpenHealthProblem(ctx, orgID, KindStale, detail, now); err != nil {
		return fmt.Errorf("health: %w", err)
	}
	return nil
}

func hours(d time.Duration) string {
	h := int(d.Hours())
	if h == 1 {
		return "1 hour"
	}
	return fmt.Sprintf("%d hours", h)
}

// alert notifies the admins (email and bell) of each open problem that was
// not alerted yet on now's day (UTC).
func (s *Service) alert(ctx context.Context, orgID int64, now time.Time) error {
	ps, err := s.st.OpenHealthProblems(ctx, orgID)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	day := now.UTC().Truncate(24 * time.Hour)
	for _, p := range ps {
		if p.LastAlertedAt != nil && !p.LastAlertedAt.Before(day) {
			continue
		}
		marked, err := s.st.MarkHealthAlerted(ctx, orgID, p.ID, day, now)
		if err != nil {
			return fmt.Errorf("health: %w", err)
		}
		if !marked || s.notify == nil {
			continue
		}
		note := notify.Note{Kind: notify.KindHealth, Title: Title(p.Kind), Body: p.Detail + "\n\nThis stays open on the HR software tab until it clears.",
			Link: link(p.Kind), Email: true, DedupeKey: fmt.Sprintf("health:%s:%d:%s", p.Kind, p.ID, day.Format(time.DateOnly))}
		if _, err := s.notify.NotifyAdmins(ctx, orgID, note); err != nil {
			return fmt.Errorf("health: alert %s: %w", p.Kind, err)
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "sync health problem alerted", slog.Int64("org_id", orgID), slog.String("kind", p.Kind))
	}
	return nil
}
