package personio_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without zoneinfo

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
)

// These tests run the client against the sandbox (in-process, validated
// against Personio's OpenAPI documents by sandboxtest).

func sandboxOptions(mod ...func(*sandbox.Options)) sandbox.Options {
	opts := sandbox.DefaultOptions()
	opts.RateLimit = false
	for _, m := range mod {
		m(&opts)
	}
	return opts
}

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// calls records every CallInfo a client reports.
type calls struct {
	mu  sync.Mutex
	all []hris.CallInfo
}

func (c *calls) add(ci hris.CallInfo) {
	c.mu.Lock()
	c.all = append(c.all, ci)
	c.mu.Unlock()
}

func (c *calls) list() []hris.CallInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.all)
}

func newSandboxClient(t *testing.T, baseURL string, mod ...func(*personio.Config)) (*personio.Client, *calls) {
	t.Helper()
	log := &calls{}
	cfg := personio.Config{
		BaseURL: baseURL, ClientID: sandbox.FullClientID, ClientSecret: sandbox.FullClientSecret,
		PartnerID: "ROSTER", AppID: "ROSTER_TEST", Version: "test",
		Timeout: 5 * time.Second, Limits: personio.NoLimits(), MaxRetries: 4,
		BackoffBase: time.Millisecond, BackoffMax: 10 * time.Millisecond,
		Location: berlin(t), OnCall: log.add,
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := personio.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, log
}

// listAll collects every employee, failing on duplicates.
func listAll(t *testing.T, c *personio.Client, q hris.EmployeeQuery) (map[int64]hris.Employee, int) {
	t.Helper()
	got := map[int64]hris.Employee{}
	pages := 0
	err := c.ListEmployees(context.Background(), q, func(page []hris.Employee) error {
		pages++
		for _, e := range page {
			if _, dup := got[e.ID]; dup {
				t.Errorf("employee %d listed twice", e.ID)
			}
			if len(e.Warnings) > 0 {
				t.Errorf("employee %d: warnings %v", e.ID, e.Warnings)
			}
			got[e.ID] = e
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ListEmployees: %v", err)
	}
	return got, pages
}

func TestSandboxEmployeePagination(t *testing.T) {
	for _, n := range []int{1, 100, 101, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s, url := sandboxtest.Start(t, sandboxOptions(func(o *sandbox.Options) { o.Employees = n }))
			c, _ := newSandboxClient(t, url)
			got, pages := listAll(t, c, hris.EmployeeQuery{})
			want := s.Employees()
			if len(got) != len(want) || len(got) != n {
				t.Fatalf("listed %d employees, sandbox has %d (want %d)", len(got), len(want), n)
			}
			if wantPages := (n + 99) / 100; pages != wantPages {
				t.Errorf("pages = %d, want %d", pages, wantPages)
			}
			for _, w := range want {
				e, ok := got[int64(w.ID)]
				if !ok {
					t.Fatalf("employee %d missing", w.ID)
				}
				if e.FirstName != w.FirstName || e.LastName != w.LastName || e.Email != w.Email ||
					string(e.Status) != w.Status || e.HireDate.String() != w.HireDate ||
					e.LastWorkingDay.String() != w.LastWorkingDay || e.Team.Name != w.Team ||
					e.Department.Name != w.Department || e.Office.Name != w.Office {
					t.Fatalf("employee %d = %+v\nsandbox %+v", w.ID, e, w)
				}
				if (e.SupervisorID == nil) != (w.SupervisorID == nil) ||
					e.SupervisorID != nil && *e.SupervisorID != int64(*w.SupervisorID) {
					t.Fatalf("employee %d supervisor = %v, want %v", w.ID, e.SupervisorID, w.SupervisorID)
				}
				if w.IBAN != "" {
					if iban, ok := e.Attr(sandbox.IBANAttribute); !ok || iban.Value != w.IBAN {
						t.Fatalf("employee %d IBAN = %+v", w.ID, iban)
					}
				}
			}
		})
	}
}

func TestSandboxGetEmployeeAndPicture(t *testing.T) {
	s, url := sandboxtest.Start(t, sandboxOptions())
	c, _ := newSandboxClient(t, url)
	ctx := context.Background()
	var withPicture sandbox.Employee
	for _, e := range s.Employees() {
		if e.HasProfilePicture {
			withPicture = e
			break
		}
	}
	e, err := c.GetEmployee(ctx, int64(withPicture.ID))
	if err != nil || e.Email != withPicture.Email {
		t.Fatalf("GetEmployee = %+v, %v", e, err)
	}
	pic, err := c.ProfilePicture(ctx, int64(withPicture.ID), 64)
	if err != nil || !strings.HasPrefix(pic.ContentType, "image/") || len(pic.Data) == 0 {
		t.Fatalf("ProfilePicture = %s %d bytes, %v", pic.ContentType, len(pic.Data), err)
	}
	if _, err := c.GetEmployee(ctx, 999999); !errors.Is(err, hris.ErrNotFound) {
		t.Errorf("unknown employee: %v, want ErrNotFound", err)
	}
}

func TestSandboxUpdatedSince(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC).Unix())
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	s, url := sandboxtest.Start(t, sandboxOptions(func(o *sandbox.Options) { o.Now = now }))
	c, _ := newSandboxClient(t, url)

	clock.Add(int64(10 * 24 * time.Hour / time.Second))
	target := s.Employees()[7]
	if _, err := s.Update(target.ID, sandbox.EmployeeInput{Position: sandbox.Ptr("Chief Tester")}); err != nil {
		t.Fatal(err)
	}
	since := now().Add(-time.Minute)
	got, _ := listAll(t, c, hris.EmployeeQuery{UpdatedSince: &since})
	e, ok := got[int64(target.ID)]
	if !ok || e.Position != "Chief Tester" {
		t.Fatalf("updated employee not listed: %+v", got)
	}
	if len(got) != 1 {
		t.Errorf("listed %d employees, want only the updated one", len(got))
	}
	if e.LastModifiedAt.Before(since) {
		t.Errorf("last_modified_at %v before %v", e.LastModifiedAt, since)
	}
}

func TestSandboxAttributeWhitelist(t *testing.T) {
	s, url := sandboxtest.Start(t, sandboxOptions())
	ctx := context.Background()
	restricted := sandbox.RestrictedAttributes()
	slices.Sort(restricted)

	t.Run("restricted credential", func(t *testing.T) {
		c, _ := newSandboxClient(t, url, func(cfg *personio.Config) {
			cfg.ClientID, cfg.ClientSecret = sandbox.RestrictedClientID, sandbox.RestrictedClientSecret
		})
		attrs, err := c.ReadableAttributes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for _, a := range attrs {
			keys[a.Key] = true
		}
		for _, k := range restricted {
			if keys[k] {
				t.Errorf("%s readable by the restricted credential", k)
			}
		}
		if !keys["first_name"] || !keys[sandbox.IBANAttribute] {
			t.Errorf("readable attributes = %v", attrs)
		}
		got, _ := listAll(t, c, hris.EmployeeQuery{})
		for _, e := range got {
			missing := slices.Sorted(slices.Values(e.Missing))
			if !slices.Equal(missing, restricted) {
				t.Fatalf("employee %d missing %v, want %v", e.ID, missing, restricted)
			}
			if !e.Team.IsZero() || e.CostCenters != nil {
				t.Fatalf("employee %d has restricted values: %+v", e.ID, e)
			}
		}
	})
	t.Run("full credential", func(t *testing.T) {
		c, _ := newSandboxClient(t, url)
		got, _ := listAll(t, c, hris.EmployeeQuery{})
		for _, e := range got {
			if len(e.Missing) > 0 {
				t.Fatalf("employee %d missing %v", e.ID, e.Missing)
			}
		}
	})
	t.Run("projection", func(t *testing.T) {
		c, _ := newSandboxClient(t, url)
		got, _ := listAll(t, c, hris.EmployeeQuery{Attributes: []string{"first_name", "email"}})
		for _, w := range s.Employees() {
			e := got[int64(w.ID)]
			if e.FirstName != w.FirstName || e.Email != w.Email || e.LastName != "" || len(e.Missing) > 0 {
				t.Fatalf("employee = %+v, sandbox %+v", e, w)
			}
		}
	})
}

func TestSandboxTimeOffs(t *testing.T) {
	s, url := sandboxtest.Start(t, sandboxOptions())
	c, _ := newSandboxClient(t, url)
	ctx := context.Background()

	types, err := c.ListTimeOffTypes(ctx)
	if err != nil || len(types) == 0 {
		t.Fatalf("ListTimeOffTypes = %v, %v", types, err)
	}
	for _, pageSize := range []int{0, 37} {
		t.Run(fmt.Sprintf("page size %d", pageSize), func(t *testing.T) {
			seen := map[int64]bool{}
			err := c.ListTimeOffs(ctx, hris.TimeOffQuery{PageSize: pageSize}, func(page []hris.TimeOff) error {
				for _, to := range page {
					if seen[to.ID] {
						t.Errorf("time-off %d listed twice", to.ID)
					}
					if len(to.Warnings) > 0 {
						t.Errorf("time-off %d: %v", to.ID, to.Warnings)
					}
					seen[to.ID] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := s.TimeOffCount(); len(seen) != want || want == 0 {
				t.Fatalf("listed %d time-offs, sandbox has %d", len(seen), want)
			}
		})
	}

	emp := s.Employees()[3]
	var vacation int64
	for _, ty := range types {
		if ty.Unit == "day" || ty.Unit == "" {
			vacation = ty.ID
			break
		}
	}
	in := hris.NewTimeOff{EmployeeID: int64(emp.ID), TypeID: vacation, Start: hris.NewDate(2031, 7, 14),
		End: hris.NewDate(2031, 7, 16), HalfDayEnd: true, Comment: "Roster test", SkipApproval: true}
	created, err := c.CreateTimeOff(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == 0 || created.EmployeeID != in.EmployeeID || created.Start != in.Start || created.End != in.End ||
		!created.HalfDayEnd || created.HalfDayStart || created.Status != hris.TimeOffApproved {
		t.Errorf("created = %+v", created)
	}
	var listed []hris.TimeOff
	err = c.ListTimeOffs(ctx, hris.TimeOffQuery{EmployeeIDs: []int64{in.EmployeeID}, Start: in.Start, End: in.End},
		func(page []hris.TimeOff) error { listed = append(listed, page...); return nil })
	if err != nil || len(listed) != 1 || listed[0].ID != created.ID || listed[0].Comment != "Roster test" {
		t.Fatalf("listed = %+v, %v", listed, err)
	}
	if err := c.DeleteTimeOff(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteTimeOff(ctx, created.ID); !errors.Is(err, hris.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
}

func TestSandboxAttendancePeriods(t *testing.T) {
	s, url := sandboxtest.Start(t, sandboxOptions())
	c, log := newSandboxClient(t, url)
	ctx := context.Background()
	loc := berlin(t)

	t.Run("list", func(t *testing.T) {
		seen := map[string]bool{}
		err := c.ListAttendancePeriods(ctx, hris.AttendanceQuery{PageSize: 50}, func(page []hris.AttendancePeriod) error {
			for _, p := range page {
				if seen[p.ID] {
					t.Errorf("period %s listed twice", p.ID)
				}
				if len(p.Warnings) > 0 || p.PersonID == 0 || p.Start.IsZero() {
					t.Errorf("period = %+v", p)
				}
				seen[p.ID] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := len(s.AttendancePeriods()); len(seen) != want || want <= 50 {
			t.Fatalf("listed %d periods, sandbox has %d", len(seen), want)
		}
	})

	t.Run("create, update, delete", func(t *testing.T) {
		person := int64(s.Employees()[2].ID)
		start := time.Date(2031, 5, 6, 9, 0, 0, 0, loc)
		end := start.Add(4 * time.Hour)
		in := hris.NewAttendancePeriod{PersonID: person, Start: start, End: &end, Comment: "Focus", SkipApproval: true}
		id, err := c.CreateAttendancePeriod(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		get := func() []hris.AttendancePeriod {
			t.Helper()
			var out []hris.AttendancePeriod
			err := c.ListAttendancePeriods(ctx, hris.AttendanceQuery{IDs: []string{id}},
				func(page []hris.AttendancePeriod) error { out = append(out, page...); return nil })
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		got := get()
		if len(got) != 1 || got[0].PersonID != person || got[0].Type != hris.AttendanceWork || !got[0].Start.Equal(start) ||
			got[0].End == nil || !got[0].End.Equal(end) || got[0].Comment != "Focus" || got[0].Status != hris.AttendanceConfirmed ||
			got[0].AttributionDate != hris.NewDate(2031, 5, 6) {
			t.Fatalf("created period = %+v", got)
		}
		// A create repeated by an outbox after a lost answer is rejected as
		// an overlap, not duplicated.
		if _, err := c.CreateAttendancePeriod(ctx, in); !errors.Is(err, hris.ErrInvalid) {
			t.Errorf("duplicate create: %v, want ErrInvalid", err)
		}
		in.End = nil
		in.Comment = "Still going"
		if err := c.UpdateAttendancePeriod(ctx, id, in); err != nil {
			t.Fatal(err)
		}
		if got := get(); len(got) != 1 || got[0].End != nil || got[0].Comment != "Still going" {
			t.Fatalf("updated period = %+v", got)
		}
		if err := c.DeleteAttendancePeriod(ctx, id); err != nil {
			t.Fatal(err)
		}
		if got := get(); len(got) != 0 {
			t.Fatalf("deleted period still listed: %+v", got)
		}
		if err := c.DeleteAttendancePeriod(ctx, id); !errors.Is(err, hris.ErrNotFound) {
			t.Errorf("second delete: %v, want ErrNotFound", err)
		}
	})
	for _, ci := range log.list() {
		if ci.Path == "/v2/auth/token" && ci.Status != 200 {
			t.Errorf("token call = %+v", ci)
		}
	}
}

func TestSandboxFaults(t *testing.T) {
	employees := []string{"/v1/company/employees"}
	tests := []struct {
		name     string
		faults   sandbox.Faults
		timeout  time.Duration
		retries  int
		wantErr  error // nil: the client recovers
		timeout2 bool  // the error is a timeout
		// raw runs without the OpenAPI validator: a reset connection, or a
		// request the client gave up on, reaches it as an empty 200
		// response, which it rejects.
		raw bool
	}{
		{name: "429s are waited out", faults: sandbox.Faults{Rate429: 0.2, Paths: employees}},
		{name: "5xx are retried", faults: sandbox.Faults{Rate5xx: 0.3, Paths: employees}},
		{name: "connection resets are retried", faults: sandbox.Faults{ResetRate: 0.3, Paths: employees}, raw: true},
		{name: "malformed bodies are retried", faults: sandbox.Faults{MalformedRate: 0.3, Paths: employees}},
		{name: "latency within the timeout", faults: sandbox.Faults{LatencyMS: 20, Paths: employees}},
		{name: "hangs are retried", faults: sandbox.Faults{HangRate: 0.3, HangMS: 2000, Paths: employees}, timeout: 300 * time.Millisecond, raw: true},
		{name: "persistent 429", faults: sandbox.Faults{Rate429: 1, Paths: employees}, retries: 1, wantErr: hris.ErrRateLimited},
		{name: "persistent 5xx", faults: sandbox.Faults{Rate5xx: 1, Paths: employees}, wantErr: hris.ErrServer},
		{name: "persistent malformed", faults: sandbox.Faults{MalformedRate: 1, Paths: employees}, wantErr: hris.ErrMalformed},
		{name: "persistent resets", faults: sandbox.Faults{ResetRate: 1, Paths: employees}, wantErr: hris.ErrUnreachable, raw: true},
		{name: "latency beyond the timeout", faults: sandbox.Faults{LatencyMS: 1000, Paths: employees}, timeout: 100 * time.Millisecond,
			retries: 1, wantErr: hris.ErrUnreachable, timeout2: true, raw: true},
		{name: "auth 5xx are retried", faults: sandbox.Faults{Rate5xx: 0.5, Paths: []string{"/v1/auth"}}},
	}
	s, url := sandboxtest.Start(t, sandboxOptions(func(o *sandbox.Options) { o.Employees = 450 }))
	raw := httptest.NewServer(s)
	t.Cleanup(raw.Close)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := url
			if tt.raw {
				base = raw.URL
			}
			c, _ := newSandboxClient(t, base, func(cfg *personio.Config) {
				if tt.timeout > 0 {
					cfg.Timeout = tt.timeout
				}
				if tt.retries > 0 {
					cfg.MaxRetries = tt.retries
				}
			})
			f := tt.faults
			f.Seed = 7
			if err := s.SetFaults(f); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.ClearFaults)
			n := 0
			err := c.ListEmployees(context.Background(), hris.EmployeeQuery{}, func(page []hris.Employee) error {
				n += len(page)
				return nil
			})
			if tt.wantErr == nil {
				if err != nil || n != 450 {
					t.Fatalf("listed %d, err %v", n, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var he *hris.Error
			if !errors.As(err, &he) || he.Timeout != tt.timeout2 || he.UserMessage() == "" {
				t.Errorf("error = %#v", err)
			}
		})
	}
	t.Run("token invalidation", func(t *testing.T) {
		c, log := newSandboxClient(t, url)
		ctx := context.Background()
		if _, err := c.GetEmployee(ctx, int64(s.Employees()[0].ID)); err != nil {
			t.Fatal(err)
		}
		if err := s.SetFaults(sandbox.Faults{InvalidateTokens: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetEmployee(ctx, int64(s.Employees()[0].ID)); err != nil {
			t.Fatalf("after invalidation: %v", err)
		}
		auths := 0
		for _, ci := range log.list() {
			if ci.Path == "/v1/auth" {
				auths++
			}
		}
		if auths != 2 {
			t.Errorf("auth calls = %d, want 2", auths)
		}
	})
}

func TestSandboxConcurrency(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy tokens %v", legacy), func(t *testing.T) {
			s, url := sandboxtest.Start(t, sandboxOptions(func(o *sandbox.Options) { o.LegacyTokens = legacy; o.Employees = 250 }))
			c, log := newSandboxClient(t, url)
			ids := s.Employees()
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for g := range 10 {
				wg.Go(func() {
					ctx := context.Background()
					n := 0
					if err := c.ListEmployees(ctx, hris.EmployeeQuery{}, func(p []hris.Employee) error { n += len(p); return nil }); err != nil {
						errs <- err
						return
					}
					if n != 250 {
						errs <- fmt.Errorf("goroutine %d listed %d employees", g, n)
					}
					for i := range 5 {
						if _, err := c.GetEmployee(ctx, int64(ids[g*5+i].ID)); err != nil {
							errs <- err
						}
					}
					if err := c.ListTimeOffs(ctx, hris.TimeOffQuery{EmployeeIDs: []int64{int64(ids[g].ID)}},
						func([]hris.TimeOff) error { return nil }); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for _, ci := range log.list() {
				if ci.Status == http.StatusUnauthorized || ci.Status == http.StatusForbidden {
					t.Errorf("token rejected: %+v", ci)
				}
			}
			if st := s.Stats(); st.Endpoints["POST /v1/auth"].Total != 1 {
				t.Errorf("auth calls = %+v, want 1", st.Endpoints["POST /v1/auth"])
			}
		})
	}
}

func TestSandboxRateLimits(t *testing.T) {
	s, url := sandboxtest.Start(t, sandboxOptions(func(o *sandbox.Options) { o.RateLimit = true }))
	c, _ := newSandboxClient(t, url, func(cfg *personio.Config) { cfg.Limits = personio.DefaultLimits() })
	ids := s.Employees()
	const requests = 30
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for g := range 3 {
		wg.Go(func() {
			for i := range requests / 3 {
				if _, err := c.GetEmployee(context.Background(), int64(ids[g*10+i].ID)); err != nil {
					t.Error(err)
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if st := s.Stats(); st.RateLimited != 0 {
		t.Errorf("%d requests were rate limited", st.RateLimited)
	}
	// The sandbox bucket holds 15 and refills 5 per second.
	floor := time.Duration(float64(requests-15) / 5 * float64(time.Second))
	t.Logf("%d requests in %v (floor %v)", requests, elapsed.Round(time.Millisecond), floor)
	if elapsed < floor {
		t.Errorf("took %v, faster than the limit allows (%v)", elapsed, floor)
	}
}

func TestSandboxHeadersAndSecrets(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]map[string]bool{}
	record := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			for _, k := range []string{"X-Personio-Partner-Id", "X-Personio-App-Id", "User-Agent"} {
				if seen[k] == nil {
					seen[k] = map[string]bool{}
				}
				seen[k][r.Header.Get(k)] = true
			}
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	}
	s := sandbox.New(sandboxOptions(func(o *sandbox.Options) { o.LegacyTokens = true }))
	srv := httptest.NewServer(record(sandboxtest.Validate(t, s)))
	t.Cleanup(srv.Close)
	c, log := newSandboxClient(t, srv.URL, func(cfg *personio.Config) { cfg.Version = "9.9.9" })
	ctx := context.Background()
	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadableAttributes(ctx); err != nil {
		t.Fatal(err)
	}
	listAll(t, c, hris.EmployeeQuery{Email: s.Employees()[0].Email})
	err := c.ListAttendancePeriods(ctx, hris.AttendanceQuery{PersonIDs: []int64{int64(s.Employees()[0].ID)}},
		func([]hris.AttendancePeriod) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := newSandboxClient(t, srv.URL, func(cfg *personio.Config) {
		cfg.ClientSecret, cfg.Version = "wrong-"+sandbox.FullClientSecret, "9.9.9"
	})
	err = bad.Check(ctx)
	if !errors.Is(err, hris.ErrBadCredentials) {
		t.Fatalf("wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), sandbox.FullClientSecret) {
		t.Errorf("error leaks the secret: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	for k, want := range map[string]string{
		"X-Personio-Partner-Id": "ROSTER", "X-Personio-App-Id": "ROSTER_TEST", "User-Agent": "Roster/9.9.9",
	} {
		if len(seen[k]) != 1 || !seen[k][want] {
			t.Errorf("%s values = %v, want only %q", k, seen[k], want)
		}
	}
	for _, ci := range log.list() {
		s := fmt.Sprintf("%#v", ci)
		if strings.Contains(s, sandbox.FullClientSecret) || strings.Contains(s, "papi-") ||
			strings.Contains(s, "Bearer") || strings.Contains(s, "@") {
			t.Errorf("call info leaks a secret or personal data: %s", s)
		}
	}
}

// BenchmarkSandboxListEmployees lists a company of 5,000 employees (50 pages)
// from the sandbox without rate limits (and without the OpenAPI validator,
// which would dominate the measurement).
func BenchmarkSandboxListEmployees(b *testing.B) {
	srv := httptest.NewServer(sandbox.New(sandboxOptions(func(o *sandbox.Options) { o.Employees = 5000 })))
	b.Cleanup(srv.Close)
	c, err := personio.New(personio.Config{
		BaseURL: srv.URL, ClientID: sandbox.FullClientID, ClientSecret: sandbox.FullClientSecret,
		Limits: personio.NoLimits(), Location: berlin(b),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := c.ListEmployees(context.Background(), hris.EmployeeQuery{}, func(page []hris.Employee) error {
			n += len(page)
			return nil
		})
		if err != nil || n != 5000 {
			b.Fatal(n, err)
		}
	}
}
