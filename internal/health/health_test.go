package health_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/rosterhq/roster/internal/health"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// clock is the injected clock of the sync engine and the health checks.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mails records the alert emails.
type mails struct {
	mu   sync.Mutex
	sent []string // "userID subject"
}

func (m *mails) send(_ context.Context, _, userID int64, subject, _, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, subject)
	return nil
}

func (m *mails) count(subject string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.sent {
		if s == subject {
			n++
		}
	}
	return n
}

func (m *mails) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent)
}

type env struct {
	t      *testing.T
	st     *store.Store
	sb     *sandbox.Server
	orgID  int64
	admin  int64
	clock  *clock
	mails  *mails
	health *health.Service
	sync   *hrsync.Service
	mu     sync.Mutex
	secret string
}

func newEnv(t *testing.T, st *store.Store, rateLimit bool) *env {
	t.Helper()
	ctx := t.Context()
	opts := sandbox.DefaultOptions()
	opts.Employees, opts.Seed, opts.RateLimit = 12, 1, rateLimit
	sb, baseURL := sandboxtest.Start(t, opts)
	e := &env{t: t, st: st, sb: sb, clock: &clock{t: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}, mails: &mails{}, secret: sandbox.FullClientSecret}
	org := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin", CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	e.orgID = org.ID
	for i, role := range []string{store.RoleOwner, store.RoleMember} {
		u := &store.User{OrgID: org.ID, Email: []string{"olga@acme.test", "mia@acme.test"}[i], Name: "User", Role: role, Status: store.StatusActive,
			CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			e.admin = u.ID
		}
	}
	connected := e.clock.Now()
	if err := st.SaveHRConnection(ctx, &store.HRConnection{OrgID: org.ID, Provider: "personio", BaseURL: baseURL, ClientID: sandbox.FullClientID,
		ClientSecretEnc: "v1:x", ReadableAttributes: "[]", Status: store.ConnConnected, ConnectedAt: &connected, CreatedAt: connected, UpdatedAt: connected}); err != nil {
		t.Fatal(err)
	}
	set := store.DefaultSyncSettings(org.ID)
	set.BackgroundSync, set.PartialIntervalHours = true, 1
	if err := st.SaveSyncSettings(ctx, &set); err != nil {
		t.Fatal(err)
	}
	ntf := notify.New(st, e.mails.send, e.clock.Now, nil)
	e.health = health.New(health.Options{Store: st, Notify: ntf, Now: e.clock.Now})
	loc, _ := time.LoadLocation("Europe/Berlin")
	factory := func(_ context.Context, _ int64, onCall func(hris.CallInfo)) (hris.Provider, error) {
		e.mu.Lock()
		secret := e.secret
		e.mu.Unlock()
		limits := personio.NoLimits()
		if rateLimit {
			limits = personio.Limits{}
		}
		return personio.New(personio.Config{BaseURL: baseURL, ClientID: sandbox.FullClientID, ClientSecret: secret, Version: "test",
			Timeout: 5 * time.Second, Limits: limits, MaxRetries: 2, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
			Location: loc, OnCall: onCall})
	}
	// Wired as in cmd/roster: the Also step of a successful run (AfterRun
	// here) and OnFinish.
	svc, err := hrsync.New(hrsync.Options{Store: st, Providers: factory, Now: e.clock.Now, Holder: "test", LeaseTTL: 5 * time.Second,
		AfterRun: e.health.AfterSync, OnFinish: e.health.OnFinish})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Shutdown(context.Background()) })
	e.sync = svc
	return e
}

func (e *env) setSecret(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secret = s
}

func (e *env) run(wantOK bool) *store.SyncRun {
	e.t.Helper()
	r, started, err := e.sync.Run(e.t.Context(), e.orgID, hrsync.Request{Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerSchedule})
	if !started || r == nil {
		e.t.Fatalf("run did not start: %v", err)
	}
	if wantOK != (r.Status == store.RunSucceeded) {
		e.t.Fatalf("run %d: status %s (want ok %v): %s", r.ID, r.Status, wantOK, r.Error)
	}
	return r
}

// open returns the open problems by kind.
func (e *env) open() map[string]health.Problem {
	e.t.Helper()
	ps, err := e.health.Open(e.t.Context(), roster.Actor{OrgID: e.orgID, UserID: e.admin, Role: store.RoleOwner})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]health.Problem{}
	for _, p := range ps {
		out[p.Kind] = p
	}
	return out
}

func (e *env) wantOpen(kinds ...string) {
	e.t.Helper()
	got := e.open()
	if len(got) != len(kinds) {
		e.t.Fatalf("open problems %v, want %v", keys(got), kinds)
	}
	for _, k := range kinds {
		if _, ok := got[k]; !ok {
			e.t.Fatalf("open problems %v, want %v", keys(got), kinds)
		}
	}
}

func keys(m map[string]health.Problem) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// bell counts the admin's health notifications.
func (e *env) bell() int64 {
	e.t.Helper()
	ns, _, err := e.st.Notifications(e.t.Context(), e.orgID, e.admin, false, 100, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, x := range ns {
		if x.Kind == notify.KindHealth {
			n++
		}
	}
	return n
}

// TestRunFailuresAlertOncePerDayAndClear: a rejected secret, a server
// failing with 5xx and an exhausted rate limit each open their problem,
// email the admins once (not the member) and put it in the bell, however
// many runs fail that day; a good run clears it.
func TestRunFailuresAlertOncePerDayAndClear(t *testing.T) {
	cases := []struct {
		name   string
		kind   string
		detail string
		break_ func(e *env)
		fix    func(e *env)
	}{
		{name: "401 wrong secret", kind: health.KindCredentials, detail: "rejected the client ID or secret",
			break_: func(e *env) { e.setSecret("wrong-secret") }, fix: func(e *env) { e.setSecret(sandbox.FullClientSecret) }},
		{name: "5xx", kind: health.KindSyncFailed, detail: "server error",
			break_: func(e *env) { mustFaults(e, sandbox.Faults{Rate5xx: 1}) }, fix: func(e *env) { e.sb.ClearFaults() }},
		{name: "429", kind: health.KindRateLimit, detail: "rate limit",
			break_: func(e *env) { mustFaults(e, sandbox.Faults{Rate429: 1}) }, fix: func(e *env) { e.sb.ClearFaults() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				e := newEnv(t, st, false)
				e.run(true)
				e.wantOpen()
				tc.break_(e)
				for i := 0; i < 3; i++ {
					e.run(false)
					e.clock.Advance(10 * time.Minute)
				}
				e.wantOpen(tc.kind)
				if p := e.open()[tc.kind]; !strings.Contains(p.Detail, tc.detail) || p.LastAlertedAt == nil {
					t.Fatalf("problem %+v, want detail with %q, alerted", p, tc.detail)
				}
				if n := e.mails.count(health.Title(tc.kind)); n != 1 || e.mails.total() != 1 {
					t.Fatalf("%d alert emails (%d in all) after 3 failed runs, want 1", n, e.mails.total())
				}
				if e.bell() != 1 {
					t.Fatalf("bell holds %d health notes, want 1", e.bell())
				}
				// The periodic check the same day alerts nobody again.
				if err := e.health.CheckAll(t.Context(), e.clock.Now()); err != nil {
					t.Fatal(err)
				}
				// The next day, still failing: one new alert.
				e.clock.Advance(24 * time.Hour)
				e.run(false)
				e.run(false)
				if n := e.mails.count(health.Title(tc.kind)); n != 2 {
					t.Fatalf("%d alert emails after a second day of failures, want 2", n)
				}
				// A day without a good run also made the data stale.
				e.wantOpen(tc.kind, health.KindStale)
				before := e.mails.total()
				tc.fix(e)
				e.run(true)
				e.wantOpen()
				if e.mails.total() != before {
					t.Fatalf("a clearing run sent an email (%d, before %d)", e.mails.total(), before)
				}
			})
		})
	}
}

func mustFaults(e *env, f sandbox.Faults) {
	e.t.Helper()
	if err := e.sb.SetFaults(f); err != nil {
		e.t.Fatal(err)
	}
}

// TestAbsorbedFaultsOpenNothing: an invalidated token (the client
// re-authenticates) and occasional 429s the client retries do not open a
// problem; a failure of another kind replaces the previous one.
func TestAbsorbedFaultsOpenNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, true)
		e.run(true)
		mustFaults(e, sandbox.Faults{InvalidateTokens: true})
		e.run(true)
		mustFaults(e, sandbox.Faults{Rate429: 0.2, Seed: 7})
		e.run(true)
		e.sb.ClearFaults()
		e.wantOpen()
		if e.mails.total() != 0 {
			t.Fatalf("%d emails for absorbed faults", e.mails.total())
		}
		e.setSecret("wrong-secret")
		e.run(false)
		e.wantOpen(health.KindCredentials)
		e.setSecret(sandbox.FullClientSecret)
		mustFaults(e, sandbox.Faults{Rate5xx: 1})
		e.run(false)
		e.wantOpen(health.KindSyncFailed)
	})
}

// TestStaleData: with background sync on (partial every hour), data older
// than two hours opens "stale" once, with one email; a fresh sync clears it.
// With background sync off nothing is stale; a disconnected organisation
// has no problems.
func TestStaleData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, false)
		ctx := t.Context()
		e.run(true)
		e.clock.Advance(2*time.Hour - time.Minute)
		if err := e.health.CheckAll(ctx, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.wantOpen()
		e.clock.Advance(2 * time.Minute)
		for i := 0; i < 3; i++ {
			if err := e.health.CheckAll(ctx, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(15 * time.Minute)
		}
		e.wantOpen(health.KindStale)
		if p := e.open()[health.KindStale]; !strings.Contains(p.Detail, "more than 2 hours ago") {
			t.Fatalf("stale detail %q", p.Detail)
		}
		if n := e.mails.count(health.Title(health.KindStale)); n != 1 || e.bell() != 1 {
			t.Fatalf("%d stale emails, %d bell notes, want 1 each", n, e.bell())
		}
		e.run(true)
		e.wantOpen()

		// Background sync off: old data is not a problem.
		set, _ := st.SyncSettings(ctx, e.orgID)
		set.BackgroundSync = false
		if err := st.SaveSyncSettings(ctx, set); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(72 * time.Hour)
		if err := e.health.Check(ctx, e.orgID, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.wantOpen()

		// A failed run's problem clears when Personio is disconnected.
		e.setSecret("wrong-secret")
		e.run(false)
		e.wantOpen(health.KindCredentials)
		conn, _ := st.HRConnection(ctx, e.orgID)
		conn.Status = store.ConnDisconnected
		if err := st.SaveHRConnection(ctx, conn); err != nil {
			t.Fatal(err)
		}
		if err := e.health.CheckAll(ctx, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.wantOpen()
	})
}

// TestOpenIsAdminOnly: members cannot list problems.
func TestOpenIsAdminOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, false)
		if _, err := e.health.Open(t.Context(), roster.Actor{OrgID: e.orgID, UserID: e.admin, Role: store.RoleMember}); err == nil {
			t.Fatal("a member listed the health problems")
		}
	})
}
