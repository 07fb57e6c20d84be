package hrsync_test

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// checkMirror compares every sandbox employee with its mirror row.
func checkMirror(t *testing.T, e *env, restricted bool) {
	t.Helper()
	mirror := e.employees()
	sbEmps := e.sb.Employees()
	if len(mirror) != len(sbEmps) {
		t.Fatalf("mirror has %d employees, sandbox %d", len(mirror), len(sbEmps))
	}
	for _, want := range sbEmps {
		got, ok := mirror[int64(want.ID)]
		if !ok {
			t.Fatalf("employee %d missing from the mirror", want.ID)
		}
		hours, _ := strconv.ParseFloat(want.WeeklyWorkingHours, 64)
		type field struct {
			name      string
			got, want any
		}
		fields := []field{
			{"first_name", got.FirstName, want.FirstName}, {"last_name", got.LastName, want.LastName},
			{"preferred_name", got.PreferredName, want.PreferredName},
			{"email", got.Email, strings.ToLower(strings.TrimSpace(want.Email))},
			{"status", got.Status, want.Status}, {"position", got.Position, want.Position},
			{"employment_type", got.EmploymentType, want.EmploymentType},
			{"department", got.DepartmentName, want.Department}, {"office", got.OfficeName, want.Office},
			{"subcompany", got.SubcompanyName, want.Subcompany},
			{"hire_date", got.HireDate, want.HireDate}, {"contract_end_date", got.ContractEndDate, want.ContractEndDate},
			{"weekly_hours", math.Round(got.WeeklyHours * 10), math.Round(hours * 10)},
			{"removed", got.Removed(), false},
		}
		sup := int64(0)
		if got.SupervisorID != nil {
			sup = *got.SupervisorID
		}
		wantSup := int64(0)
		if want.SupervisorID != nil {
			wantSup = int64(*want.SupervisorID)
		}
		fields = append(fields, field{"supervisor", sup, wantSup})
		if !restricted {
			var ccs []string
			for _, c := range got.CostCenterList() {
				ccs = append(ccs, c.Name+"="+strconv.FormatFloat(c.Percentage, 'f', -1, 64))
			}
			var wantCCs []string
			for _, c := range want.CostCenters {
				wantCCs = append(wantCCs, c.Name+"="+strconv.FormatFloat(c.Percentage, 'f', -1, 64))
			}
			fields = append(fields,
				field{"team", got.TeamName, want.Team},
				field{"last_working_day", got.LastWorkingDay, want.LastWorkingDay},
				field{"termination_date", got.TerminationDate, want.TerminationDate},
				field{"cost_centers", strings.Join(ccs, ","), strings.Join(wantCCs, ",")})
		} else {
			fields = append(fields, field{"team (not readable)", got.TeamName, ""}, field{"cost centers (not readable)", got.CostCenters, "[]"})
		}
		for _, f := range fields {
			if f.got != f.want {
				t.Errorf("employee %d %s = %v, want %v", want.ID, f.name, f.got, f.want)
			}
		}
		if want.HasProfilePicture != (got.ProfilePictureURL != "") {
			t.Errorf("employee %d profile picture %q, sandbox has one: %v", want.ID, got.ProfilePictureURL, want.HasProfilePicture)
		}
		for _, secret := range []string{want.IBAN, want.BIC, want.AccountHolder, "salary"} {
			if secret != "" && strings.Contains(got.Custom, secret) {
				t.Errorf("employee %d: bank details or pay copied into the mirror: %s", want.ID, got.Custom)
			}
		}
		if !strings.Contains(got.Custom, sandbox.TitleAttribute) {
			t.Errorf("employee %d: custom attribute %s missing from %s", want.ID, sandbox.TitleAttribute, got.Custom)
		}
	}
}

// lastDay is a valid last working day for a termination: today, or the
// hire date when that is later.
func lastDay(e *env, id int) string {
	e.t.Helper()
	emp, ok := e.sb.Employee(id)
	if !ok {
		e.t.Fatalf("no sandbox employee %d", id)
	}
	today := time.Now().In(berlin(e.t)).Format(time.DateOnly)
	return max(today, emp.HireDate)
}

func TestFullSyncMirrorsSandboxAndIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 500)
		first := e.sync(e.svc, store.ModeFull)
		if c := countsOf(first); c.New != 500 || c.Changed != 0 || c.Unchanged != 0 || c.Removed != 0 || c.Errors != 0 {
			t.Fatalf("first sync counts %+v", c)
		}
		if first.Processed != 500 || first.PagesFetched != 5 || first.RowsWritten < 500 || first.APICalls < 6 ||
			first.Phase != hrsync.PhaseDone || first.FinishedAt == nil || first.Trigger != store.TriggerCLI {
			t.Fatalf("first run %+v", first)
		}
		checkMirror(t, e, false)

		second := e.sync(e.svc, store.ModeFull)
		if c := countsOf(second); c.New != 0 || c.Changed != 0 || c.Unchanged != 500 || c.Removed != 0 || c.Warnings != first.WarningCount {
			t.Fatalf("second sync counts %+v (first %+v)", c, countsOf(first))
		}
		if second.RowsWritten != 0 {
			t.Fatalf("second identical sync wrote %d rows", second.RowsWritten)
		}
		for id, h := range e.employees() {
			if h.LastRunID != first.ID {
				t.Fatalf("employee %d was written by run %d", id, h.LastRunID)
			}
		}
		last, err := e.svc.LastSuccessful(t.Context(), e.orgID, store.AreaEmployees)
		if err != nil || last.ID != second.ID {
			t.Fatalf("LastSuccessful = %+v, %v", last, err)
		}
		runs, err := e.svc.ListRuns(t.Context(), e.orgID, 10)
		if err != nil || len(runs) != 2 || runs[0].ID != second.ID {
			t.Fatalf("ListRuns = %d runs, %v", len(runs), err)
		}
	})
}

func TestPartialSyncPicksUpChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 200)
		e.sync(e.svc, store.ModeFull)

		hired, err := e.sb.Hire(sandbox.EmployeeInput{FirstName: sandbox.Ptr("Jürgen"), LastName: sandbox.Ptr("Müller"),
			Email: sandbox.Ptr("Juergen.Mueller@Roster-Demo.example"), Team: sandbox.Ptr("Platform"), SupervisorID: sandbox.Ptr(1002)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.sb.Update(1010, sandbox.EmployeeInput{Position: sandbox.Ptr("Principal Engineer")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.sb.Transfer(1011, sandbox.Transfer{Team: sandbox.Ptr("Payments"), SupervisorID: sandbox.Ptr(1003)}); err != nil {
			t.Fatal(err)
		}
		lwd := lastDay(e, 1012)
		if _, err := e.sb.Terminate(1012, sandbox.Termination{LastWorkingDay: lwd, TerminationDate: lwd, Status: "inactive"}); err != nil {
			t.Fatal(err)
		}
		partial := e.sync(e.svc, store.ModePartial)
		if c := countsOf(partial); c.New != 1 || c.Changed != 3 || c.Removed != 0 {
			t.Fatalf("partial counts %+v", c)
		}
		if partial.RowsWritten != 4 {
			t.Fatalf("partial wrote %d rows", partial.RowsWritten)
		}
		if h := e.employee(int64(hired.ID)); h.Email != "juergen.mueller@roster-demo.example" || h.TeamName != "Platform" || h.LastRunID != partial.ID {
			t.Fatalf("hired employee %+v", h)
		}
		if h := e.employee(1010); h.Position != "Principal Engineer" {
			t.Fatalf("edited employee position %q", h.Position)
		}
		if h := e.employee(1011); h.TeamName != "Payments" || h.SupervisorID == nil || *h.SupervisorID != 1003 {
			t.Fatalf("transferred employee team %q supervisor %v", h.TeamName, h.SupervisorID)
		}
		if h := e.employee(1012); h.Status != "inactive" || h.LastWorkingDay != lwd || h.TerminationDate != lwd {
			t.Fatalf("terminated employee %+v", h)
		}
		checkMirror(t, e, false)

		// Deletions are detected by full syncs only.
		if err := e.sb.Delete(1013); err != nil {
			t.Fatal(err)
		}
		if r := e.sync(e.svc, store.ModePartial); r.RemovedCount != 0 || e.employee(1013).Removed() {
			t.Fatalf("partial sync removed: %+v", r)
		}
		full := e.sync(e.svc, store.ModeFull)
		if full.RemovedCount != 1 || !e.employee(1013).Removed() {
			t.Fatalf("full sync after a deletion: %+v", countsOf(full))
		}
		if r := e.sync(e.svc, store.ModeFull); r.RowsWritten != 0 || r.RemovedCount != 0 {
			t.Fatalf("converged full sync wrote %d rows, removed %d", r.RowsWritten, r.RemovedCount)
		}
	})
}

func TestFiltersMarkScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 200)
		e.saveSettings(func(s *store.SyncSettings) { s.FilterStatuses = jsonList("Active", "onboarding", "leave") })
		e.sync(e.svc, store.ModeFull)
		outside := 0
		for id, h := range e.employees() {
			want := h.Status == "active" || h.Status == "onboarding" || h.Status == "leave"
			if h.InScope != want || (want && h.ScopeReason != "") || (!want && h.ScopeReason != hrsync.ScopeStatus) {
				t.Fatalf("employee %d status %s: in scope %v (%q)", id, h.Status, h.InScope, h.ScopeReason)
			}
			if !want {
				outside++
			}
		}
		if outside == 0 {
			t.Fatal("the sandbox has no inactive employees to filter out")
		}

		// A scope exit waits for the full sync.
		if _, err := e.sb.Terminate(1020, sandbox.Termination{LastWorkingDay: lastDay(e, 1020), Status: "inactive"}); err != nil {
			t.Fatal(err)
		}
		e.sync(e.svc, store.ModePartial)
		if h := e.employee(1020); !h.InScope || h.Status != "inactive" {
			t.Fatalf("after the partial sync: in scope %v, status %s", h.InScope, h.Status)
		}
		full := e.sync(e.svc, store.ModeFull)
		if h := e.employee(1020); h.InScope || h.ScopeReason != hrsync.ScopeStatus {
			t.Fatalf("after the full sync: in scope %v (%q)", h.InScope, h.ScopeReason)
		}
		if full.ChangedCount != 1 {
			t.Fatalf("full sync changed %d", full.ChangedCount)
		}

		// A subcompany filter re-scopes everyone at the next full sync.
		sub := e.employee(1001).SubcompanyName
		e.saveSettings(func(s *store.SyncSettings) {
			s.FilterStatuses = "[]"
			s.FilterSubcompanies = jsonList(strings.ToUpper(sub))
		})
		e.sync(e.svc, store.ModeFull)
		inScope := true
		page, err := e.svc.ListEmployees(t.Context(), e.orgID, hrsync.EmployeeFilter{InScope: &inScope, PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.Employees {
			if h.SubcompanyName != sub {
				t.Fatalf("employee %d of %q in scope", h.PersonioID, h.SubcompanyName)
			}
		}
		for _, h := range e.employees() {
			if h.SubcompanyName != sub && (h.InScope || h.ScopeReason != hrsync.ScopeSubcompany) {
				t.Fatalf("employee %d of %q: in scope %v (%q)", h.PersonioID, h.SubcompanyName, h.InScope, h.ScopeReason)
			}
		}
	})
}

func TestRestrictedCredential(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 150)
		svc := e.service(e.personio(sandbox.RestrictedClientID, sandbox.RestrictedClientSecret), "")
		r := e.sync(svc, store.ModeFull)
		if r.NewCount != 150 || r.WarningCount != 150 || r.ErrorCount != 0 {
			t.Fatalf("restricted sync counts %+v", countsOf(r))
		}
		checkMirror(t, e, true)
		h := e.employee(1001)
		found := false
		for _, w := range h.AllWarnings() {
			if w.Code == hrsync.WarnMissingAttributes {
				found = true
				for _, attr := range sandbox.RestrictedAttributes() {
					if !strings.Contains(w.Message, attr) {
						t.Errorf("warning %q does not name %s", w.Message, attr)
					}
				}
			}
		}
		if !found {
			t.Fatalf("employee warnings %s", h.Warnings)
		}
		ws, total, err := svc.RunWarnings(t.Context(), e.orgID, r.ID, 0, 0)
		if err != nil || total < 150 {
			t.Fatalf("run warnings %d, %v", total, err)
		}
		missing := 0
		for _, w := range ws {
			if w.Code == hrsync.WarnMissingAttributes {
				missing++
			}
		}
		if missing != 150 {
			t.Fatalf("%d missing-attribute warnings, want 150", missing)
		}
		if again := e.sync(svc, store.ModeFull); again.RowsWritten != 0 || again.WarningCount != r.WarningCount {
			t.Fatalf("second restricted sync wrote %d rows, %d warnings", again.RowsWritten, again.WarningCount)
		}
	})
}

func TestBadRecordsBecomeWarningsOnce(t *testing.T) {
	sup := func(id int64) *int64 { return &id }
	emp := func(id int64, email string, supervisor *int64) hris.Employee {
		return hris.Employee{ID: id, FirstName: "F" + strconv.FormatInt(id, 10), LastName: "L", Email: email,
			Status: hris.StatusActive, SupervisorID: supervisor, HireDate: hris.NewDate(2020, 1, 1)}
	}
	page1 := []hris.Employee{
		emp(1, "ceo@example.com", nil),
		emp(2, "", sup(1)),                  // no email
		emp(3, "Same@Example.com ", sup(1)), // duplicate email (with 4)
		emp(4, "same@example.com", sup(1)),
		emp(5, "five@example.com", sup(99)), // unknown supervisor
	}
	bad := emp(6, "six@example.com", sup(7)) // cycle 6 → 7 → 6
	bad.Warnings = []hris.FieldWarning{{Field: "hire_date", Message: `"31.02.2020" is not a date`}}
	bad.HireDate = hris.Date{}
	page2 := []hris.Employee{
		bad,
		emp(7, "seven@example.com", sup(6)),
		{Warnings: []hris.FieldWarning{{Field: "id", Message: "the record has no usable id"}}}, // no id
		emp(3, "same@example.com", sup(1)), // listed twice
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 1)
		svc := e.service(fixed(&pageProvider{pages: [][]hris.Employee{page1, page2}}), "")
		r := e.sync(svc, store.ModeFull)
		// Bad records: 2, 3, 4, 5, 6, 7 (each once); the id-less one is an error.
		if c := countsOf(r); c.New != 7 || c.Warnings != 6 || c.Errors != 1 {
			t.Fatalf("counts %+v", c)
		}
		ws, _, err := svc.RunWarnings(t.Context(), e.orgID, r.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, w := range ws {
			key := strconv.FormatInt(w.PersonioID, 10) + ":" + w.Code
			if got[key] {
				t.Fatalf("warning %s recorded twice", key)
			}
			got[key] = true
		}
		for _, want := range []string{"2:missing_email", "3:duplicate_email", "4:duplicate_email", "5:unknown_supervisor",
			"6:invalid_date", "6:supervisor_cycle", "7:supervisor_cycle", "0:no_id"} {
			if !got[want] {
				t.Errorf("warning %s missing; got %v", want, got)
			}
		}
		if len(ws) != 8 {
			t.Errorf("%d run warnings, want 8: %v", len(ws), got)
		}
		codes := func(id int64) string {
			var cs []string
			for _, w := range e.employee(id).AllWarnings() {
				cs = append(cs, w.Code)
			}
			return strings.Join(cs, ",")
		}
		for id, want := range map[int64]string{1: "", 2: "missing_email", 3: "duplicate_email", 5: "unknown_supervisor",
			6: "invalid_date,supervisor_cycle", 7: "supervisor_cycle"} {
			if got := codes(id); got != want {
				t.Errorf("employee %d warnings %q, want %q", id, got, want)
			}
		}
		if h := e.employee(3); h.Email != "same@example.com" {
			t.Errorf("email not normalised: %q", h.Email)
		}

		again := e.sync(svc, store.ModeFull)
		if again.RowsWritten != 0 || again.WarningCount != 6 || again.UnchangedCount != 7 {
			t.Fatalf("second run: wrote %d rows, counts %+v", again.RowsWritten, countsOf(again))
		}

		// Fixing the data clears the check warnings.
		fixedPage := []hris.Employee{emp(1, "ceo@example.com", nil), emp(2, "two@example.com", sup(1)),
			emp(3, "three@example.com", sup(1)), emp(4, "same@example.com", sup(1)), emp(5, "five@example.com", sup(1)),
			emp(6, "six@example.com", sup(1)), emp(7, "seven@example.com", sup(6))}
		svc2 := e.service(fixed(&pageProvider{pages: [][]hris.Employee{fixedPage}}), "")
		clean := e.sync(svc2, store.ModeFull)
		if clean.WarningCount != 0 {
			t.Fatalf("clean run has %d warnings", clean.WarningCount)
		}
		for id := int64(1); id <= 7; id++ {
			if ws := e.employee(id).AllWarnings(); len(ws) != 0 {
				t.Errorf("employee %d still has warnings %+v", id, ws)
			}
		}
		page, err := svc2.ListEmployees(t.Context(), e.orgID, hrsync.EmployeeFilter{WithWarnings: true})
		if err != nil || page.Total != 0 {
			t.Fatalf("employees with warnings: %v, %v", page, err)
		}
	})
}

func TestFaults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 300)
		base := e.sync(e.svc, store.ModeFull)

		// 429 bursts: the client waits and retries; the run succeeds.
		if err := e.sb.Delete(1050); err != nil {
			t.Fatal(err)
		}
		if err := e.sb.SetFaults(sandbox.Faults{Rate429: 0.3, Paths: []string{"/v1/company/employees"}, Seed: 12}); err != nil {
			t.Fatal(err)
		}
		r := e.sync(e.svc, store.ModeFull)
		e.sb.ClearFaults()
		if r.RemovedCount != 1 || r.ChangedCount != 0 || r.APICalls <= base.APICalls-1 {
			t.Fatalf("sync under 429s: %+v, %d calls", countsOf(r), r.APICalls)
		}
		calls, _, err := e.svc.ListAPICalls(t.Context(), e.orgID, hrsync.APICallFilter{RunID: r.ID, Status: store.CallStatusError, PageSize: 1000})
		if err != nil || len(calls) == 0 || calls[0].Status != 429 {
			t.Fatalf("429 calls in the log: %d, %v; sandbox stats %+v", len(calls), err, e.sb.Stats())
		}

		// A failure in the middle of a full sync: applied pages stay, no
		// removals, a clear reason.
		if err := e.sb.Delete(1060); err != nil {
			t.Fatal(err)
		}
		if _, err := e.sb.Update(1002, sandbox.EmployeeInput{Position: sandbox.Ptr("Chief Sync Officer")}); err != nil {
			t.Fatal(err)
		}
		serverErr := &hris.Error{Provider: "Personio", Kind: hris.ErrServer, Op: "list employees", Method: "GET", Path: "/v1/company/employees", Status: 503}
		failing := e.service(failAfter(e.personio(sandbox.FullClientID, sandbox.FullClientSecret), 1, serverErr), "")
		failed := e.syncFail(failing, store.ModeFull)
		if !strings.Contains(failed.Error, "server error (HTTP 503)") || !strings.Contains(failed.Error, "no employee was marked as removed") {
			t.Fatalf("failure reason %q", failed.Error)
		}
		if failed.PagesFetched != 1 || failed.RemovedCount != 0 || failed.ChangedCount != 1 {
			t.Fatalf("failed run %+v", countsOf(failed))
		}
		if e.employee(1060).Removed() || e.employee(1002).Position != "Chief Sync Officer" {
			t.Fatal("the failed run removed an employee or lost its applied page")
		}

		// 5xx on every attempt and malformed pages: failed runs, data intact.
		for _, f := range []sandbox.Faults{
			{Rate5xx: 1, Paths: []string{"/v1/company/employees"}},
			{MalformedRate: 1, Paths: []string{"/v1/company/employees"}},
		} {
			if err := e.sb.SetFaults(f); err != nil {
				t.Fatal(err)
			}
			bad := e.syncFail(e.svc, store.ModeFull)
			e.sb.ClearFaults()
			if bad.RemovedCount != 0 || e.employee(1060).Removed() {
				t.Fatalf("run under faults %+v removed employees", f)
			}
			if f.Rate5xx > 0 && !strings.Contains(bad.Error, "server error") {
				t.Errorf("5xx reason %q", bad.Error)
			}
			if f.MalformedRate > 0 && !strings.Contains(bad.Error, "could not be read") {
				t.Errorf("malformed reason %q", bad.Error)
			}
		}

		// The next run converges.
		ok := e.sync(e.svc, store.ModeFull)
		if ok.RemovedCount != 1 || !e.employee(1060).Removed() {
			t.Fatalf("converging run %+v", countsOf(ok))
		}
		checkMirrorLive(t, e)
	})
}

// checkMirrorLive checks that the live mirror is exactly the sandbox.
func checkMirrorLive(t *testing.T, e *env) {
	t.Helper()
	n, err := e.st.CountHREmployees(t.Context(), e.orgID)
	if err != nil || int(n) != e.sb.EmployeeCount() {
		t.Fatalf("live mirror %d employees, sandbox %d (%v)", n, e.sb.EmployeeCount(), err)
	}
	for _, want := range e.sb.Employees() {
		if h := e.employee(int64(want.ID)); h.Removed() || h.Position != want.Position || h.Status != want.Status {
			t.Fatalf("employee %d: %+v", want.ID, h)
		}
	}
}

func TestAPICallsAreLoggedWithoutSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 120)
		r := e.sync(e.svc, store.ModeFull)
		calls, total, err := e.svc.ListAPICalls(t.Context(), e.orgID, hrsync.APICallFilter{RunID: r.ID, PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		if int(total) != r.APICalls || len(calls) != r.APICalls {
			t.Fatalf("%d logged calls (%d listed), run counted %d", total, len(calls), r.APICalls)
		}
		sawAuth, sawList := false, false
		for _, c := range calls {
			if c.RunID == nil || *c.RunID != r.ID || c.Area != store.AreaEmployees || c.Method == "" || c.Path == "" {
				t.Fatalf("call %+v", c)
			}
			sawAuth = sawAuth || strings.Contains(c.Path, "auth")
			sawList = sawList || (c.Path == "/v1/company/employees" && c.Status == 200 && c.Bytes > 0 && c.OK())
		}
		if !sawAuth || !sawList {
			t.Fatalf("auth call %v, list call %v", sawAuth, sawList)
		}
		var rows []map[string]any
		if err := st.DB().Table("api_calls").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			b, _ := json.Marshal(row)
			for _, secret := range []string{sandbox.FullClientSecret, "papi-", "Bearer"} {
				if strings.Contains(string(b), secret) {
					t.Fatalf("api_calls row contains %q: %s", secret, b)
				}
			}
		}
		ok, _, err := e.svc.ListAPICalls(t.Context(), e.orgID, hrsync.APICallFilter{Status: store.CallStatusOK, Area: store.AreaEmployees})
		if err != nil || len(ok) == 0 {
			t.Fatalf("ok calls %d, %v", len(ok), err)
		}
		future := r.StartedAt.AddDate(0, 2, 1)
		n, err := st.PruneAPICalls(t.Context(), future)
		if err != nil || int(n) != r.APICalls {
			t.Fatalf("pruned %d, %v", n, err)
		}
	})
}

func TestListEmployees(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 200)
		e.sync(e.svc, store.ModeFull)
		all, err := e.svc.ListEmployees(t.Context(), e.orgID, hrsync.EmployeeFilter{PageSize: 30, Page: 2})
		if err != nil {
			t.Fatal(err)
		}
		if all.Total != 200 || len(all.Employees) != 30 || all.Pages() != 7 {
			t.Fatalf("page: total %d, %d rows, %d pages", all.Total, len(all.Employees), all.Pages())
		}
		f := all.Facets
		if len(f.Teams) == 0 || len(f.Departments) == 0 || len(f.Offices) == 0 || len(f.CostCenters) == 0 || len(f.Statuses) == 0 {
			t.Fatalf("facets %+v", f)
		}
		want := map[string]int{}
		for _, s := range e.sb.Employees() {
			want["team:"+s.Team]++
			for _, c := range s.CostCenters {
				want["cc:"+c.Name]++
			}
		}
		team := f.Teams[0]
		byTeam, err := e.svc.ListEmployees(t.Context(), e.orgID, hrsync.EmployeeFilter{Team: team, PageSize: 500})
		if err != nil || int(byTeam.Total) != want["team:"+team] {
			t.Fatalf("team %s: %d, want %d (%v)", team, byTeam.Total, want["team:"+team], err)
		}
		cc := f.CostCenters[0]
		byCC, err := e.svc.ListEmployees(t.Context(), e.orgID, hrsync.EmployeeFilter{CostCenter: cc, PageSize: 500})
		if err != nil || int(byCC.Total) != want["cc:"+cc] {
			t.Fatalf("cost center %s: %d, want %d (%v)", cc, byCC.Total, want["cc:"+cc], err)
		}
		ceo := e.employee(1001)
		found, err := e.svc.ListEmployees(t.Context(), e.orgID, hrsync.EmployeeFilter{Query: strings.ToUpper(ceo.LastName[:3])})
		if err != nil || found.Total == 0 {
			t.Fatalf("search %q: %v", ceo.LastName, err)
		}
		for _, h := range found.Employees {
			if !strings.Contains(h.SearchText, strings.ToLower(ceo.LastName[:3])) {
				t.Fatalf("search returned %q", h.SearchText)
			}
		}
		n := 0
		if err := e.svc.EachEmployee(t.Context(), e.orgID, hrsync.EmployeeFilter{}, func(*store.HREmployee) error {
			n++
			return nil
		}); err != nil || n != 200 {
			t.Fatalf("EachEmployee streamed %d, %v", n, err)
		}
		// Organisations never see each other's employees.
		other := &store.Organization{Slug: "other", Name: "Other", TimeZone: "UTC"}
		if err := st.CreateOrganization(t.Context(), other); err != nil {
			t.Fatal(err)
		}
		if p, err := e.svc.ListEmployees(t.Context(), other.ID, hrsync.EmployeeFilter{}); err != nil || p.Total != 0 {
			t.Fatalf("other org sees %v, %v", p, err)
		}
	})
}

func TestInvalidRequests(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	e := newEnv(t, st, 1)
	for _, r := range []hrsync.Request{
		{Area: "payroll", Mode: store.ModeFull, Trigger: store.TriggerCLI},
		{Area: store.AreaAbsences, Mode: store.ModeFull, Trigger: store.TriggerCLI},
		{Area: store.AreaEmployees, Mode: "delta", Trigger: store.TriggerCLI},
		{Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: "cron"},
	} {
		if _, _, err := e.svc.Run(t.Context(), e.orgID, r); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("request %+v: %v", r, err)
		}
	}
}
