package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit describes one of the sandbox's rate limits so that benchmarks
// can compute lower bounds for their run time.
//
// Kind "token_bucket": a bucket of Capacity tokens refilled at
// RefillPerSecond; each request takes one token.
// Kind "window": Capacity requests per Window; the request that exceeds it
// starts a Cooldown during which requests are rejected, except
// CooldownPerSecond requests per second when that is set.
type RateLimit struct {
	Name              string        `json:"name"`
	Routes            []string      `json:"routes"`
	Kind              string        `json:"kind"`
	Capacity          int           `json:"capacity"`
	RefillPerSecond   float64       `json:"refill_per_second,omitempty"`
	Window            time.Duration `json:"window,omitempty"`
	Cooldown          time.Duration `json:"cooldown,omitempty"`
	CooldownPerSecond float64       `json:"cooldown_per_second,omitempty"`
	Inferred          bool          `json:"inferred"`
	Source            string        `json:"source"`
}

// ReplenishRate is the value of the x-ratelimit-replenish-rate header:
// tokens (requests) per second.
func (l RateLimit) ReplenishRate() float64 {
	if l.Kind == "token_bucket" {
		return l.RefillPerSecond
	}
	return float64(l.Capacity) / l.Window.Seconds()
}

func defaultRateLimits() []RateLimit {
	employees := []string{
		"GET /v1/company/employees",
		"GET /v1/company/employees/{id}",
		"GET /v1/company/employees/attributes",
		"GET /v1/company/employees/custom-attributes",
		"GET /v1/company/employees/{id}/profile-picture/{width}",
	}
	return []RateLimit{
		{
			// "300 req/min, burst 15 req/s" read as a token bucket: 15 tokens,
			// refilled at 300/60 = 5 per second. A client can send 15 requests
			// at once and then sustains 5 per second. Applying it to every
			// employees route (not only the list) is inferred.
			Name: "v1-employees", Routes: employees, Kind: "token_bucket", Capacity: 15, RefillPerSecond: 5,
			Source: "HUB changelog 2024-05-06 (NOTES.md §9)",
		},
		{
			Name: "v1-auth", Routes: []string{"POST /v1/auth"}, Kind: "window", Capacity: 60,
			Window: time.Minute, Cooldown: time.Minute,
			Source: "HUB reference/auth: 60 req/min, then a 60 s cool-down (NOTES.md §9)",
		},
		{
			Name: "v2-token", Routes: []string{"POST /v2/auth/token"}, Kind: "window", Capacity: 150,
			Window: time.Minute, Cooldown: time.Minute, CooldownPerSecond: 1,
			Source: "HUB v2.0/reference/authentication: 150 req/min, then 1 req/s for 60 s (NOTES.md §9)",
		},
		{
			// Undocumented; the same bucket as the employees endpoint is
			// assumed (token-bucket headers were observed on v2).
			Name: "v2-attendance-periods", Kind: "token_bucket", Capacity: 15, RefillPerSecond: 5, Inferred: true,
			Routes: []string{
				"GET /v2/attendance-periods", "POST /v2/attendance-periods",
				"GET /v2/attendance-periods/{id}", "PATCH /v2/attendance-periods/{id}", "DELETE /v2/attendance-periods/{id}",
			},
			Source: "inferred: undocumented for v2; x-ratelimit-* token-bucket headers observed (NOTES.md §9)",
		},
	}
}

// limiterState is the mutable state of one RateLimit.
type limiterState struct {
	def RateLimit
	// token bucket
	tokens float64
	last   time.Time
	// window
	windowStart   time.Time
	count         int
	cooldownUntil time.Time
	lastCooldown  time.Time
}

type rateLimiter struct {
	enabled bool
	mu      sync.Mutex
	byRoute map[string]*limiterState
	all     []*limiterState
}

func newRateLimiter(enabled bool) *rateLimiter {
	rl := &rateLimiter{enabled: enabled, byRoute: map[string]*limiterState{}}
	for _, def := range defaultRateLimits() {
		st := &limiterState{def: def, tokens: float64(def.Capacity)}
		rl.all = append(rl.all, st)
		for _, r := range def.Routes {
			rl.byRoute[r] = st
		}
	}
	return rl
}

// RateLimits describes the limits (empty when rate limiting is off).
func (s *Server) RateLimits() []RateLimit {
	if !s.limits.enabled {
		return nil
	}
	out := make([]RateLimit, 0, len(s.limits.all))
	for _, st := range s.limits.all {
		out = append(out, st.def)
	}
	return out
}

// take decides one request. It returns the remaining allowance and, when
// rejected, how long to wait.
func (st *limiterState) take(now time.Time) (ok bool, remaining int, retry time.Duration) {
	d := st.def
	if d.Kind == "token_bucket" {
		if st.last.IsZero() {
			st.last = now
		}
		if el := now.Sub(st.last).Seconds(); el > 0 {
			st.tokens = math.Min(float64(d.Capacity), st.tokens+el*d.RefillPerSecond)
		}
		st.last = now
		if st.tokens >= 1 {
			st.tokens--
			return true, int(st.tokens), 0
		}
		wait := time.Duration((1 - st.tokens) / d.RefillPerSecond * float64(time.Second))
		return false, 0, wait
	}
	if now.Before(st.cooldownUntil) {
		if d.CooldownPerSecond > 0 {
			gap := time.Duration(float64(time.Second) / d.CooldownPerSecond)
			if st.lastCooldown.IsZero() || now.Sub(st.lastCooldown) >= gap {
				st.lastCooldown = now
				return true, 0, 0
			}
			return false, 0, gap - now.Sub(st.lastCooldown)
		}
		return false, 0, st.cooldownUntil.Sub(now)
	}
	if st.windowStart.IsZero() || !now.Before(st.windowStart.Add(d.Window)) || !st.cooldownUntil.IsZero() {
		st.windowStart, st.count = now, 0
		st.cooldownUntil, st.lastCooldown = time.Time{}, time.Time{}
	}
	if st.count < d.Capacity {
		st.count++
		return true, d.Capacity - st.count, 0
	}
	st.cooldownUntil = now.Add(d.Cooldown)
	return false, 0, d.Cooldown
}

// allow applies the route's limit, writing the x-ratelimit-* headers and,
// on rejection, Retry-After.
func (rl *rateLimiter) allow(w http.ResponseWriter, _ *http.Request, pattern string, now time.Time) bool {
	if !rl.enabled {
		return true
	}
	st := rl.byRoute[pattern]
	if st == nil {
		return true
	}
	rl.mu.Lock()
	ok, remaining, retry := st.take(now)
	rl.mu.Unlock()
	h := w.Header()
	h.Set("x-ratelimit-burst-capacity", strconv.Itoa(st.def.Capacity))
	h.Set("x-ratelimit-replenish-rate", strconv.FormatFloat(st.def.ReplenishRate(), 'f', -1, 64))
	h.Set("x-ratelimit-remaining", strconv.Itoa(remaining))
	if !ok {
		h.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(retry.Seconds())))))
	}
	return ok
}

// writeTooManyRequests writes the 429 body in the shape of the API version.
// Personio does not document it [inf].
func (s *Server) writeTooManyRequests(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Path) >= 4 && r.URL.Path[:4] == "/v2/" {
		s.writeProblem(w, http.StatusTooManyRequests, "Too Many Requests",
			"The rate limit was exceeded. Retry after the time given in the Retry-After header.", "common.too_many_requests")
		return
	}
	writeV1Error(w, http.StatusTooManyRequests, 429, "Too Many Requests")
}
