package personio

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Rate is a token bucket: requests are sent at PerSecond on average and at
// most Burst at once. The zero Rate is unlimited.
type Rate struct {
	PerSecond float64
	Burst     int
}

func (r Rate) unlimited() bool { return r.PerSecond <= 0 }

// Limits are the client-side rate limits per endpoint group. The client waits
// for its own budget before each request so that a normal run never meets a
// 429; a 429 that happens anyway pauses the whole group for as long as the
// server asks.
type Limits struct {
	// Off disables client-side limiting (the server's 429s are still honoured).
	Off bool
	// Auth is POST /v1/auth.
	Auth Rate
	// Token is POST /v2/auth/token.
	Token Rate
	// Employees is every /v1/company/employees endpoint.
	Employees Rate
	// V2 is every other /v2 endpoint (attendance periods).
	V2 Rate
	// Other is every other endpoint (time-offs, time-off types).
	Other Rate
}

// DefaultLimits returns Personio's published limits (NOTES.md §9):
//
//   - /v1/company/employees: 300 per minute with bursts of 15, i.e. a bucket
//     of 15 refilled at 5 per second;
//   - /v1/auth: 60 per minute, then a 60 s cool-down; 0.98 per second never
//     puts 60 requests into one minute even when network jitter bunches them;
//   - /v2/auth/token: 150 per minute, likewise 2.45 per second;
//   - v2 attendance periods: undocumented; the employees budget is assumed
//     [inf], as token-bucket headers were observed on v2.
//
// Time-offs have no published limit and are not throttled client-side.
func DefaultLimits() Limits {
	return Limits{
		Auth:      Rate{PerSecond: 0.98, Burst: 1},
		Token:     Rate{PerSecond: 2.45, Burst: 1},
		Employees: Rate{PerSecond: 5, Burst: 15},
		V2:        Rate{PerSecond: 5, Burst: 15},
	}
}

// NoLimits disables client-side rate limiting.
func NoLimits() Limits { return Limits{Off: true} }

// bucket is the client-side budget of one endpoint group plus the cool-down
// a 429 imposes on it.
type bucket struct {
	name string
	lim  *limiter // nil: unlimited

	mu    sync.Mutex
	until time.Time // no request before this instant (after a 429)
}

func newBucket(name string, r Rate, off bool) *bucket {
	b := &bucket{name: name}
	if off || r.unlimited() {
		return b
	}
	b.lim = newLimiter(r, time.Now)
	return b
}

// slot is one request's place in a bucket: sent says when it reached the
// wire (or may have), unsent that it never left the client.
type slot struct {
	lim *limiter
}

// sent books the request as having arrived at the server no later than now
// (call it when the response, or the failure, came back).
func (s slot) sent() {
	if s.lim != nil {
		s.lim.commit(true)
	}
}

// unsent gives the slot back: the request never reached the server.
func (s slot) unsent() {
	if s.lim != nil {
		s.lim.commit(false)
	}
}

// wait blocks until a request may be sent and returns its slot, which the
// caller must close with sent or unsent.
func (b *bucket) wait(ctx context.Context) (slot, error) {
	b.mu.Lock()
	until := b.until
	b.mu.Unlock()
	if d := time.Until(until); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return slot{}, err
		}
	}
	if b.lim == nil {
		return slot{}, nil
	}
	if err := b.lim.wait(ctx); err != nil {
		return slot{}, err
	}
	return slot{lim: b.lim}, nil
}

// pause makes the bucket wait d before its next request.
func (b *bucket) pause(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.Now().Add(d)
	b.mu.Lock()
	if t.After(b.until) {
		b.until = t
	}
	b.mu.Unlock()
}

// limiter is a client-side token bucket (in its GCRA form) that spends the
// whole burst and still never gets ahead of the server's bucket, whatever the
// network does to the requests' timing.
//
// The server takes a token when a request arrives, at some instant between
// the client sending it and the client receiving the answer. A limiter that
// books requests when they are sent is ahead of the server by the first
// request's latency (the server's refill starts later than the client's), so
// with the whole burst spent the request after the burst can meet an empty
// bucket; that is why limiters usually hold a token in reserve and lose one
// interval for it. This one books a request when its answer came back (no
// earlier than the server took its token) and checks the next one at the
// moment it is sent (no later than the server will see it): the server's
// bucket is then always at least as full as the limiter's, with the whole
// burst usable. Requests still in flight count as taken at the moment of the
// check.
type limiter struct {
	interval time.Duration // one token's refill time, 1/rate
	tau      time.Duration // (burst-1) × interval: how far ahead tat may run
	now      func() time.Time

	mu       sync.Mutex
	tat      time.Time     // theoretical arrival time after the booked requests
	inflight int           // requests let through and not yet booked
	changed  chan struct{} // closed and replaced when a booking frees waiters
}

func newLimiter(r Rate, now func() time.Time) *limiter {
	burst := max(r.Burst, 1)
	interval := time.Duration(float64(time.Second) / r.PerSecond)
	return &limiter{interval: interval, tau: time.Duration(burst-1) * interval, now: now, changed: make(chan struct{})}
}

// reserve lets one request through if the bucket allows it now; otherwise it
// returns how long to wait at least and a channel closed when a booking
// changes the answer.
func (l *limiter) reserve() (time.Duration, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	tat := l.tat
	if tat.Before(now) {
		tat = now
	}
	// Requests in flight may arrive at the same instant as this one.
	at := tat.Add(time.Duration(l.inflight)*l.interval - l.tau)
	if !now.Before(at) {
		l.inflight++
		return 0, nil
	}
	return at.Sub(now), l.changed
}

// wait blocks until a request may be sent and counts it in flight.
func (l *limiter) wait(ctx context.Context) error {
	for {
		d, changed := l.reserve()
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		case <-changed:
			t.Stop()
		}
	}
}

// commit ends a request in flight; took books it at the present instant.
func (l *limiter) commit(took bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	if took {
		now := l.now()
		if l.tat.Before(now) {
			l.tat = now
		}
		l.tat = l.tat.Add(l.interval)
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

type buckets struct {
	auth, token, employees, v2, other *bucket
}

func newBuckets(l Limits) buckets {
	return buckets{
		auth:      newBucket("auth", l.Auth, l.Off),
		token:     newBucket("token", l.Token, l.Off),
		employees: newBucket("employees", l.Employees, l.Off),
		v2:        newBucket("v2", l.V2, l.Off),
		other:     newBucket("other", l.Other, l.Off),
	}
}

func (bs buckets) forPath(path string) *bucket {
	switch {
	case path == pathV1Auth:
		return bs.auth
	case path == pathV2Token:
		return bs.token
	case path == pathEmployees || strings.HasPrefix(path, pathEmployees+"/"):
		return bs.employees
	case strings.HasPrefix(path, "/v2/"):
		return bs.v2
	}
	return bs.other
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff returns the delay before retry n (1-based): full jitter over an
// exponentially growing window, capped.
func backoff(base, maxDelay time.Duration, n int, jitter func(int64) int64) time.Duration {
	window := float64(base) * math.Pow(2, float64(n-1))
	if window > float64(maxDelay) {
		window = float64(maxDelay)
	}
	w := int64(window)
	if w <= 0 {
		return 0
	}
	// Half fixed, half random: retries never fire immediately but still
	// spread out.
	return time.Duration(w/2 + jitter(w/2+1))
}

// randJitter spreads retries; it needs no cryptographic randomness.
func randJitter(n int64) int64 { return rand.Int64N(n) } //nolint:gosec // G404: jitter, not a secret
