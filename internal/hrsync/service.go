// Package hrsync holds the HR sync use cases: the employee sync engine
// (full and partial syncs into the mirror of the HR system's employees), the
// runs it records, their warnings, the API log, and the lease that keeps one
// run at a time per organisation and area across processes.
package hrsync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// ProviderFactory builds the HR system client of an organisation from its
// stored connection. onCall must be passed on to the client (e.g.
// personio.Config.OnCall): every HTTP attempt it reports lands in the API
// log with the run's id.
type ProviderFactory func(ctx context.Context, orgID int64, onCall func(hris.CallInfo)) (hris.Provider, error)

// DefaultLeaseTTL is how long a run's lease lives without a heartbeat.
const DefaultLeaseTTL = 2 * time.Minute

// Errors.
var (
	// ErrLeaseLost: another process took the run's lease over (the run's
	// heartbeat could not be written in time).
	ErrLeaseLost = errors.New("the sync lease was lost to another process")
	// ErrShuttingDown: the service stopped; the run was cancelled.
	ErrShuttingDown = errors.New("Roster is shutting down")
)

// Options configure a Service.
type Options struct {
	Store     *store.Store
	Providers ProviderFactory
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives run outcomes (ids and counts, never personal data).
	Logger *slog.Logger
	// LeaseTTL is how long a lease lives without a heartbeat; the heartbeat
	// renews it every TTL/3. DefaultLeaseTTL when zero.
	LeaseTTL time.Duration
	// Holder identifies this process in leases; host name, pid and a random
	// suffix when empty.
	Holder string
	// OnFinish, if set, is called after every run this service executed has
	// finished (succeeded or failed), e.g. to email the admin who started a
	// first import. It runs on the run's goroutine.
	OnFinish func(ctx context.Context, run *store.SyncRun)
	// AfterRun, if set, is called at the end of every run that synced the
	// employees successfully, while the run still holds its lease, e.g. to
	// apply the changed employees to their linked users. Its error fails the
	// run.
	AfterRun func(ctx context.Context, run *store.SyncRun) error
	// Areas run the syncs of the areas other than employees
	// (store.AreaAbsences, store.AreaTimeTracking): a run of such an area
	// calls its function only; a run of store.AreaAll syncs the employees,
	// then every registered area in that order. An area without a function
	// cannot be requested.
	Areas map[string]AreaFunc
}

// AreaFunc runs the sync of one area for run (e.g. pushing the due time
// entries) and returns the counts to record on it. Its error fails the run.
type AreaFunc func(ctx context.Context, run *store.SyncRun) (AreaCounts, error)

// AreaCounts are the outcome of an area's sync: Processed records handled,
// Pushed written to the HR system, Imported written to Roster, Removed
// deleted, Retrying left for a later attempt, Failed given up.
type AreaCounts struct {
	Processed, Pushed, Imported, Removed, Retrying, Failed int
}

// Request asks for a sync.
type Request struct {
	Area      string // store.AreaEmployees or store.AreaAll
	Mode      string // store.ModeFull or store.ModePartial
	Trigger   string // store.TriggerSchedule, TriggerManual, TriggerFirstImport, TriggerCLI
	StartedBy *int64 // the user who asked, if any
	// Preview runs the sync as a dry run (area employees or all): it
	// computes what would change, records it as a store.SyncPreview and
	// applies nothing.
	Preview bool
	// ApplyPreview applies the ready preview with this id: area and mode
	// come from the preview; it refuses when Personio or Roster changed.
	ApplyPreview int64
}

// validate returns a *roster.ValidationError naming the bad fields.
func (r Request) validate() error {
	p := roster.Problems{}
	switch r.Area {
	case store.AreaEmployees, store.AreaAll:
	case store.AreaAbsences, store.AreaTimeTracking:
	default:
		p.Add("area", fmt.Sprintf("Unknown area %q: use employees, absences, timetracking or all.", r.Area))
	}
	switch r.Mode {
	case store.ModeFull, store.ModePartial:
	default:
		p.Add("mode", fmt.Sprintf("Unknown mode %q: use full or partial.", r.Mode))
	}
	switch r.Trigger {
	case store.TriggerSchedule, store.TriggerManual, store.TriggerFirstImport, store.TriggerCLI:
	default:
		p.Add("trigger", fmt.Sprintf("Unknown trigger %q.", r.Trigger))
	}
	if (r.Preview || r.ApplyPreview != 0) && r.Area != store.AreaEmployees && r.Area != store.AreaAll {
		p.Add("area", "Only an employee sync (or a sync of all areas) can be previewed.")
	}
	return p.Err()
}

// leaseArea is the lease a request takes. "all" syncs employees (the only
// area this engine implements), so it shares the employees lease: a Sync
// Now of either shows the other while it runs.
func leaseArea(area string) string {
	if area == store.AreaAll {
		return store.AreaEmployees
	}
	return area
}

// Service runs employee syncs. It is safe for concurrent use.
type Service struct {
	st        *store.Store
	providers ProviderFactory
	now       func() time.Time
	log       *slog.Logger
	ttl       time.Duration
	holder    string
	onFinish  func(context.Context, *store.SyncRun)
	afterRun  func(context.Context, *store.SyncRun) error
	areas     map[string]AreaFunc

	// base is the parent of asynchronous runs; Shutdown cancels it.
	base   context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup
	// facets caches the HR employees page's filter lists per mirror
	// version (store.MirrorCache).
	facets store.MirrorCache[store.HREmployeeFacets]
}

// New builds a Service.
func New(opts Options) (*Service, error) {
	if opts.Store == nil {
		return nil, errors.New("hrsync: Store is required")
	}
	if opts.Providers == nil {
		return nil, errors.New("hrsync: Providers is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.Holder == "" {
		h, err := defaultHolder()
		if err != nil {
			return nil, err
		}
		opts.Holder = h
	}
	base, cancel := context.WithCancelCause(context.Background())
	return &Service{
		st: opts.Store, providers: opts.Providers, now: opts.Now, log: opts.Logger, ttl: opts.LeaseTTL,
		holder: opts.Holder, onFinish: opts.OnFinish, afterRun: opts.AfterRun, areas: opts.Areas, base: base, cancel: cancel,
	}, nil
}

func defaultHolder() (string, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "roster"
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("hrsync: holder id: %w", err)
	}
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:])), nil
}

// Run starts a sync and executes it on the calling goroutine (CLI, tests,
// scheduled jobs). When a run of the organisation and area is already in
// progress (in any process) it returns that run and false without waiting.
// Otherwise it returns the finished run and true; a run that failed is
// returned together with an error describing the failure.
func (s *Service) Run(ctx context.Context, orgID int64, req Request) (*store.SyncRun, bool, error) {
	if err := s.prepare(ctx, orgID, &req); err != nil {
		return nil, false, err
	}
	r, started, err := s.begin(ctx, orgID, req)
	if err != nil || !started {
		return r, false, err
	}
	final, runErr := s.execute(ctx, r, req)
	return final, true, runErr
}

// StartAsync starts a sync and executes it on a new goroutine ("Sync Now"):
// it returns at once with the new run (poll Run for progress) and true, or
// with the run already in progress and false. The run outlives ctx; it stops
// when Shutdown is called.
func (s *Service) StartAsync(ctx context.Context, orgID int64, req Request) (*store.SyncRun, bool, error) {
	if err := s.base.Err(); err != nil {
		return nil, false, ErrShuttingDown
	}
	if err := s.prepare(ctx, orgID, &req); err != nil {
		return nil, false, err
	}
	r, started, err := s.begin(ctx, orgID, req)
	if err != nil || !started {
		return r, false, err
	}
	snapshot := *r
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		// Errors are recorded on the run row (and logged by execute).
		_, _ = s.execute(s.base, r, req)
	}()
	return &snapshot, true, nil
}

// Shutdown cancels asynchronous runs (they are recorded as failed) and waits
// for them to finish, or for ctx.
func (s *Service) Shutdown(ctx context.Context) error {
	s.cancel(ErrShuttingDown)
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("hrsync: waiting for running syncs: %w", ctx.Err())
	}
}

func (s *Service) begin(ctx context.Context, orgID int64, req Request) (*store.SyncRun, bool, error) {
	if err := req.validate(); err != nil {
		return nil, false, err
	}
	if req.Area == store.AreaAbsences || req.Area == store.AreaTimeTracking {
		if s.areas[req.Area] == nil {
			return nil, false, roster.Problems{"area": "The " + req.Area + " sync is not available."}.Err()
		}
	}
	now := s.now()
	run := &store.SyncRun{OrgID: orgID, Area: req.Area, Mode: req.Mode, Trigger: req.Trigger, Phase: PhaseStarting, StartedByID: req.StartedBy}
	r, started, err := s.st.BeginSyncRun(ctx, run, leaseArea(req.Area), s.holder, now, now.Add(s.ttl))
	if err != nil {
		return nil, false, fmt.Errorf("hrsync: start %s %s sync of org %d: %w", req.Mode, req.Area, orgID, err)
	}
	if started && req.ApplyPreview != 0 {
		// A preview that was applied or discarded meanwhile fails the
		// run at its start (staged checks the claim).
		if _, err := s.claimPreview(ctx, r, req); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "hr sync: claim preview failed", slog.Int64("org_id", orgID), slog.Int64("run_id", r.ID), slog.String("error", err.Error()))
		}
	}
	return r, started, nil
}

// ---- queries for the UI and the CLI ---------------------------------------

// ListRuns returns the organisation's latest runs, newest first. Runs
// abandoned by a process that ended (their lease expired over a TTL ago)
// are closed first.
func (s *Service) ListRuns(ctx context.Context, orgID int64, limit int) ([]store.SyncRun, error) {
	if _, err := s.st.CloseAbandonedSyncRuns(ctx, orgID, s.now().Add(-s.ttl), s.now()); err != nil {
		return nil, fmt.Errorf("hrsync: list runs: %w", err)
	}
	rs, err := s.st.ListSyncRuns(ctx, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("hrsync: list runs: %w", err)
	}
	return rs, nil
}

// RunByID loads one run (progress polling); store.ErrNotFound if unknown.
// A run abandoned by a process that ended is shown failed (see ListRuns).
func (s *Service) RunByID(ctx context.Context, orgID, runID int64) (*store.SyncRun, error) {
	if _, err := s.st.CloseAbandonedSyncRuns(ctx, orgID, s.now().Add(-s.ttl), s.now()); err != nil {
		return nil, fmt.Errorf("hrsync: run %d: %w", runID, err)
	}
	r, err := s.st.SyncRun(ctx, orgID, runID)
	if err != nil {
		return nil, fmt.Errorf("hrsync: run %d: %w", runID, err)
	}
	return r, nil
}

// LastSuccessful returns the latest succeeded run of the area ("" for any
// area), for "data as of"; store.ErrNotFound when there is none.
func (s *Service) LastSuccessful(ctx context.Context, orgID int64, area string) (*store.SyncRun, error) {
	r, err := s.st.LastSuccessfulSyncRun(ctx, orgID, area)
	if err != nil {
		return nil, fmt.Errorf("hrsync: last successful %s run: %w", area, err)
	}
	return r, nil
}

// RunWarnings returns a page of a run's warnings (limit ≤ 0: all) and their
// total.
func (s *Service) RunWarnings(ctx context.Context, orgID, runID int64, limit, offset int) ([]store.SyncRunWarning, int64, error) {
	ws, n, err := s.st.SyncRunWarnings(ctx, orgID, runID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("hrsync: warnings of run %d: %w", runID, err)
	}
	return ws, n, nil
}

// EmployeeFilter selects mirrored employees; zero fields do not filter.
type EmployeeFilter struct {
	Query      string
	Team       string
	Department string
	CostCenter string
	Office     string
	Status     string
	// InScope selects employees inside (true) or outside (false) the sync
	// filters; nil: both.
	InScope        *bool
	Linked         *bool // with (true) or without (false) a linked Roster user
	WithWarnings   bool
	IncludeRemoved bool
	Page           int // 1-based; 0 means 1
	PageSize       int // 0 means 50
}

// EmployeePage is one page of mirrored employees with the filter options.
type EmployeePage struct {
	Employees []store.HREmployee
	Total     int64
	Page      int
	PageSize  int
	Facets    store.HREmployeeFacets
	// Linked maps personio ids of this page to their linked Roster users.
	Linked map[int64]store.User
}

// Pages is the number of pages.
func (p *EmployeePage) Pages() int {
	if p.PageSize <= 0 {
		return 0
	}
	return int((p.Total + int64(p.PageSize) - 1) / int64(p.PageSize))
}

func (f EmployeeFilter) store() store.HREmployeeFilter {
	return store.HREmployeeFilter{
		Query: f.Query, Team: f.Team, Department: f.Department, CostCenter: f.CostCenter, Office: f.Office,
		Status: f.Status, InScope: f.InScope, Linked: f.Linked, WithWarnings: f.WithWarnings, IncludeRemoved: f.IncludeRemoved,
	}
}

// ListEmployees returns a page of the mirror ordered by name, its total and
// the distinct teams, departments, offices, cost centers and statuses.
func (s *Service) ListEmployees(ctx context.Context, orgID int64, f EmployeeFilter) (*EmployeePage, error) {
	page, size := max(f.Page, 1), f.PageSize
	if size <= 0 {
		size = 50
	}
	sf := f.store()
	sf.Limit, sf.Offset = size, (page-1)*size
	es, total, err := s.st.ListHREmployees(ctx, orgID, sf)
	if err != nil {
		return nil, fmt.Errorf("hrsync: list employees: %w", err)
	}
	facets, err := s.facets.Get(ctx, s.st, orgID, "", func(ctx context.Context) (store.HREmployeeFacets, error) {
		return s.st.HREmployeeFacets(ctx, orgID)
	})
	if err != nil {
		return nil, fmt.Errorf("hrsync: employee filters: %w", err)
	}
	ids := make([]int64, len(es))
	for i := range es {
		ids[i] = es[i].PersonioID
	}
	linked, err := s.st.LinkedUsers(ctx, orgID, ids)
	if err != nil {
		return nil, fmt.Errorf("hrsync: linked users: %w", err)
	}
	return &EmployeePage{Employees: es, Total: total, Page: page, PageSize: size, Facets: facets, Linked: linked}, nil
}

// EachEmployee streams the matching employees in personio id order (CSV and
// JSON exports); Page and PageSize are ignored.
func (s *Service) EachEmployee(ctx context.Context, orgID int64, f EmployeeFilter, fn func(*store.HREmployee) error) error {
	return s.st.EachHREmployee(ctx, orgID, f.store(), fn)
}

// APICallFilter selects API log entries; zero fields do not filter.
type APICallFilter struct {
	Area     string
	Status   string // store.CallStatusOK or store.CallStatusError
	RunID    int64
	From, To time.Time // [From, To)
	Page     int       // 1-based; 0 means 1
	PageSize int       // 0 means 50
}

// ListAPICalls returns a page of the API log, newest first, and the number
// of matching entries.
func (s *Service) ListAPICalls(ctx context.Context, orgID int64, f APICallFilter) ([]store.APICall, int64, error) {
	page, size := max(f.Page, 1), f.PageSize
	if size <= 0 {
		size = 50
	}
	cs, n, err := s.st.ListAPICalls(ctx, orgID, store.APICallFilter{
		Area: f.Area, Status: f.Status, RunID: f.RunID, From: f.From, To: f.To, Limit: size, Offset: (page - 1) * size,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("hrsync: API log: %w", err)
	}
	return cs, n, nil
}

// PruneLogs deletes API log entries and finished runs older than before
// (the daily job passes now − 2 months).
func (s *Service) PruneLogs(ctx context.Context, before time.Time) (calls, runs int64, err error) {
	if calls, err = s.st.PruneAPICalls(ctx, before); err != nil {
		return 0, 0, fmt.Errorf("hrsync: %w", err)
	}
	if runs, err = s.st.PruneSyncRuns(ctx, before); err != nil {
		return calls, 0, fmt.Errorf("hrsync: %w", err)
	}
	return calls, runs, nil
}
