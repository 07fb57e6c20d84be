package hrsync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without zoneinfo

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
)

// env is one organisation synced from an in-process sandbox.
type env struct {
	t       *testing.T
	st      *store.Store
	sb      *sandbox.Server
	baseURL string
	orgID   int64
	svc     *hrsync.Service
}

func newEnv(t *testing.T, st *store.Store, employees int) *env {
	t.Helper()
	opts := sandbox.DefaultOptions()
	opts.Employees, opts.Seed, opts.RateLimit = employees, 1, false
	sb, baseURL := sandboxtest.Start(t, opts)
	org := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin"}
	if err := st.CreateOrganization(t.Context(), org); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, sb: sb, baseURL: baseURL, orgID: org.ID}
	e.svc = e.service(e.personio(sandbox.FullClientID, sandbox.FullClientSecret), "")
	return e
}

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// personio returns a factory of sandbox clients with fast retries.
func (e *env) personio(clientID, secret string) hrsync.ProviderFactory {
	loc := berlin(e.t)
	return func(_ context.Context, _ int64, onCall func(hris.CallInfo)) (hris.Provider, error) {
		return personio.New(personio.Config{
			BaseURL: e.baseURL, ClientID: clientID, ClientSecret: secret, Version: "test",
			Timeout: 5 * time.Second, Limits: personio.NoLimits(), MaxRetries: 3,
			BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Location: loc, OnCall: onCall,
		})
	}
}

func (e *env) service(f hrsync.ProviderFactory, holder string, mod ...func(*hrsync.Options)) *hrsync.Service {
	e.t.Helper()
	return newService(e.t, e.st, f, holder, mod...)
}

func newService(t *testing.T, st *store.Store, f hrsync.ProviderFactory, holder string, mod ...func(*hrsync.Options)) *hrsync.Service {
	t.Helper()
	opts := hrsync.Options{Store: st, Providers: f, Holder: holder, LeaseTTL: 3 * time.Second}
	for _, m := range mod {
		m(&opts)
	}
	svc, err := hrsync.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return svc
}

func req(mode string) hrsync.Request {
	return hrsync.Request{Area: store.AreaEmployees, Mode: mode, Trigger: store.TriggerCLI}
}

// sync runs a sync with svc that must start and succeed.
func (e *env) sync(svc *hrsync.Service, mode string) *store.SyncRun {
	e.t.Helper()
	r, started, err := svc.Run(e.t.Context(), e.orgID, req(mode))
	if err != nil {
		e.t.Fatalf("%s sync: %v", mode, err)
	}
	if !started || r.Status != store.RunSucceeded {
		e.t.Fatalf("%s sync: started %v, run %+v", mode, started, r)
	}
	return r
}

// syncFail runs a sync that must start and fail.
func (e *env) syncFail(svc *hrsync.Service, mode string) *store.SyncRun {
	e.t.Helper()
	r, started, err := svc.Run(e.t.Context(), e.orgID, req(mode))
	if err == nil || !started || r == nil || r.Status != store.RunFailed || r.Error == "" {
		e.t.Fatalf("%s sync: want a failed run, got started %v, err %v, run %+v", mode, started, err, r)
	}
	return r
}

type counts struct{ New, Changed, Unchanged, Removed, Warnings, Errors int }

func countsOf(r *store.SyncRun) counts {
	return counts{r.NewCount, r.ChangedCount, r.UnchangedCount, r.RemovedCount, r.WarningCount, r.ErrorCount}
}

func (e *env) employees() map[int64]store.HREmployee {
	e.t.Helper()
	out := map[int64]store.HREmployee{}
	err := e.st.EachHREmployee(e.t.Context(), e.orgID, store.HREmployeeFilter{IncludeRemoved: true}, func(h *store.HREmployee) error {
		out[h.PersonioID] = *h
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) employee(id int64) *store.HREmployee {
	e.t.Helper()
	h, err := e.st.HREmployee(e.t.Context(), e.orgID, id)
	if err != nil {
		e.t.Fatalf("employee %d: %v", id, err)
	}
	return h
}

func (e *env) saveSettings(mod func(*store.SyncSettings)) {
	e.t.Helper()
	st, err := e.st.SyncSettings(e.t.Context(), e.orgID)
	if err != nil {
		e.t.Fatal(err)
	}
	mod(st)
	if err := e.st.SaveSyncSettings(e.t.Context(), st); err != nil {
		e.t.Fatal(err)
	}
}

func jsonList(vals ...string) string {
	b, _ := json.Marshal(vals)
	return string(b)
}

// waitDone polls a run until it finishes.
func (e *env) waitDone(svc *hrsync.Service, runID int64) *store.SyncRun {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r, err := svc.RunByID(e.t.Context(), e.orgID, runID)
		if err != nil {
			e.t.Fatal(err)
		}
		if !r.Running() {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("run %d did not finish", runID)
	return nil
}

// pageProvider serves fixed pages (and an optional error after them); it
// implements only the part of hris.Provider the sync uses.
type pageProvider struct {
	hris.Provider
	pages [][]hris.Employee
	err   error
}

func (p *pageProvider) ListEmployees(ctx context.Context, _ hris.EmployeeQuery, fn func([]hris.Employee) error) error {
	for _, pg := range p.pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(pg); err != nil {
			return err
		}
	}
	return p.err
}

func fixed(p *pageProvider) hrsync.ProviderFactory {
	return func(context.Context, int64, func(hris.CallInfo)) (hris.Provider, error) { return p, nil }
}

// failAfter wraps a factory's provider so that listing fails after n pages.
func failAfter(f hrsync.ProviderFactory, n int, err error) hrsync.ProviderFactory {
	return func(ctx context.Context, orgID int64, onCall func(hris.CallInfo)) (hris.Provider, error) {
		p, ferr := f(ctx, orgID, onCall)
		if ferr != nil {
			return nil, ferr
		}
		return &failingProvider{Provider: p, after: n, err: err}, nil
	}
}

type failingProvider struct {
	hris.Provider
	after int
	err   error
}

var errStop = errors.New("stop")

func (p *failingProvider) ListEmployees(ctx context.Context, q hris.EmployeeQuery, fn func([]hris.Employee) error) error {
	n := 0
	err := p.Provider.ListEmployees(ctx, q, func(page []hris.Employee) error {
		if n == p.after {
			return errStop
		}
		n++
		return fn(page)
	})
	if errors.Is(err, errStop) {
		return p.err
	}
	if err == nil && n <= p.after {
		return fmt.Errorf("provider had only %d pages", n)
	}
	return err
}
