package sandboxtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
)

// capture records validation failures instead of failing the test.
type capture struct {
	*testing.T
	mu   sync.Mutex
	errs []string
}

func (c *capture) Errorf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func (c *capture) Helper() {}

func TestValidatorCatchesViolations(t *testing.T) {
	tests := []struct {
		name, path, contentType, body string
		status                        int
		wantError                     string // "" = must pass
	}{
		{"valid list", "/v1/company/employees", "application/json",
			`{"success":true,"metadata":{"total_elements":1,"current_page":0,"total_pages":1},"offset":0,"limit":50,"data":[{"type":"Employee","attributes":{"id":{"label":"ID","value":1,"type":"integer","universal_id":"id"},"team":{"label":"Team","value":null,"type":"standard","universal_id":"team"}}}]}`,
			200, ""},
		{"bad attribute type", "/v1/company/employees", "application/json",
			`{"success":true,"metadata":{"total_elements":1,"current_page":0,"total_pages":1},"data":[{"type":"Employee","attributes":{"id":{"label":"ID","value":1,"type":"number"}}}]}`,
			200, "does not match the spec"},
		{"missing metadata fields", "/v1/company/employees", "application/json",
			`{"success":true,"metadata":{},"data":[]}`, 200, "does not match the spec"},
		{"undocumented v1 error without envelope", "/v1/company/employees", "application/json",
			`{"message":"nope"}`, 401, "v1 error"},
		{"v2 error as plain JSON", "/v2/attendance-periods", "application/json",
			`{"errors":[{"title":"x"}]}`, 400, "content type"},
		{"v2 list without _meta", "/v2/attendance-periods", "application/json", `{"_data":[]}`, 200, "_meta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &capture{T: t}
			h := sandboxtest.Validate(c, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			req.Header.Set("Authorization", "Bearer papi-x")
			h.ServeHTTP(httptest.NewRecorder(), req)
			all := strings.Join(c.errs, "\n")
			if tt.wantError == "" && all != "" {
				t.Fatalf("unexpected validation errors:\n%s", all)
			}
			if tt.wantError != "" && !strings.Contains(all, tt.wantError) {
				t.Fatalf("want an error containing %q, got:\n%s", tt.wantError, all)
			}
		})
	}
}

func TestValidatorChecksRequests(t *testing.T) {
	c := &capture{T: t}
	h := sandboxtest.Validate(c, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"success":true,"data":[]}`)
	}))
	req := httptest.NewRequest(http.MethodGet, "/v1/company/time-offs?limit=0", nil)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if len(c.errs) == 0 || !strings.Contains(c.errs[0], "invalid request") {
		t.Fatalf("limit=0 not reported: %v", c.errs)
	}
	c.errs = nil
	req = httptest.NewRequest(http.MethodGet, "/v1/company/time-offs?limit=0", nil)
	sandboxtest.ExpectInvalidRequest(req)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if len(c.errs) != 0 {
		t.Fatalf("expected-invalid request reported: %v", c.errs)
	}
}
