package jobs

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/robfig/cron/v3"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

type countingRunner struct {
	mu   sync.Mutex
	runs map[string]int
	n    atomic.Int32
}

func (c *countingRunner) RunScheduled(_ context.Context, orgID int64, mode string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runs == nil {
		c.runs = map[string]int{}
	}
	c.runs[mode]++
	c.n.Add(1)
	return nil
}

func connectedOrg(t *testing.T, st *store.Store, tz string, settings func(*store.SyncSettings)) int64 {
	t.Helper()
	ctx := t.Context()
	org := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: tz, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.SaveHRConnection(ctx, &store.HRConnection{OrgID: org.ID, Provider: "personio", BaseURL: "http://x", ClientID: "id", ClientSecretEnc: "v1:x",
		ReadableAttributes: "[]", Status: store.ConnConnected, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	s := store.DefaultSyncSettings(org.ID)
	if settings != nil {
		settings(&s)
	}
	if err := st.SaveSyncSettings(ctx, &s); err != nil {
		t.Fatal(err)
	}
	return org.ID
}

// TestTwoProcessesRunEachSlotOnce simulates two Roster processes sharing one
// database over a day: each scheduled slot runs exactly once.
func TestTwoProcessesRunEachSlotOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		berlin, _ := time.LoadLocation("Europe/Berlin")
		orgID := connectedOrg(t, st, "Europe/Berlin", func(s *store.SyncSettings) { s.PartialIntervalHours = 6 })
		clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 24, 0, 0, 30, 0, berlin))
		runner := &countingRunner{}
		var scheds []*Scheduler
		for i := 0; i < 2; i++ {
			s, err := New(Options{Store: st, Sync: runner, Clock: clock, ReconcileEvery: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			scheds = append(scheds, s)
			t.Cleanup(func() { _ = s.Shutdown() })
		}
		full, partial := scheds[0].NextRuns(orgID)
		if got := full.In(berlin).Format("15:04"); got != "06:30" {
			t.Fatalf("next full sync at %s, want 06:30 Berlin", got)
		}
		if got := partial.In(berlin).Format("15:04"); got != "06:00" {
			t.Fatalf("next partial sync at %s, want 06:00", got)
		}
		// Walk one simulated day in 10-minute steps. After a step that passes a
		// slot, wait until that run happened before moving on.
		day := time.Date(2026, 11, 24, 0, 0, 0, 0, berlin)
		slots := []time.Duration{6 * time.Hour, 6*time.Hour + 30*time.Minute, 12 * time.Hour, 18 * time.Hour, 24 * time.Hour}
		for step := 0; step < 6*24; step++ {
			clock.Advance(10 * time.Minute)
			want := int32(0)
			for _, sl := range slots {
				if !day.Add(sl).After(clock.Now()) {
					want++
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for runner.n.Load() < want && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			if runner.n.Load() < want {
				t.Fatalf("at %s: %d runs, want %d", clock.Now().In(berlin).Format("15:04"), runner.n.Load(), want)
			}
		}
		time.Sleep(100 * time.Millisecond) // a duplicate run would show up here
		runner.mu.Lock()
		defer runner.mu.Unlock()
		// 24h from 00:00:30: full at 06:30 once; partial at 06, 12, 18, 24(00:00 next day) = 4.
		if runner.runs[ModeFull] != 1 || runner.runs[ModePartial] != 4 {
			t.Fatalf("runs over a day with two processes: %v (want full 1, partial 4)", runner.runs)
		}
		claims, err := st.JobClaims(t.Context(), JobName(orgID, ModeFull))
		if err != nil || len(claims) != 1 {
			t.Fatalf("full-sync claims %d: %v", len(claims), err)
		}
	})
}

func TestReplanAndDisconnect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		orgID := connectedOrg(t, st, "UTC", nil)
		clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC))
		s, err := New(Options{Store: st, Sync: &countingRunner{}, Clock: clock, ReconcileEvery: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Shutdown() })
		settings, _ := st.SyncSettings(ctx, orgID)
		settings.FullSyncTime = "22:15"
		if err := st.SaveSyncSettings(ctx, settings); err != nil {
			t.Fatal(err)
		}
		if err := s.Replan(ctx, orgID); err != nil {
			t.Fatal(err)
		}
		if full, _ := s.NextRuns(orgID); full.UTC().Format("15:04") != "22:15" {
			t.Fatalf("after replan next full run %v", full)
		}
		settings.BackgroundSync = false
		_ = st.SaveSyncSettings(ctx, settings)
		if err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if full, partial := s.NextRuns(orgID); !full.IsZero() || !partial.IsZero() {
			t.Fatal("background sync off but jobs still scheduled")
		}
		settings.BackgroundSync = true
		_ = st.SaveSyncSettings(ctx, settings)
		_ = s.Reconcile(ctx)
		conn, _ := st.HRConnection(ctx, orgID)
		conn.Status = store.ConnDisconnected
		_ = st.SaveHRConnection(ctx, conn)
		if err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if full, _ := s.NextRuns(orgID); !full.IsZero() {
			t.Fatal("disconnected organisation still scheduled")
		}
	})
}

// TestSlotOfLateAndEarlyFirings: a firing names the activation it belongs
// to — on time, a few minutes early (clock skew), 40 minutes late (it used
// to name the next hour's slot, which the on-time firing then found taken),
// or more than an interval late (the latest due slot only).
func TestSlotOfLateAndEarlyFirings(t *testing.T) {
	hourly, err := cron.ParseStandard("0 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	daily, err := cron.ParseStandard("CRON_TZ=Europe/Berlin 30 6 * * *")
	if err != nil {
		t.Fatal(err)
	}
	at := func(h, m int) time.Time { return time.Date(2026, 11, 24, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		name      string
		sched     cron.Schedule
		now, want time.Time
	}{
		{"on time", hourly, at(10, 0), at(10, 0)},
		{"3 minutes early", hourly, at(9, 57), at(10, 0)},
		{"40 minutes late", hourly, at(10, 40), at(10, 0)},
		{"the next slot on time", hourly, at(11, 0), at(11, 0)},
		{"2.5 intervals late", hourly, at(12, 30), at(12, 0)},
		{"daily, on time", daily, at(5, 30), at(5, 30)},
		{"daily, 5 hours late", daily, at(10, 30), at(5, 30)},
	} {
		if got := slotOf(c.sched, c.now); !got.Equal(c.want) {
			t.Errorf("%s: slot %s, want %s", c.name, got.UTC().Format(time.RFC3339), c.want.Format(time.RFC3339))
		}
	}
}
