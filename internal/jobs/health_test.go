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

type countingChecker struct {
	mu sync.Mutex
	at []time.Time
}

func (c *countingChecker) CheckAll(_ context.Context, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = append(c.at, now)
	return nil
}

func (c *countingChecker) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.at)
}

// TestHealthCheckOncePerSlot: two processes share one database; over one
// hour the health check runs once per 15-minute slot, with the scheduler's
// clock.
func TestHealthCheckOncePerSlot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		connectedOrg(t, st, "Europe/Berlin", func(s *store.SyncSettings) { s.BackgroundSync = false })
		start := time.Date(2026, 11, 24, 9, 0, 30, 0, time.UTC)
		clock := clockwork.NewFakeClockAt(start)
		checker := &countingChecker{}
		for i := 0; i < 2; i++ {
			s, err := New(Options{Store: st, Sync: &countingRunner{}, Health: checker, Clock: clock, ReconcileEvery: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Shutdown() })
		}
		for step := 1; step <= 12; step++ { // slots 09:15, 09:30, 09:45, 10:00
			clock.Advance(5 * time.Minute)
			want := step * 5 / 15
			deadline := time.Now().Add(5 * time.Second)
			for checker.count() < want && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			if got := checker.count(); got < want {
				t.Fatalf("after %d min: %d checks, want %d", step*5, got, want)
			}
		}
		time.Sleep(100 * time.Millisecond) // a duplicate check would show up here
		if got := checker.count(); got != 4 {
			t.Fatalf("health checks over an hour with two processes: %d, want 4", got)
		}
		if first := checker.at[0]; first.Before(start) || first.After(start.Add(20*time.Minute)) {
			t.Fatalf("first check at %v: not the scheduler's clock", first)
		}
	})
}
