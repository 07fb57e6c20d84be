package personio

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// serverBucket is the server's side of a token bucket, taking a token when a
// request arrives (as Personio and the sandbox do).
type serverBucket struct {
	capacity, perSecond float64
	tokens              float64
	last                time.Time
}

func (b *serverBucket) take(at time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = math.Min(b.capacity, b.tokens+at.Sub(b.last).Seconds()*b.perSecond)
	}
	b.last = at
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// TestLimiterNeverAheadOfServer sends requests one after another with
// random latencies, the first one slow (a new connection), against a server
// bucket of the same size: the limiter spends the whole burst at once and
// the server never refuses a request.
func TestLimiterNeverAheadOfServer(t *testing.T) {
	r := Rate{PerSecond: 5, Burst: 15}
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 7)) //nolint:gosec // G404: test jitter
		now := time.Unix(1_700_000_000, 0)
		l := newLimiter(r, func() time.Time { return now })
		srv := &serverBucket{capacity: 15, perSecond: 5, tokens: 15}
		start := now
		for i := range 120 {
			waited := false
			for {
				d, _ := l.reserve()
				if d <= 0 {
					break
				}
				waited = true
				now = now.Add(d)
			}
			if i < r.Burst && waited {
				t.Fatalf("seed %d: request %d of the burst waited", seed, i+1)
			}
			up := time.Duration(rng.Int64N(int64(3 * time.Millisecond)))
			if i == 0 {
				up = 40 * time.Millisecond
			}
			arrive := now.Add(up)
			if !srv.take(arrive) {
				t.Fatalf("seed %d: request %d (sent %v after the first) refused by the server", seed, i+1, now.Sub(start))
			}
			now = arrive.Add(time.Duration(rng.Int64N(int64(5 * time.Millisecond))))
			l.commit(true)
		}
		// 105 requests beyond the burst at 5 per second take 21 s; the
		// limiter adds no more than the first request's round trip.
		if got, floor := now.Sub(start), 21*time.Second; got < floor || got > floor+60*time.Millisecond {
			t.Errorf("seed %d: 120 requests took %v, want %v plus the first round trip", seed, got, floor)
		}
	}
}

// TestLimiterCountsRequestsInFlight: requests let through and not yet
// answered take their token at once; a request that never left gives it back.
func TestLimiterCountsRequestsInFlight(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(Rate{PerSecond: 10, Burst: 3}, func() time.Time { return now })
	for i := range 3 {
		if d, _ := l.reserve(); d != 0 {
			t.Fatalf("request %d of the burst must wait %v", i+1, d)
		}
	}
	d, changed := l.reserve()
	if d != 100*time.Millisecond {
		t.Fatalf("fourth request waits %v, want 100ms", d)
	}
	l.commit(false) // one of the three never left
	select {
	case <-changed:
	default:
		t.Fatal("waiters were not woken when a slot was given back")
	}
	if d, _ := l.reserve(); d != 0 {
		t.Fatalf("after a slot came back the request waits %v", d)
	}
	// Three in flight answered 50 ms later: the next token is 100 ms after that.
	now = now.Add(50 * time.Millisecond)
	for range 3 {
		l.commit(true)
	}
	if d, _ := l.reserve(); d != 100*time.Millisecond {
		t.Fatalf("after the burst the request waits %v, want 100ms", d)
	}
}

func TestLimiterBurstOfOneIsSerial(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(Rate{PerSecond: 1, Burst: 1}, func() time.Time { return now })
	if d, _ := l.reserve(); d != 0 {
		t.Fatalf("first request waits %v", d)
	}
	now = now.Add(5 * time.Second)
	if d, _ := l.reserve(); d <= 0 {
		t.Fatal("a second request went out while the first was in flight")
	}
	l.commit(true)
	if d, _ := l.reserve(); d != time.Second {
		t.Fatalf("second request waits %v, want 1s after the first answer", d)
	}
}
