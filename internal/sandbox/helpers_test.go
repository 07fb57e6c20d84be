package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
)

// testNow is the default fake "now" of the tests: a summer Tuesday before
// the removal of query-string credentials.
var testNow = time.Date(2025, time.June, 10, 10, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// api is a small HTTP client for one validated sandbox.
type api struct {
	t     testing.TB
	srv   *sandbox.Server
	base  string
	clock *fakeClock
	hc    *http.Client
}

// start runs a validated sandbox: 120 employees, seed 1, fake clock, rate
// limits off unless a mutator switches them on.
func start(t testing.TB, mutate ...func(*sandbox.Options)) *api {
	t.Helper()
	clock := newClock(testNow)
	opts := sandbox.DefaultOptions()
	opts.RateLimit = false
	opts.Now = clock.Now
	for _, m := range mutate {
		m(&opts)
	}
	srv, base := sandboxtest.Start(t, opts)
	return &api{t: t, srv: srv, base: base, clock: clock, hc: &http.Client{Timeout: 10 * time.Second}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

type reqOpt func(*http.Request)

func bearerAuth(tok string) reqOpt {
	return func(r *http.Request) {
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
	}
}

func contentType(ct string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Content-Type", ct) }
}

// invalidRequest marks a deliberately spec-violating request.
func invalidRequest(r *http.Request) { sandboxtest.ExpectInvalidRequest(r) }

func (a *api) do(method, path string, body io.Reader, opts ...reqOpt) response {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (a *api) get(path, tok string, opts ...reqOpt) response {
	a.t.Helper()
	return a.do(http.MethodGet, path, nil, append([]reqOpt{bearerAuth(tok)}, opts...)...)
}

func (a *api) form(method, path, tok string, values url.Values, opts ...reqOpt) response {
	a.t.Helper()
	opts = append([]reqOpt{bearerAuth(tok), contentType("application/x-www-form-urlencoded")}, opts...)
	return a.do(method, path, strings.NewReader(values.Encode()), opts...)
}

// control calls the control API with a JSON body (nil for none).
func (a *api) control(method, path string, body any) response {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	return a.do(method, path, r, contentType("application/json"))
}

func (a *api) jsonBody(method, path, tok string, body any) response {
	a.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		a.t.Fatal(err)
	}
	return a.do(method, path, bytes.NewReader(b), bearerAuth(tok), contentType("application/json"))
}

// token authenticates with POST /v1/auth (JSON body).
func (a *api) token(id, secret string) string {
	a.t.Helper()
	r := a.jsonBody(http.MethodPost, "/v1/auth", "", map[string]string{"client_id": id, "client_secret": secret})
	if r.status != http.StatusOK {
		a.t.Fatalf("auth: status %d: %s", r.status, r.body)
	}
	return decode[authResponse](a.t, r.body).Data.Token
}

func (a *api) fullToken() string {
	a.t.Helper()
	return a.token(sandbox.FullClientID, sandbox.FullClientSecret)
}

func (a *api) v2Token(values url.Values) string {
	a.t.Helper()
	r := a.form(http.MethodPost, "/v2/auth/token", "", values)
	if r.status != http.StatusOK {
		a.t.Fatalf("v2 token: status %d: %s", r.status, r.body)
	}
	return decode[oauthToken](a.t, r.body).AccessToken
}

func fullV2Form() url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {sandbox.FullClientID}, "client_secret": {sandbox.FullClientSecret}}
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %T: %v\n%s", v, err, b)
	}
	return v
}

func expectStatus(t testing.TB, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body: %.500s", r.status, want, r.body)
	}
}

// ---- wire types of the tests (independent of the sandbox's own) ------------

type authResponse struct {
	Success bool `json:"success"`
	Data    struct {
		Token     string  `json:"token"`
		ExpiresIn float64 `json:"expires_in"`
		Scope     string  `json:"scope"`
	} `json:"data"`
}

type v1Error struct {
	Success bool `json:"success"`
	Error   struct {
		Code      int             `json:"code"`
		Message   string          `json:"message"`
		ErrorData json.RawMessage `json:"error_data"`
	} `json:"error"`
}

type attribute struct {
	Label       string          `json:"label"`
	Value       json.RawMessage `json:"value"`
	Type        string          `json:"type"`
	UniversalID *string         `json:"universal_id"`
	Currency    string          `json:"currency"`
}

type employeeResource struct {
	Type       string               `json:"type"`
	Attributes map[string]attribute `json:"attributes"`
}

type metadata struct {
	TotalElements int `json:"total_elements"`
	CurrentPage   int `json:"current_page"`
	TotalPages    int `json:"total_pages"`
}

type employeeList struct {
	Success  bool               `json:"success"`
	Metadata metadata           `json:"metadata"`
	Offset   int                `json:"offset"`
	Limit    int                `json:"limit"`
	Data     []employeeResource `json:"data"`
}

func (e employeeResource) id(t testing.TB) int {
	t.Helper()
	return decode[int](t, e.Attributes["id"].Value)
}

func (e employeeResource) str(t testing.TB, key string) string {
	t.Helper()
	a, ok := e.Attributes[key]
	if !ok {
		t.Fatalf("attribute %s missing", key)
	}
	if string(a.Value) == "null" {
		return ""
	}
	return decode[string](t, a.Value)
}

type timeOffList struct {
	Success  bool     `json:"success"`
	Metadata metadata `json:"metadata"`
	Offset   int      `json:"offset"`
	Limit    int      `json:"limit"`
	Data     []struct {
		Type       string `json:"type"`
		Attributes struct {
			ID           int             `json:"id"`
			Status       string          `json:"status"`
			StartDate    string          `json:"start_date"`
			EndDate      string          `json:"end_date"`
			DaysCount    float64         `json:"days_count"`
			HalfDayStart json.RawMessage `json:"half_day_start"`
			HalfDayEnd   json.RawMessage `json:"half_day_end"`
			CreatedBy    string          `json:"created_by"`
			Employee     struct {
				Attributes map[string]attribute `json:"attributes"`
			} `json:"employee"`
		} `json:"attributes"`
	} `json:"data"`
}

type oauthToken struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
}

type oauthError struct {
	Error       string         `json:"error"`
	Description string         `json:"error_description"`
	URI         string         `json:"error_uri"`
	Type        string         `json:"type"`
	Meta        map[string]any `json:"meta"`
}

type problem struct {
	TraceID string `json:"personio_trace_id"`
	Errors  []struct {
		Title  string            `json:"title"`
		Detail string            `json:"detail"`
		Type   string            `json:"type"`
		Meta   map[string]string `json:"_meta"`
	} `json:"errors"`
}

type period struct {
	ID     string `json:"id"`
	Person struct {
		ID string `json:"id"`
	} `json:"person"`
	Type  string `json:"type"`
	Start struct {
		DateTime string `json:"date_time"`
	} `json:"start"`
	End *struct {
		DateTime string `json:"date_time"`
	} `json:"end"`
	Status  string `json:"status"`
	Comment string `json:"comment"`
	Project *struct {
		ID string `json:"id"`
	} `json:"project"`
}

type periodList struct {
	Data []period `json:"_data"`
	Meta struct {
		Links struct {
			Self struct{ Href string }  `json:"self"`
			Next *struct{ Href string } `json:"next"`
		} `json:"links"`
	} `json:"_meta"`
}

func itoa(n int) string { return strconv.Itoa(n) }
