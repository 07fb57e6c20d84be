package personio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/hris"
)

const (
	testID     = "test-client-id"
	testSecret = "test-client-secret-1a2b"
)

// fakePersonio is a minimal Personio for unit tests of the client core:
// POST /v1/auth and /v2/auth/token issue tokens, everything else goes to
// the test's handler after the bearer token was checked.
type fakePersonio struct {
	t      *testing.T
	srv    *httptest.Server
	auths  atomic.Int32
	tokens atomic.Int32
	// rotate makes tokens single-use with the next one in the response.
	rotate bool

	mu    sync.Mutex
	valid map[string]bool
	calls []string
	next  func(w http.ResponseWriter, r *http.Request)
}

func newFake(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *fakePersonio {
	t.Helper()
	f := &fakePersonio{t: t, valid: map[string]bool{}, next: handler}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePersonio) issue() string {
	tok := fmt.Sprintf("papi-tok-%d", f.tokens.Add(1))
	f.mu.Lock()
	f.valid[tok] = true
	f.mu.Unlock()
	return tok
}

func (f *fakePersonio) invalidateAll() {
	f.mu.Lock()
	clear(f.valid)
	f.mu.Unlock()
}

func (f *fakePersonio) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	switch r.URL.Path {
	case pathV1Auth:
		f.auths.Add(1)
		var body struct{ ClientID, ClientSecret string }
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &struct {
			ID     *string `json:"client_id"`
			Secret *string `json:"client_secret"`
		}{&body.ClientID, &body.ClientSecret})
		if r.URL.RawQuery != "" || r.Header.Get("Content-Type") != "application/json" {
			f.t.Errorf("auth request: query %q, content type %q", r.URL.RawQuery, r.Header.Get("Content-Type"))
		}
		if body.ClientID != testID || body.ClientSecret != testSecret {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"success":false,"error":{"code":401,"message":"Wrong credentials"}}`)
			return
		}
		fmt.Fprintf(w, `{"success":true,"data":{"token":%q,"expires_in":86400,"scope":"employees:read"}}`, f.issue())
		return
	case pathV2Token:
		f.auths.Add(1)
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_secret") != testSecret {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"unauthorized_client","error_description":"Client is not allowed."}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":86400,"token_type":"Bearer"}`, f.issue())
		return
	}
	tok := bearer(r.Header.Get("Authorization"))
	f.mu.Lock()
	ok := f.valid[tok]
	if ok && f.rotate {
		delete(f.valid, tok)
	}
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"success":false,"error":{"code":401,"message":"Provided authorization is not valid"}}`)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		if f.rotate {
			w.Header().Set("Authorization", "Bearer "+f.issue())
		} else {
			w.Header().Set("Authorization", "Bearer "+tok)
		}
	}
	f.next(w, r)
}

func (f *fakePersonio) count(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == call {
			n++
		}
	}
	return n
}

// callLog collects CallInfos.
type callLog struct {
	mu    sync.Mutex
	calls []hris.CallInfo
}

func (l *callLog) add(c hris.CallInfo) {
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

func (l *callLog) all() []hris.CallInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]hris.CallInfo(nil), l.calls...)
}

func testClient(t *testing.T, baseURL string, mod ...func(*Config)) (*Client, *callLog) {
	t.Helper()
	log := &callLog{}
	cfg := Config{
		BaseURL: baseURL, ClientID: testID, ClientSecret: testSecret,
		PartnerID: "ROSTER", AppID: "ROSTER_SYNC", Version: "1.2.3",
		Timeout: 2 * time.Second, Limits: NoLimits(), MaxRetries: 3,
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		OnCall: log.add,
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, log
}

const oneEmployee = `{"success":true,"data":{"type":"Employee","attributes":{"id":{"label":"ID","value":1,"type":"integer","universal_id":"id"}}}}`

func TestRetriesReadsOnServerErrors(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, `<html>bad gateway</html>`)
			return
		}
		fmt.Fprint(w, oneEmployee)
	})
	c, log := testClient(t, f.srv.URL)
	e, err := c.GetEmployee(context.Background(), 1)
	if err != nil || e.ID != 1 {
		t.Fatalf("GetEmployee = %+v, %v", e, err)
	}
	var retries []int
	for _, ci := range log.all() {
		if ci.Path == "/v1/company/employees/1" {
			retries = append(retries, ci.Retries)
		}
	}
	if fmt.Sprint(retries) != "[0 1 2]" {
		t.Errorf("retries = %v, want [0 1 2]", retries)
	}
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		kind    error
		message string
	}{
		{"server error", http.StatusInternalServerError, `{"success":false,"error":{"code":0,"message":"Boom"}}`, hris.ErrServer, "Personio had a server error (HTTP 500)"},
		{"not found", http.StatusNotFound, `{"success":false,"error":{"code":404,"message":"Es ist ein Problem aufgetreten"}}`, hris.ErrNotFound, "Es ist ein Problem aufgetreten"},
		{"forbidden", http.StatusForbidden, `{"success":false,"error":{"code":403,"message":"Missing scope employees:read"}}`, hris.ErrForbidden, "missing scope"},
		{"validation", http.StatusUnprocessableEntity, `{"success":false,"error":{"code":0,"message":"The given data failed to pass validation.","error_data":{}}}`, hris.ErrInvalid, "failed to pass validation"},
		{"rate limited", http.StatusTooManyRequests, `{"success":false,"error":{"code":429,"message":"Too Many Requests"}}`, hris.ErrRateLimited, "rate limit"},
		{"malformed", http.StatusOK, `{"success":true,"data":{"type":"Employee","attributes":{`, hris.ErrMalformed, "could not be read"},
		{"v2 problem", http.StatusBadRequest, `{"errors":[{"title":"Bad request","detail":"Provided request parameters are invalid."}]}`, hris.ErrInvalid, "parameters are invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.status == http.StatusTooManyRequests {
					w.Header().Set("Retry-After", "0")
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			c, _ := testClient(t, f.srv.URL)
			_, err := c.GetEmployee(context.Background(), 1)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, want %v", err, tt.kind)
			}
			var he *hris.Error
			if !errors.As(err, &he) || !strings.Contains(he.UserMessage(), tt.message) {
				t.Errorf("UserMessage = %q, want it to contain %q", hris.UserMessage(err), tt.message)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "papi-") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestRateLimitHeadersAreHonoured(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("X-Ratelimit-Remaining", "0")
			w.Header().Set("X-Ratelimit-Replenish-Rate", "10")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, oneEmployee)
	})
	c, _ := testClient(t, f.srv.URL)
	start := time.Now()
	if _, err := c.GetEmployee(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Errorf("retried after %v, want at least the 100ms the headers ask for", d)
	}
}

func TestBadCredentials(t *testing.T) {
	f := newFake(t, nil)
	c, log := testClient(t, f.srv.URL, func(cfg *Config) { cfg.ClientSecret = "wrong-secret-value" })
	err := c.Check(context.Background())
	if !errors.Is(err, hris.ErrBadCredentials) {
		t.Fatalf("err = %v", err)
	}
	if got := hris.UserMessage(err); !strings.HasPrefix(got, "Personio rejected the client ID or secret.") {
		t.Errorf("UserMessage = %q", got)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("error leaks the secret: %v", err)
	}
	if calls := log.all(); len(calls) != 1 || calls[0].Status != 401 || calls[0].Path != pathV1Auth {
		t.Errorf("calls = %+v, want one failed auth", calls)
	}
}

func TestReauthenticatesOnceOn401(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, oneEmployee) })
	c, _ := testClient(t, f.srv.URL)
	ctx := context.Background()
	if _, err := c.GetEmployee(ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.invalidateAll()
	if _, err := c.GetEmployee(ctx, 1); err != nil {
		t.Fatalf("after invalidation: %v", err)
	}
	if got := f.auths.Load(); got != 2 {
		t.Errorf("auth calls = %d, want 2", got)
	}
	// Tokens rejected again and again although the credentials were just
	// accepted: no loop, and no "re-enter your secret" either.
	f2 := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"success":false,"error":{"code":401,"message":"Provided authorization is not valid"}}`)
	})
	c2, _ := testClient(t, f2.srv.URL)
	_, err := c2.GetEmployee(ctx, 1)
	if errors.Is(err, hris.ErrBadCredentials) || !errors.Is(err, hris.ErrServer) || !strings.Contains(err.Error(), "accepted the credentials themselves") {
		t.Fatalf("err = %v, want a server-side token problem, not bad credentials", err)
	}
	if got := f2.auths.Load(); got != 3 {
		t.Errorf("auth calls = %d, want 3 (one, then two re-authentications)", got)
	}
}

func TestTokenIsCachedAndSharedSingleFlight(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, oneEmployee) })
	c, _ := testClient(t, f.srv.URL)
	runParallel(t, 10, 5, func(ctx context.Context) error {
		_, err := c.GetEmployee(ctx, 1)
		return err
	})
	if got := f.auths.Load(); got != 1 {
		t.Errorf("auth calls = %d, want 1", got)
	}
}

func TestTokenExpiryRefreshesEarly(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, oneEmployee) })
	var now atomic.Int64
	now.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	c, _ := testClient(t, f.srv.URL, func(cfg *Config) {
		cfg.Now = func() time.Time { return time.Unix(now.Load(), 0) }
	})
	ctx := context.Background()
	if _, err := c.GetEmployee(ctx, 1); err != nil {
		t.Fatal(err)
	}
	now.Add(int64((24*time.Hour - 2*time.Minute) / time.Second))
	if _, err := c.GetEmployee(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := f.auths.Load(); got != 1 {
		t.Errorf("auth calls before expiry = %d, want 1", got)
	}
	now.Add(90)
	if _, err := c.GetEmployee(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := f.auths.Load(); got != 2 {
		t.Errorf("auth calls in the last minute = %d, want 2", got)
	}
}

func TestRotatingTokensUnderConcurrency(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, oneEmployee) })
	f.rotate = true
	c, _ := testClient(t, f.srv.URL)
	runParallel(t, 10, 10, func(ctx context.Context) error {
		_, err := c.GetEmployee(ctx, 1)
		return err
	})
	if got := f.auths.Load(); got != 1 {
		t.Errorf("auth calls = %d, want 1 (every call must use the rotated token)", got)
	}
	if got := f.count("GET /v1/company/employees/1"); got != 100 {
		t.Errorf("employee calls = %d, want 100 (no token rejected)", got)
	}
}

// runParallel runs fn n times in each of g goroutines and fails on any error.
func runParallel(t *testing.T, g, n int, fn func(ctx context.Context) error) {
	t.Helper()
	ctx := context.Background()
	errs := make(chan error, g*n)
	var wg sync.WaitGroup
	for range g {
		wg.Go(func() {
			for range n {
				if err := fn(ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestHeadersAndCallLog(t *testing.T) {
	var got http.Header
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		fmt.Fprint(w, `{"success":true,"metadata":{"total_elements":0,"current_page":0,"total_pages":0},"data":[]}`)
	})
	c, log := testClient(t, f.srv.URL)
	ctx := hris.WithArea(context.Background(), "employees")
	err := c.ListEmployees(ctx, hris.EmployeeQuery{Email: "jane@example.com"}, func([]hris.Employee) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range map[string]string{
		"X-Personio-Partner-Id": "ROSTER", "X-Personio-App-Id": "ROSTER_SYNC",
		"User-Agent": "Roster/1.2.3", "Accept": "application/json",
	} {
		if got.Get(h) != want {
			t.Errorf("%s = %q, want %q", h, got.Get(h), want)
		}
	}
	calls := log.all()
	if len(calls) != 2 {
		t.Fatalf("calls = %+v", calls)
	}
	list := calls[1]
	if list.Area != "employees" || list.Op != "list employees" || list.Status != 200 || list.Bytes == 0 ||
		strings.Contains(list.Query, "jane") || !strings.Contains(list.Query, "limit=100") {
		t.Errorf("call = %+v", list)
	}
	for _, ci := range calls {
		if s := fmt.Sprintf("%+v", ci); strings.Contains(s, testSecret) || strings.Contains(s, "papi-") {
			t.Errorf("call info leaks a secret: %s", s)
		}
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c, _ := testClient(t, "http://"+addr)
	err = c.Check(context.Background())
	if !errors.Is(err, hris.ErrUnreachable) {
		t.Fatalf("err = %v", err)
	}
	want := "Could not reach http://" + addr + ": connection refused."
	if got := hris.UserMessage(err); got != want {
		t.Errorf("UserMessage = %q, want %q", got, want)
	}
}

func TestTimeoutAndCancellation(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c, _ := testClient(t, f.srv.URL, func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond; cfg.MaxRetries = 1 })
	_, err := c.GetEmployee(context.Background(), 1)
	var he *hris.Error
	if !errors.As(err, &he) || !errors.Is(err, hris.ErrUnreachable) || !he.Timeout {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if !strings.Contains(he.UserMessage(), "did not answer in time") {
		t.Errorf("UserMessage = %q", he.UserMessage())
	}
	c2, _ := testClient(t, f.srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := c2.GetEmployee(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
}

func TestCreateIsNotRepeatedBlindly(t *testing.T) {
	const created = `{"success":true,"data":{"type":"TimeOffPeriod","attributes":{"id":55,"status":"approved","start_date":"2025-03-03T00:00:00+01:00","end_date":"2025-03-04T00:00:00+01:00","half_day_start":0,"half_day_end":0,"time_off_type":{"type":"TimeOffType","attributes":{"id":9,"name":"Vacation"}},"employee":{"type":"Employee","attributes":{"id":{"label":"ID","value":7}}}}}}`
	item := strings.TrimSuffix(strings.TrimPrefix(created, `{"success":true,"data":`), "}")
	in := hris.NewTimeOff{EmployeeID: 7, TypeID: 9, Start: hris.NewDate(2025, 3, 3), End: hris.NewDate(2025, 3, 4), SkipApproval: true}
	tests := []struct {
		name      string
		applied   bool // the failed POST was applied
		wantPosts int
	}{
		{"applied despite the error", true, 1},
		{"not applied", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int32
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.Method {
				case http.MethodPost:
					_ = r.ParseForm()
					if r.PostForm.Get("half_day_start") != "false" || r.PostForm.Get("skip_approval") != "true" || r.PostForm.Get("start_date") != "2025-03-03" {
						t.Errorf("form = %v", r.PostForm)
					}
					if posts.Add(1) == 1 {
						w.WriteHeader(http.StatusInternalServerError)
						return
					}
					fmt.Fprint(w, created)
				case http.MethodGet:
					if r.URL.Query().Get("offset") != "1" || r.URL.Query()["employees[]"][0] != "7" {
						t.Errorf("list query = %s", r.URL.RawQuery)
					}
					data := "[]"
					if tt.applied {
						data = "[" + item + "]"
					}
					fmt.Fprintf(w, `{"success":true,"metadata":{"total_elements":1,"current_page":1,"total_pages":1},"data":%s}`, data)
				}
			})
			c, _ := testClient(t, f.srv.URL)
			got, err := c.CreateTimeOff(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != 55 || got.EmployeeID != 7 {
				t.Errorf("created = %+v", got)
			}
			if n := posts.Load(); int(n) != tt.wantPosts {
				t.Errorf("POSTs = %d, want %d", n, tt.wantPosts)
			}
		})
	}
}

func TestDeleteAfterLostAnswerIsDone(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"success":false,"error":{"code":404,"message":"The absence period was not found."}}`)
	})
	c, _ := testClient(t, f.srv.URL)
	if err := c.DeleteTimeOff(context.Background(), 3); err != nil {
		t.Fatalf("DeleteTimeOff = %v, want nil", err)
	}
	if err := c.DeleteTimeOff(context.Background(), 3); !errors.Is(err, hris.ErrNotFound) {
		t.Fatalf("second DeleteTimeOff = %v, want ErrNotFound", err)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing secret", Config{ClientID: "x"}, "client secret is required"},
		{"lower-case app id", Config{ClientID: "x", ClientSecret: "y", AppID: "roster"}, "UPPER_SNAKE_CASE"},
		{"partner id with dash", Config{ClientID: "x", ClientSecret: "y", PartnerID: "MY-APP"}, "UPPER_SNAKE_CASE"},
		{"relative base URL", Config{ClientID: "x", ClientSecret: "y", BaseURL: "api.personio.de"}, "absolute"},
		{"ok", Config{ClientID: "x", ClientSecret: "y", PartnerID: "ACME", AppID: "MY_APPLICATION_2"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLimiterSpacesRequests(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, oneEmployee) })
	c, _ := testClient(t, f.srv.URL, func(cfg *Config) {
		cfg.Limits = Limits{Employees: Rate{PerSecond: 50, Burst: 5}}
	})
	ctx := context.Background()
	start := time.Now()
	for range 14 {
		if _, err := c.GetEmployee(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	// 5 requests of burst, then 9 at 50 per second.
	if d := time.Since(start); d < 180*time.Millisecond {
		t.Errorf("14 requests took %v, want at least 180ms", d)
	}
}
