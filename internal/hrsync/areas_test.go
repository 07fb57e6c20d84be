package hrsync_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestAreaRuns: a run of the time tracking area calls only its function and
// records its counts; a run of all areas syncs the employees, then the
// area; an area without a function cannot be requested.
func TestAreaRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 7)
		calls := 0
		svc := e.service(e.personio(sandbox.FullClientID, sandbox.FullClientSecret), "", func(o *hrsync.Options) {
			o.Areas = map[string]hrsync.AreaFunc{store.AreaTimeTracking: func(_ context.Context, run *store.SyncRun) (hrsync.AreaCounts, error) {
				calls++
				if run.Area != store.AreaTimeTracking && run.Area != store.AreaAll {
					t.Errorf("area func called for a %s run", run.Area)
				}
				return hrsync.AreaCounts{Processed: 3, Pushed: 2, Failed: 1}, nil
			}}
		})
		run, started, err := svc.Run(t.Context(), e.orgID, hrsync.Request{Area: store.AreaTimeTracking, Mode: store.ModeFull, Trigger: store.TriggerManual})
		if err != nil || !started || run.Status != store.RunSucceeded {
			t.Fatalf("time tracking run: %v %v %+v", started, err, run)
		}
		if calls != 1 || run.Processed != 3 || run.NewCount != 2 || run.ErrorCount != 1 || run.PagesFetched != 0 {
			t.Fatalf("time tracking run counts: calls %d, %+v", calls, run)
		}
		n, err := st.CountHREmployees(t.Context(), e.orgID)
		if err != nil || n != 0 {
			t.Fatalf("a time tracking run synced %d employees (%v)", n, err)
		}
		run, _, err = svc.Run(t.Context(), e.orgID, hrsync.Request{Area: store.AreaAll, Mode: store.ModeFull, Trigger: store.TriggerManual})
		if err != nil || run.Status != store.RunSucceeded || calls != 2 || run.NewCount != 7+2 {
			t.Fatalf("all run: calls %d, %v, %+v", calls, err, run)
		}
		_, _, err = svc.Run(t.Context(), e.orgID, hrsync.Request{Area: store.AreaAbsences, Mode: store.ModeFull, Trigger: store.TriggerManual})
		if !errors.As(err, new(*roster.ValidationError)) {
			t.Fatalf("absences without a function: %v", err)
		}
	})
}
