package hrsync_test

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// Bad data from Personio (issue #10): a company with 5 % broken records
// (sandbox.Options.BrokenRate) syncs every record, each broken one with its
// problem, and reports each broken record exactly once per run.
//
// The rule the sync follows (run.go): a run records one warning per record
// and problem code (record problems while saving its page, problems between
// records — duplicate email, unknown supervisor, cycle — after the fetch).
// A full run lists every broken record of the company on its own run, so a
// second identical full run lists them again on its list but writes nothing
// (the warnings stay on the employees unchanged); a partial run lists only
// the broken records it fetched.

// brokenCode is the warning code a kind of broken record must produce.
func brokenCode(kind string) string {
	switch kind {
	case sandbox.BrokenMissingEmail:
		return hrsync.WarnMissingEmail
	case sandbox.BrokenDuplicateEmail:
		return hrsync.WarnDuplicateEmail
	case sandbox.BrokenUnknownSupervisor:
		return hrsync.WarnUnknownSupervisor
	case sandbox.BrokenSupervisorCycle:
		return hrsync.WarnSupervisorCycle
	case sandbox.BrokenInvalidDate:
		return hrsync.WarnInvalidDate
	case sandbox.BrokenWrongType:
		return hrsync.WarnInvalidValue
	}
	return "unknown kind " + kind
}

// brokenFields are the mirror columns a kind of defect changes besides the
// warnings.
func brokenFields(kind string) []string {
	switch kind {
	case sandbox.BrokenMissingEmail, sandbox.BrokenDuplicateEmail:
		return []string{"Email", "SearchText"}
	case sandbox.BrokenUnknownSupervisor, sandbox.BrokenSupervisorCycle:
		return []string{"SupervisorID"}
	case sandbox.BrokenInvalidDate:
		return []string{"HireDate"}
	case sandbox.BrokenWrongType:
		return []string{"WeeklyHours"}
	}
	return nil
}

// companyEnv is one sandbox company synced into its own organisation.
type companyEnv struct {
	t       *testing.T
	st      *store.Store
	sb      *sandbox.Server
	baseURL string
	orgID   int64
	svc     *hrsync.Service
}

// newCompany serves a company; validated checks every exchange against the
// OpenAPI documents (broken records violate them on purpose).
func newCompany(t *testing.T, st *store.Store, slug string, opts sandbox.Options, validated bool) *companyEnv {
	t.Helper()
	sb := sandbox.New(opts)
	var srv *httptest.Server
	if validated {
		srv = httptest.NewServer(sandboxtest.Validate(t, sb))
	} else {
		srv = httptest.NewServer(sb)
	}
	t.Cleanup(srv.Close)
	org := &store.Organization{Slug: slug, Name: slug, TimeZone: "Europe/Berlin"}
	if err := st.CreateOrganization(t.Context(), org); err != nil {
		t.Fatal(err)
	}
	c := &companyEnv{t: t, st: st, sb: sb, baseURL: srv.URL, orgID: org.ID}
	loc := berlin(t)
	c.svc = newService(t, st, func(_ context.Context, _ int64, onCall func(hris.CallInfo)) (hris.Provider, error) {
		return personio.New(personio.Config{
			BaseURL: c.baseURL, ClientID: sandbox.FullClientID, ClientSecret: sandbox.FullClientSecret, Version: "test",
			Timeout: 5 * time.Second, Limits: personio.NoLimits(), MaxRetries: 3,
			BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Location: loc, OnCall: onCall,
		})
	}, "")
	return c
}

func (c *companyEnv) sync(mode string) *store.SyncRun {
	c.t.Helper()
	r, started, err := c.svc.Run(c.t.Context(), c.orgID, req(mode))
	if err != nil || !started || r.Status != store.RunSucceeded {
		c.t.Fatalf("%s sync: started %v, err %v, run %+v", mode, started, err, r)
	}
	return r
}

// warnings returns the run's warnings as "id:code" → how often recorded.
func (c *companyEnv) warnings(r *store.SyncRun) map[string]int {
	c.t.Helper()
	ws, total, err := c.svc.RunWarnings(c.t.Context(), c.orgID, r.ID, 0, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	if int(total) != len(ws) {
		c.t.Fatalf("run %d: %d warnings listed of %d", r.ID, len(ws), total)
	}
	out := map[string]int{}
	for _, w := range ws {
		out[fmt.Sprintf("%d:%s", w.PersonioID, w.Code)]++
	}
	return out
}

// rows returns the mirror as text by personio id, without the bookkeeping
// columns, the record hash and the given columns.
func (c *companyEnv) rows(skip ...string) map[int64]string {
	c.t.Helper()
	sk := map[string]bool{"RawHash": true}
	for k := range mirrorSkip {
		sk[k] = true
	}
	for _, k := range skip {
		sk[k] = true
	}
	out := map[int64]string{}
	err := c.st.EachHREmployee(c.t.Context(), c.orgID, store.HREmployeeFilter{IncludeRemoved: true}, func(h *store.HREmployee) error {
		if _, dup := out[h.PersonioID]; dup {
			c.t.Errorf("employee %d mirrored twice", h.PersonioID)
		}
		row := *h
		// Picture links name the sandbox's address, which differs.
		row.ProfilePictureURL = strings.TrimPrefix(row.ProfilePictureURL, c.baseURL)
		out[h.PersonioID] = rowText(reflect.ValueOf(row), sk) + fmt.Sprintf(" removed=%v", h.RemovedAt != nil)
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestBadDataFromPersonio(t *testing.T) {
	employees := 500
	if soak() {
		employees = 2000
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		opts := sandbox.DefaultOptions()
		opts.Employees, opts.Seed, opts.RateLimit = employees, 3, false
		clean := newCompany(t, st, "clean", opts, true)
		opts.BrokenRate = 0.05
		bad := newCompany(t, st, "broken", opts, false)

		broken := bad.sb.Broken()
		kinds := map[string]int{}
		kindOf := map[int64]string{}
		for _, b := range broken {
			kinds[b.Kind]++
			kindOf[int64(b.ID)] = b.Kind
		}
		if got, want := len(broken), int(math.Round(0.05*float64(employees))); got != want {
			t.Fatalf("%d broken records, want %d (5 %%)", got, want)
		}
		for _, k := range []string{sandbox.BrokenMissingEmail, sandbox.BrokenDuplicateEmail, sandbox.BrokenUnknownSupervisor,
			sandbox.BrokenSupervisorCycle, sandbox.BrokenInvalidDate, sandbox.BrokenWrongType} {
			if kinds[k] == 0 {
				t.Fatalf("no broken record of kind %s: %v", k, kinds)
			}
		}

		cleanRun := clean.sync(store.ModeFull)
		badRun := bad.sync(store.ModeFull)

		// Every record is synced.
		if badRun.Processed != employees || badRun.ErrorCount != 0 || badRun.NewCount != employees {
			t.Fatalf("broken company: processed %d, new %d, errors %d; want all %d records saved", badRun.Processed, badRun.NewCount, badRun.ErrorCount, employees)
		}
		// The clean company's own warnings (e.g. employees without email)
		// plus exactly one per broken record.
		want := map[string]int{}
		for k := range clean.warnings(cleanRun) {
			want[k] = 1
		}
		for _, b := range broken {
			key := fmt.Sprintf("%d:%s", b.ID, brokenCode(b.Kind))
			if want[key] != 0 {
				t.Fatalf("broken record %d already had warning %s in the clean company", b.ID, key)
			}
			want[key] = 1
		}
		checkWarnings := func(what string, got map[string]int) {
			t.Helper()
			for _, k := range sortedKeys(got) {
				if got[k] != 1 {
					t.Errorf("%s: warning %s recorded %d times", what, k, got[k])
				}
				if want[k] == 0 {
					t.Errorf("%s: unexpected warning %s", what, k)
				}
			}
			for _, k := range sortedKeys(want) {
				if got[k] == 0 {
					t.Errorf("%s: warning %s missing", what, k)
				}
			}
		}
		checkWarnings("first full run", bad.warnings(badRun))
		warnedIDs := map[string]bool{}
		for k := range want {
			warnedIDs[strings.SplitN(k, ":", 2)[0]] = true
		}
		if badRun.WarningCount != len(warnedIDs) {
			t.Errorf("run counts %d warned records, want %d", badRun.WarningCount, len(warnedIDs))
		}

		// Everything else is the same as in the clean company; a broken
		// record differs in its broken field and its warnings only, and
		// carries its problem.
		cleanRows := clean.rows()
		badRows := bad.rows()
		if len(badRows) != len(cleanRows) {
			t.Fatalf("mirror has %d employees, want %d", len(badRows), len(cleanRows))
		}
		for id, row := range badRows {
			kind, isBroken := kindOf[id]
			if !isBroken && row != cleanRows[id] {
				t.Errorf("employee %d differs from the clean company:\n got  %s\n want %s", id, row, cleanRows[id])
			}
			if !isBroken {
				continue
			}
			h, err := st.HREmployee(t.Context(), bad.orgID, id)
			if err != nil {
				t.Fatal(err)
			}
			codes := []string{}
			for _, w := range h.AllWarnings() {
				codes = append(codes, w.Code)
			}
			if len(codes) != 1 || codes[0] != brokenCode(kind) || h.Removed() {
				t.Errorf("%s record %d has warnings %v (removed %v), want [%s]", kind, id, codes, h.Removed(), brokenCode(kind))
			}
		}
		for kind := range kinds {
			skip := append([]string{"Warnings", "CheckWarnings"}, brokenFields(kind)...)
			cr, br := clean.rows(skip...), bad.rows(skip...)
			for id, k := range kindOf {
				if k == kind && cr[id] != br[id] {
					t.Errorf("%s record %d differs beyond its defect:\n got  %s\n want %s", kind, id, br[id], cr[id])
				}
			}
		}
		page, err := bad.svc.ListEmployees(t.Context(), bad.orgID, hrsync.EmployeeFilter{WithWarnings: true})
		if err != nil || int(page.Total) != len(warnedIDs) {
			t.Fatalf("employees with warnings: %v (%v), want %d", page.Total, err, len(warnedIDs))
		}

		// A second identical full run writes nothing and lists the same
		// warnings once each, on its own run.
		again := bad.sync(store.ModeFull)
		if again.RowsWritten != 0 || again.UnchangedCount != employees || again.WarningCount != len(warnedIDs) {
			t.Fatalf("second full run: wrote %d rows, counts %+v", again.RowsWritten, countsOf(again))
		}
		checkWarnings("second full run", bad.warnings(again))

		// A partial run lists only the records it fetched: those changed
		// within the look-back (4 hours by default), here the generated
		// leavers whose termination was recorded an hour ago, then also
		// a touched broken record.
		fetched := func() map[string]int {
			since := time.Now().Add(-4 * time.Hour)
			ids := map[string]bool{}
			for _, e := range bad.sb.Employees() {
				if e.LastModifiedAt.After(since) {
					ids[fmt.Sprint(e.ID)] = true
				}
			}
			out := map[string]int{}
			for k := range want {
				if ids[strings.SplitN(k, ":", 2)[0]] {
					out[k] = 1
				}
			}
			return out
		}
		checkPartial := func(what string, r *store.SyncRun) int {
			t.Helper()
			got, exp := bad.warnings(r), fetched()
			if fmt.Sprint(got) != fmt.Sprint(exp) {
				t.Fatalf("%s: warnings %v, want those of the fetched records %v", what, sortedKeys(got), sortedKeys(exp))
			}
			return len(got)
		}
		idle := checkPartial("partial run without changes", bad.sync(store.ModePartial))
		var touched sandbox.BrokenRecord
		for _, b := range broken {
			if b.Kind == sandbox.BrokenWrongType {
				touched = b
			}
		}
		if _, err := bad.sb.Update(touched.ID, sandbox.EmployeeInput{Position: sandbox.Ptr("Still Broken")}); err != nil {
			t.Fatal(err)
		}
		partial := bad.sync(store.ModePartial)
		if partial.ChangedCount != 1 {
			t.Fatalf("partial run after touching %d: counts %+v", touched.ID, countsOf(partial))
		}
		if n := checkPartial("partial run after touching a broken record", partial); n != idle+1 {
			t.Fatalf("touching broken record %d added %d warnings, want 1", touched.ID, n-idle)
		}
		t.Logf("bad data %s: %d employees, %d broken %v; %d records warned on each full run (%d warnings), %d on an idle partial run, %d after touching one broken record",
			st.Dialect(), employees, len(broken), kinds, len(warnedIDs), len(want), idle, idle+1)
	})
}
