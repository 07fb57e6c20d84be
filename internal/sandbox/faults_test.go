package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
)

func TestFaults(t *testing.T) {
	const path = "/v1/company/employees?limit=2"
	tests := []struct {
		name   string
		faults sandbox.Faults
		check  func(t *testing.T, a *api, tok string)
	}{
		{"429", sandbox.Faults{Rate429: 1}, func(t *testing.T, a *api, tok string) {
			r := a.get(path, tok)
			expectStatus(t, r, http.StatusTooManyRequests)
			if r.header.Get("Retry-After") == "" || r.header.Get(sandbox.FaultHeader) != "429" {
				t.Fatalf("headers %v", r.header)
			}
		}},
		{"5xx", sandbox.Faults{Rate5xx: 1}, func(t *testing.T, a *api, tok string) {
			for range 6 {
				if r := a.get(path, tok); r.status < 500 {
					t.Fatalf("status %d", r.status)
				}
			}
		}},
		{"latency", sandbox.Faults{LatencyMS: 40}, func(t *testing.T, a *api, tok string) {
			start := time.Now()
			expectStatus(t, a.get(path, tok), 200)
			if el := time.Since(start); el < 40*time.Millisecond {
				t.Fatalf("answered after %v", el)
			}
		}},
		{"hang", sandbox.Faults{HangRate: 1, HangMS: 60}, func(t *testing.T, a *api, tok string) {
			start := time.Now()
			expectStatus(t, a.get(path, tok), 200)
			if el := time.Since(start); el < 60*time.Millisecond {
				t.Fatalf("answered after %v", el)
			}
			a.hc.Timeout = 20 * time.Millisecond
			defer func() { a.hc.Timeout = 10 * time.Second }()
			req, _ := http.NewRequest(http.MethodGet, a.base+path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if resp, err := a.hc.Do(req); err == nil {
				resp.Body.Close()
				t.Fatal("client with a short timeout did not time out")
			}
		}},
		{"reset", sandbox.Faults{ResetRate: 1}, func(t *testing.T, a *api, tok string) {
			req, _ := http.NewRequest(http.MethodGet, a.base+path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if resp, err := a.hc.Do(req); err == nil {
				resp.Body.Close()
				t.Fatal("request succeeded despite a connection reset")
			}
		}},
		{"malformed", sandbox.Faults{MalformedRate: 1}, func(t *testing.T, a *api, tok string) {
			r := a.get(path, tok)
			expectStatus(t, r, 200)
			if json.Valid(r.body) || r.header.Get(sandbox.FaultHeader) != "malformed" {
				t.Fatalf("body is valid JSON: %.100s", r.body)
			}
		}},
		{"path filter", sandbox.Faults{Rate429: 1, Paths: []string{"/v1/company/time-offs"}}, func(t *testing.T, a *api, tok string) {
			expectStatus(t, a.get(path, tok), 200)
			expectStatus(t, a.get("/v1/company/time-offs", tok), http.StatusTooManyRequests)
		}},
		{"invalidate tokens", sandbox.Faults{InvalidateTokens: true}, func(t *testing.T, a *api, tok string) {
			expectStatus(t, a.get(path, tok), http.StatusUnauthorized)
			fresh := a.fullToken()
			if fresh == tok {
				t.Fatal("invalidated token issued again")
			}
			expectStatus(t, a.get(path, fresh), 200)
			if a.srv.Faults().InvalidateTokens {
				t.Fatal("invalidate_tokens is remembered")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := start(t)
			tok := a.fullToken()
			r := a.control(http.MethodPut, "/sandbox/faults", tt.faults)
			expectStatus(t, r, 200)
			tt.check(t, a, tok)
			expectStatus(t, a.control(http.MethodDelete, "/sandbox/faults", nil), http.StatusNoContent)
			if tt.name != "invalidate tokens" {
				expectStatus(t, a.get(path, tok), 200)
			}
		})
	}

	t.Run("control API round trip and validation", func(t *testing.T) {
		a := start(t)
		want := sandbox.Faults{Rate429: 0.25, Rate5xx: 0.1, LatencyMS: 5, Paths: []string{"/v1/company/employees"}}
		expectStatus(t, a.control(http.MethodPut, "/sandbox/faults", want), 200)
		got := decode[sandbox.Faults](t, a.control(http.MethodGet, "/sandbox/faults", nil).body)
		if got.Rate429 != 0.25 || got.Rate5xx != 0.1 || got.LatencyMS != 5 || len(got.Paths) != 1 {
			t.Fatalf("faults %+v", got)
		}
		expectStatus(t, a.control(http.MethodPut, "/sandbox/faults", map[string]any{"rate_429": 2}), http.StatusUnprocessableEntity)
		expectStatus(t, a.control(http.MethodPut, "/sandbox/faults", map[string]any{"rate_42": 1}), http.StatusBadRequest)
	})

	t.Run("deterministic for a seed", func(t *testing.T) {
		sequence := func() string {
			a := start(t)
			tok := a.fullToken()
			if err := a.srv.SetFaults(sandbox.Faults{Rate429: 0.3, Rate5xx: 0.2, Seed: 7}); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for range 30 {
				b.WriteString(itoa(a.get(path, tok).status) + " ")
			}
			return b.String()
		}
		one, two := sequence(), sequence()
		if one != two {
			t.Fatalf("fault sequences differ:\n%s\n%s", one, two)
		}
		if !strings.Contains(one, "429") || !strings.Contains(one, "200") {
			t.Fatalf("sequence %s lacks faults or successes", one)
		}
	})
}
