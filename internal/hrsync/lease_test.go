package hrsync_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// slowSandbox makes every employee page take a while, so that runs overlap.
func slowSandbox(t *testing.T, e *env) {
	t.Helper()
	if err := e.sb.SetFaults(sandbox.Faults{LatencyMS: 150, Paths: []string{"/v1/company/employees"}}); err != nil {
		t.Fatal(err)
	}
}

// startTogether calls StartAsync on each service at the same time.
func startTogether(t *testing.T, e *env, svcs ...*hrsync.Service) []*store.SyncRun {
	t.Helper()
	runs := make([]*store.SyncRun, len(svcs))
	starts := make([]bool, len(svcs))
	errs := make([]error, len(svcs))
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i, svc := range svcs {
		wg.Go(func() {
			<-gate
			runs[i], starts[i], errs[i] = svc.StartAsync(context.Background(), e.orgID,
				hrsync.Request{Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerManual})
		})
	}
	close(gate)
	wg.Wait()
	started := 0
	for i := range svcs {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		if starts[i] {
			started++
		}
		if runs[i].ID != runs[0].ID {
			t.Fatalf("start %d returned run %d, start 0 run %d", i, runs[i].ID, runs[0].ID)
		}
	}
	if started != 1 {
		t.Fatalf("%d runs started, want 1", started)
	}
	return runs
}

func TestConcurrentStartsRunOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 300)
		slowSandbox(t, e)
		runs := startTogether(t, e, e.svc, e.svc, e.svc)

		// Sync Now (all) while it runs shows the running run.
		again, started, err := e.svc.StartAsync(t.Context(), e.orgID, hrsync.Request{Area: store.AreaAll, Mode: store.ModePartial, Trigger: store.TriggerManual})
		if err != nil || started || again.ID != runs[0].ID || !again.Running() {
			t.Fatalf("second Sync Now: %+v, %v, %v", again, started, err)
		}
		progress := e.waitProgress(e.svc, runs[0].ID)
		if progress.Phase != hrsync.PhaseFetching || progress.PagesFetched == 0 {
			t.Fatalf("progress %+v", progress)
		}
		done := e.waitDone(e.svc, runs[0].ID)
		if done.Status != store.RunSucceeded || done.NewCount != 300 {
			t.Fatalf("run %+v", done)
		}
		all, err := e.svc.ListRuns(t.Context(), e.orgID, 10)
		if err != nil || len(all) != 1 {
			t.Fatalf("%d runs, %v", len(all), err)
		}
		// The lease is released: the next run starts.
		e.sb.ClearFaults()
		e.sync(e.svc, store.ModePartial)
	})
}

// waitProgress polls a run until it reports fetched pages.
func (e *env) waitProgress(svc *hrsync.Service, runID int64) *store.SyncRun {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r, err := svc.RunByID(e.t.Context(), e.orgID, runID)
		if err != nil {
			e.t.Fatal(err)
		}
		if r.PagesFetched > 0 || !r.Running() {
			return r
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("run %d made no progress", runID)
	return nil
}

func TestTwoProcessesOneDatabaseRunOnce(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			url := storetest.URL(t, d)
			open := func() *store.Store {
				o := store.Options{SQLitePath: url}
				if d == store.Postgres {
					o = store.Options{DatabaseURL: url}
				}
				s, err := store.Open(o)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = s.Close() })
				return s
			}
			st1 := open()
			if d == store.SQLite {
				if _, err := st1.Migrate(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			st2 := open()
			e := newEnv(t, st1, 300)
			slowSandbox(t, e)
			f := e.personio(sandbox.FullClientID, sandbox.FullClientSecret)
			p1 := newService(t, st1, f, "process-1")
			p2 := newService(t, st2, f, "process-2")
			runs := startTogether(t, e, p1, p2, p1, p2)
			if done := e.waitDone(p2, runs[0].ID); done.Status != store.RunSucceeded {
				t.Fatalf("run %+v", done)
			}
			n, err := st2.ListSyncRuns(t.Context(), e.orgID, 10)
			if err != nil || len(n) != 1 {
				t.Fatalf("%d runs, %v", len(n), err)
			}
		})
	}
}

func TestExpiredLeaseIsTakenOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 50)
		ctx := t.Context()
		now := time.Now()

		// A process that died while running: its lease expired.
		dead := &store.SyncRun{OrgID: e.orgID, Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerSchedule}
		if _, ok, err := st.BeginSyncRun(ctx, dead, store.AreaEmployees, "dead-process", now.Add(-time.Hour), now.Add(-time.Minute)); err != nil || !ok {
			t.Fatalf("dead run: %v %v", ok, err)
		}
		r := e.sync(e.svc, store.ModeFull)
		if r.ID == dead.ID {
			t.Fatal("the dead run was returned")
		}
		old, err := e.svc.RunByID(ctx, e.orgID, dead.ID)
		if err != nil || old.Status != store.RunFailed || old.Error == "" || old.FinishedAt == nil {
			t.Fatalf("abandoned run %+v, %v", old, err)
		}

		// A live lease of another process is respected.
		live := &store.SyncRun{OrgID: e.orgID, Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerSchedule}
		if _, ok, err := st.BeginSyncRun(ctx, live, store.AreaEmployees, "live-process", now, now.Add(time.Hour)); err != nil || !ok {
			t.Fatalf("live run: %v %v", ok, err)
		}
		got, started, err := e.svc.Run(ctx, e.orgID, req(store.ModePartial))
		if err != nil || started || got.ID != live.ID {
			t.Fatalf("Run under a live lease: %+v, %v, %v", got, started, err)
		}
		if _, err := st.SyncLeaseOf(ctx, e.orgID, store.AreaEmployees); err != nil {
			t.Fatal(err)
		}

		// A lease left behind by a run that finished (its release failed)
		// does not block.
		if err := st.FinishSyncRun(ctx, e.orgID, live.ID, store.SyncRunProgress{Phase: hrsync.PhaseDone, HeartbeatAt: now}, now, ""); err != nil {
			t.Fatal(err)
		}
		e.sync(e.svc, store.ModePartial)
		if _, err := st.SyncLeaseOf(ctx, e.orgID, store.AreaEmployees); err == nil {
			t.Fatal("the lease was not released")
		}
	})
}

func TestLostLeaseStopsTheRun(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	e := newEnv(t, st, 300)
	slowSandbox(t, e)
	svc := e.service(e.personio(sandbox.FullClientID, sandbox.FullClientSecret), "p1", func(o *hrsync.Options) { o.LeaseTTL = 300 * time.Millisecond })
	r, started, err := svc.StartAsync(t.Context(), e.orgID, req(store.ModeFull))
	if err != nil || !started {
		t.Fatal(started, err)
	}
	// Another process steals the lease (as if this one had stalled).
	if err := st.DB().Exec(`UPDATE sync_leases SET holder = 'thief' WHERE org_id = ?`, e.orgID).Error; err != nil {
		t.Fatal(err)
	}
	done := e.waitDone(svc, r.ID)
	if done.Status != store.RunFailed || done.RemovedCount != 0 {
		t.Fatalf("run %+v", done)
	}
}
