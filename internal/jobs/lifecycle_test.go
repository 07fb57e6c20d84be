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

type countingTicker struct {
	mu    sync.Mutex
	ticks map[int64]int
}

func (c *countingTicker) Tick(_ context.Context, orgID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ticks[orgID]++
	return nil
}

func (c *countingTicker) count(orgID int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ticks[orgID]
}

// TestLifecycleTickOncePerSlot: two processes share one database; over one
// hour every connected organisation is ticked once per 15-minute slot (so a
// leaver is deactivated within 15 minutes), a disconnected one never.
func TestLifecycleTickOncePerSlot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		orgID := connectedOrg(t, st, "Europe/Berlin", func(s *store.SyncSettings) { s.BackgroundSync = false })
		gone := &store.Organization{Slug: "gone", Name: "Gone", TimeZone: "UTC", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.CreateOrganization(t.Context(), gone); err != nil {
			t.Fatal(err)
		}
		clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 24, 9, 0, 30, 0, time.UTC))
		ticker := &countingTicker{ticks: map[int64]int{}}
		for i := 0; i < 2; i++ {
			s, err := New(Options{Store: st, Sync: &countingRunner{}, Lifecycle: ticker, Clock: clock, ReconcileEvery: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Shutdown() })
		}
		for step := 1; step <= 12; step++ { // 12 × 5 min = one hour: slots 09:15, 09:30, 09:45, 10:00
			clock.Advance(5 * time.Minute)
			want := (step*5 + 0) / 15
			deadline := time.Now().Add(5 * time.Second)
			for ticker.count(orgID) < want && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			if got := ticker.count(orgID); got < want {
				t.Fatalf("after %d min: %d ticks, want %d", step*5, got, want)
			}
		}
		time.Sleep(100 * time.Millisecond) // a duplicate tick would show up here
		if got := ticker.count(orgID); got != 4 {
			t.Fatalf("ticks over an hour with two processes: %d, want 4", got)
		}
		if got := ticker.count(gone.ID); got != 0 {
			t.Fatalf("an organisation without an HR connection was ticked %d times", got)
		}
	})
}
