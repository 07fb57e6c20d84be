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

type countingPusher struct {
	mu     sync.Mutex
	pushes map[int64]int
}

func (c *countingPusher) PushOrg(_ context.Context, orgID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pushes[orgID]++
	return nil
}

func (c *countingPusher) count(orgID int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pushes[orgID]
}

// TestOutboxJobOncePerSlot: two processes share one database; over half an
// hour every connected organisation's outbox is pushed once per 5-minute
// slot.
func TestOutboxJobOncePerSlot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		orgID := connectedOrg(t, st, "Europe/Berlin", func(s *store.SyncSettings) { s.BackgroundSync = false })
		clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 24, 9, 0, 30, 0, time.UTC))
		pusher := &countingPusher{pushes: map[int64]int{}}
		for range 2 {
			s, err := New(Options{Store: st, Sync: &countingRunner{}, Outbox: pusher, Clock: clock, ReconcileEvery: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Shutdown() })
		}
		for step := 1; step <= 6; step++ {
			clock.Advance(5 * time.Minute)
			deadline := time.Now().Add(5 * time.Second)
			for pusher.count(orgID) < step && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			if got := pusher.count(orgID); got < step {
				t.Fatalf("after %d min: %d pushes, want %d", step*5, got, step)
			}
		}
		time.Sleep(100 * time.Millisecond) // a duplicate push would show up here
		if got := pusher.count(orgID); got != 6 {
			t.Fatalf("pushes over 30 minutes with two processes: %d, want 6", got)
		}
	})
}
