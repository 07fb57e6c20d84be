package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// dayCounter counts every job of a scheduler: syncs per organisation and
// mode, lifecycle ticks and outbox pushes per organisation, housekeeping.
type dayCounter struct {
	mu           sync.Mutex
	syncs        map[int64]map[string]int
	ticks        map[int64]int
	pushes       map[int64]int
	housekeeping int
}

func newDayCounter() *dayCounter {
	return &dayCounter{syncs: map[int64]map[string]int{}, ticks: map[int64]int{}, pushes: map[int64]int{}}
}

func (c *dayCounter) RunScheduled(_ context.Context, orgID int64, mode string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.syncs[orgID] == nil {
		c.syncs[orgID] = map[string]int{}
	}
	c.syncs[orgID][mode]++
	return nil
}

func (c *dayCounter) Tick(_ context.Context, orgID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ticks[orgID]++
	return nil
}

func (c *dayCounter) PushOrg(_ context.Context, orgID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pushes[orgID]++
	return nil
}

func (c *dayCounter) Prune(context.Context, time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.housekeeping++
	return nil
}

// dayOrg creates an organisation, connected to its HR system with settings
// when connected is true.
func dayOrg(t *testing.T, st *store.Store, slug, tz string, connected bool, settings func(*store.SyncSettings)) int64 {
	t.Helper()
	ctx := t.Context()
	now := time.Now().UTC()
	org := &store.Organization{Slug: slug, Name: slug, TimeZone: tz, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	if !connected {
		return org.ID
	}
	if err := st.SaveHRConnection(ctx, &store.HRConnection{OrgID: org.ID, Provider: "personio", BaseURL: "http://x", ClientID: "id", ClientSecretEnc: "v1:x",
		ReadableAttributes: "[]", Status: store.ConnConnected, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	s := store.DefaultSyncSettings(org.ID)
	settings(&s)
	if err := st.SaveSyncSettings(ctx, &s); err != nil {
		t.Fatal(err)
	}
	return org.ID
}

// TestTwoProcessesRunEveryJobOnceOverADay extends
// TestTwoProcessesRunEachSlotOnce (syncs of one organisation),
// TestLifecycleTickOncePerSlot and TestOutboxJobOncePerSlot (an hour, half
// an hour): two schedulers, each with its own connection pool to one
// database as two Roster processes have, run every job together —
// housekeeping, lifecycle ticks, outbox pushes and the full and partial
// syncs of organisations in two time zones — over a simulated day, and
// each job runs exactly once per slot.
func TestTwoProcessesRunEveryJobOnceOverADay(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			url := storetest.URL(t, d)
			var stores []*store.Store
			for range 2 {
				o := store.Options{DatabaseURL: url}
				if d == store.SQLite {
					o = store.Options{SQLitePath: url}
				}
				st, err := store.Open(o)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = st.Close() })
				if _, err := st.Migrate(t.Context()); err != nil {
					t.Fatal(err)
				}
				stores = append(stores, st)
			}
			st := stores[0]
			// Berlin is UTC+1 in November, New York UTC−5.
			berlin := dayOrg(t, st, "berlin", "Europe/Berlin", true, func(s *store.SyncSettings) { s.PartialIntervalHours = 6 })
			newYork := dayOrg(t, st, "new-york", "America/New_York", true, func(s *store.SyncSettings) {
				s.PartialIntervalHours, s.FullSyncTime = 4, "23:45"
			})
			idle := dayOrg(t, st, "idle", "UTC", false, nil)

			start := time.Date(2026, 11, 24, 0, 0, 30, 0, time.UTC)
			clock := clockwork.NewFakeClockAt(start)
			counts := []*dayCounter{newDayCounter(), newDayCounter()}
			for i := range 2 {
				c := counts[i]
				s, err := New(Options{Store: stores[i], Sync: c, Housekeeper: c, Lifecycle: c, Outbox: c, Clock: clock, ReconcileEvery: time.Hour})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Start(t.Context()); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = s.Shutdown() })
			}
			total := func() (pushes, ticks, syncs int) {
				for _, c := range counts {
					c.mu.Lock()
					pushes += c.pushes[berlin]
					ticks += c.ticks[berlin]
					for _, m := range c.syncs {
						syncs += m[ModeFull] + m[ModePartial]
					}
					c.mu.Unlock()
				}
				return
			}
			// One simulated day in 5-minute steps (the outbox interval): after
			// each step wait until that step's push and tick happened.
			for step := 1; step <= 288; step++ {
				clock.Advance(5 * time.Minute)
				deadline := time.Now().Add(5 * time.Second)
				for {
					p, tk, _ := total()
					if p >= step && tk >= step/3 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("at %s: %d outbox pushes (want %d), %d lifecycle ticks (want %d)",
							clock.Now().Format("15:04"), p, step, tk, step/3)
					}
					time.Sleep(time.Millisecond)
				}
			}
			// The syncs of the last slots (00:00 in Berlin is the last step).
			deadline := time.Now().Add(5 * time.Second)
			for _, _, s := total(); s < 12 && time.Now().Before(deadline); _, _, s = total() {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond) // a duplicate would show up here

			sum := newDayCounter()
			perProcess := [2]int{}
			for i, c := range counts {
				c.mu.Lock()
				for org, m := range c.syncs {
					for mode, n := range m {
						if sum.syncs[org] == nil {
							sum.syncs[org] = map[string]int{}
						}
						sum.syncs[org][mode] += n
						perProcess[i] += n
					}
				}
				for org, n := range c.ticks {
					sum.ticks[org] += n
					perProcess[i] += n
				}
				for org, n := range c.pushes {
					sum.pushes[org] += n
					perProcess[i] += n
				}
				sum.housekeeping += c.housekeeping
				perProcess[i] += c.housekeeping
				c.mu.Unlock()
			}
			// From 00:00:30 UTC to 00:00:30 UTC the next day:
			//   housekeeping 03:15 once; lifecycle every 15 min = 96 and the
			//   outbox every 5 min = 288 per connected organisation;
			//   Berlin (01:00:30 → 01:00:30): full 06:30, partials 06, 12, 18, 00;
			//   New York (19:00:30 → 19:00:30): full 23:45, partials 20, 00, 04, 08, 12, 16.
			want := map[string]int{
				"housekeeping": 1, "ticks berlin": 96, "ticks new-york": 96, "ticks idle": 0,
				"pushes berlin": 288, "pushes new-york": 288, "pushes idle": 0,
				"full berlin": 1, "partial berlin": 4, "full new-york": 1, "partial new-york": 6, "syncs idle": 0,
			}
			got := map[string]int{
				"housekeeping": sum.housekeeping, "ticks berlin": sum.ticks[berlin], "ticks new-york": sum.ticks[newYork], "ticks idle": sum.ticks[idle],
				"pushes berlin": sum.pushes[berlin], "pushes new-york": sum.pushes[newYork], "pushes idle": sum.pushes[idle],
				"full berlin": sum.syncs[berlin][ModeFull], "partial berlin": sum.syncs[berlin][ModePartial],
				"full new-york": sum.syncs[newYork][ModeFull], "partial new-york": sum.syncs[newYork][ModePartial],
				"syncs idle": len(sum.syncs[idle]),
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s over a day with two processes: %d, want %d", k, got[k], w)
				}
			}
			// Every slot claimed once, in the shared table.
			for job, n := range map[string]int{"outbox": 288, "lifecycle": 96, "housekeeping": 1,
				JobName(berlin, ModePartial): 4, JobName(newYork, ModePartial): 6} {
				claims, err := st.JobClaims(t.Context(), job)
				if err != nil || len(claims) != n {
					t.Errorf("%s: %d claimed slots, want %d (%v)", job, len(claims), n, err)
				}
			}
			t.Logf("jobs run by process 1: %d, by process 2: %d", perProcess[0], perProcess[1])
		})
	}
}
