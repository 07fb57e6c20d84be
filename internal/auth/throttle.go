package auth

import (
	"sync"
	"time"
)

// Throttle limits failed logins per key (an IP address, an email) in a sliding window.
type Throttle struct {
	mu     sync.Mutex
	fails  map[string][]time.Time
	now    func() time.Time
	window time.Duration
	limits map[string]int // by key prefix
}

// NewThrottle allows perIP failures per IP and perEmail failures per email within window.
func NewThrottle(perIP, perEmail int, window time.Duration, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{fails: map[string][]time.Time{}, now: now, window: window,
		limits: map[string]int{"ip:": perIP, "email:": perEmail}}
}

func (t *Throttle) limit(key string) int {
	for p, n := range t.limits {
		if len(key) >= len(p) && key[:len(p)] == p {
			return n
		}
	}
	return 10
}

// Blocked reports whether any key is over its limit, and when the oldest failure expires.
func (t *Throttle) Blocked(keys ...string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	for _, k := range keys {
		fs := t.prune(k, now)
		if len(fs) >= t.limit(k) {
			if w := fs[0].Add(t.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait > 0, wait
}

// Fail records a failure for every key.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		t.fails[k] = append(t.prune(k, now), now)
	}
	if len(t.fails) > 100000 { // bound memory under a spray attack
		for k := range t.fails {
			if len(t.prune(k, now)) == 0 {
				delete(t.fails, k)
			}
		}
	}
}

// Reset forgets the failures of key (after a successful login).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

func (t *Throttle) prune(k string, now time.Time) []time.Time {
	fs := t.fails[k]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= t.window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.fails, k)
	} else {
		t.fails[k] = fs
	}
	return fs
}
