package store_test

import (
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestCloseAbandonedSyncRuns: a run whose process died (its lease expired
// before the cutoff) is closed as failed; a run under a live lease, a run
// whose lease expired only after the cutoff, and another organisation's
// dead run are left running.
func TestCloseAbandonedSyncRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Now().UTC().Truncate(time.Millisecond)
		var orgs []int64
		for _, slug := range []string{"acme", "beta"} {
			o := &store.Organization{Slug: slug, Name: slug, TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
			if err := st.CreateOrganization(ctx, o); err != nil {
				t.Fatal(err)
			}
			orgs = append(orgs, o.ID)
		}
		begin := func(orgID int64, area string, expires time.Time) *store.SyncRun {
			t.Helper()
			r := &store.SyncRun{OrgID: orgID, Area: area, Mode: store.ModeFull, Trigger: store.TriggerSchedule}
			if _, ok, err := st.BeginSyncRun(ctx, r, area, "holder-"+area, expires.Add(-time.Hour), expires); err != nil || !ok {
				t.Fatalf("begin %s run: %v %v", area, ok, err)
			}
			return r
		}
		ttl := 2 * time.Minute
		dead := begin(orgs[0], store.AreaEmployees, now.Add(-ttl-time.Minute)) // expired over a TTL ago
		late := begin(orgs[0], store.AreaAbsences, now.Add(-time.Minute))      // expired within the TTL: heartbeats late
		live := begin(orgs[0], store.AreaTimeTracking, now.Add(time.Minute))   // live
		other := begin(orgs[1], store.AreaEmployees, now.Add(-ttl-time.Minute))

		n, err := st.CloseAbandonedSyncRuns(ctx, orgs[0], now.Add(-ttl), now)
		if err != nil || n != 1 {
			t.Fatalf("closed %d runs, %v; want 1", n, err)
		}
		for _, c := range []struct {
			run    *store.SyncRun
			status string
		}{{dead, store.RunFailed}, {late, store.RunRunning}, {live, store.RunRunning}, {other, store.RunRunning}} {
			r, err := st.SyncRun(ctx, c.run.OrgID, c.run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != c.status {
				t.Errorf("run %d (%s): %s, want %s", r.ID, r.Area, r.Status, c.status)
			}
			if c.status == store.RunFailed && (r.Error == "" || r.FinishedAt == nil) {
				t.Errorf("closed run without reason or end: %+v", r)
			}
		}
		if n, err := st.CloseAbandonedSyncRuns(ctx, orgs[0], now.Add(-ttl), now); err != nil || n != 0 {
			t.Fatalf("second call closed %d runs, %v", n, err)
		}
	})
}
