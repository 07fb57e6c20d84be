package sandbox_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
)

func rateLimited(o *sandbox.Options) { o.RateLimit = true }

func TestEmployeesTokenBucket(t *testing.T) {
	a := start(t, rateLimited)
	tok := a.fullToken()
	const path = "/v1/company/employees?limit=1"
	for i := range 15 {
		r := a.get(path, tok)
		expectStatus(t, r, 200)
		if got, want := r.header.Get("x-ratelimit-remaining"), strconv.Itoa(14-i); got != want {
			t.Fatalf("request %d: remaining %s, want %s", i, got, want)
		}
		if r.header.Get("x-ratelimit-burst-capacity") != "15" || r.header.Get("x-ratelimit-replenish-rate") != "5" {
			t.Fatalf("headers %v", r.header)
		}
	}
	r := a.get(path, tok)
	expectStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "1" || r.header.Get("x-ratelimit-remaining") != "0" {
		t.Fatalf("429 headers %v", r.header)
	}
	if e := decode[v1Error](t, r.body); e.Success || e.Error.Code != 429 {
		t.Fatalf("429 body %s", r.body)
	}

	// 5 tokens per second.
	a.clock.Advance(200 * time.Millisecond)
	expectStatus(t, a.get(path, tok), 200)
	expectStatus(t, a.get(path, tok), http.StatusTooManyRequests)
	a.clock.Advance(time.Second)
	for range 5 {
		expectStatus(t, a.get(path, tok), 200)
	}
	expectStatus(t, a.get(path, tok), http.StatusTooManyRequests)

	// Other endpoints are not limited by this bucket.
	expectStatus(t, a.get("/v1/company/time-offs?limit=1", tok), 200)

	st := a.srv.Stats()
	if st.RateLimited != 3 || st.Endpoints["GET /v1/company/employees"].ByStatus["429"] != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAuthRateLimits(t *testing.T) {
	t.Run("v1 auth: 60/min then 60 s cool-down", func(t *testing.T) {
		a := start(t, rateLimited)
		for range 60 {
			a.fullToken()
		}
		body := map[string]string{"client_id": sandbox.FullClientID, "client_secret": sandbox.FullClientSecret}
		r := a.jsonBody(http.MethodPost, "/v1/auth", "", body)
		expectStatus(t, r, http.StatusTooManyRequests)
		if r.header.Get("Retry-After") != "60" {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
		a.clock.Advance(59 * time.Second)
		expectStatus(t, a.jsonBody(http.MethodPost, "/v1/auth", "", body), http.StatusTooManyRequests)
		a.clock.Advance(time.Second)
		expectStatus(t, a.jsonBody(http.MethodPost, "/v1/auth", "", body), 200)
	})

	t.Run("v2 token: 150/min then 1/s for 60 s", func(t *testing.T) {
		a := start(t, rateLimited)
		for range 150 {
			a.v2Token(fullV2Form())
		}
		r := a.form(http.MethodPost, "/v2/auth/token", "", fullV2Form())
		expectStatus(t, r, http.StatusTooManyRequests)
		if r.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("content type %q", r.header.Get("Content-Type"))
		}
		expectStatus(t, a.form(http.MethodPost, "/v2/auth/token", "", fullV2Form()), 200)
		expectStatus(t, a.form(http.MethodPost, "/v2/auth/token", "", fullV2Form()), http.StatusTooManyRequests)
		a.clock.Advance(time.Second)
		expectStatus(t, a.form(http.MethodPost, "/v2/auth/token", "", fullV2Form()), 200)
		a.clock.Advance(time.Minute)
		for range 10 {
			expectStatus(t, a.form(http.MethodPost, "/v2/auth/token", "", fullV2Form()), 200)
		}
	})

	t.Run("off", func(t *testing.T) {
		a := start(t)
		tok := a.fullToken()
		for range 40 {
			r := a.get("/v1/company/employees?limit=1", tok)
			expectStatus(t, r, 200)
			if r.header.Get("x-ratelimit-remaining") != "" {
				t.Fatal("rate-limit headers although rate limiting is off")
			}
		}
		if len(a.srv.RateLimits()) != 0 {
			t.Fatal("RateLimits reports limits although off")
		}
	})
}

func TestRateLimitDescription(t *testing.T) {
	a := start(t, rateLimited)
	byName := map[string]sandbox.RateLimit{}
	for _, l := range a.srv.RateLimits() {
		byName[l.Name] = l
	}
	emp := byName["v1-employees"]
	if emp.Capacity != 15 || emp.RefillPerSecond != 5 || emp.Kind != "token_bucket" {
		t.Fatalf("employees limit %+v", emp)
	}
	if byName["v1-auth"].Capacity != 60 || byName["v2-token"].Capacity != 150 || !byName["v2-attendance-periods"].Inferred {
		t.Fatalf("limits %+v", byName)
	}
	r := a.control(http.MethodGet, "/sandbox/rate-limits", nil)
	expectStatus(t, r, 200)
}

func TestAttendanceRateLimit(t *testing.T) {
	a := start(t, rateLimited)
	tok := a.v2Token(fullV2Form())
	for range 15 {
		expectStatus(t, a.get("/v2/attendance-periods?limit=1", tok), 200)
	}
	r := a.get("/v2/attendance-periods?limit=1", tok)
	expectStatus(t, r, http.StatusTooManyRequests)
	if p := decode[problem](t, r.body); len(p.Errors) != 1 {
		t.Fatalf("429 body %s", r.body)
	}
}
