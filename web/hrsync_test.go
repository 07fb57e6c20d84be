package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// connectSandbox runs the wizard's credential step against the sandbox.
func connectSandbox(t *testing.T, owner *client, sbURL string) {
	t.Helper()
	r := owner.post("/settings/hr/connect/credentials", "/settings/hr/connect/credentials",
		url.Values{"base_url": {sbURL}, "client_id": {sandbox.FullClientID}, "client_secret": {sandbox.FullClientSecret}})
	expectStatus(t, r, http.StatusSeeOther)
}

// waitRun polls the progress fragment until the run finishes.
func waitRun(t *testing.T, owner *client, runPath string) *resp {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := owner.do(http.MethodGet, runPath+"/progress", nil, map[string]string{"HX-Request": "true"})
		st, _ := r.testid("run-progress").Attr("data-status")
		if st != "running" {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("run did not finish in 30s")
	return nil
}

func TestSyncNowProgressRunsAPILogAndEmployees(t *testing.T) {
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 230, Seed: 4})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		connectSandbox(t, owner, sbURL)

		// Sync Now through htmx returns the live progress fragment.
		// ("Import without preview": the first import applied at once.)
		r := owner.do(http.MethodPost, "/settings/hr/sync-now", url.Values{"area": {"employees"}, "preview": {"0"}, "_csrf": {owner.csrf("/settings/hr")}}, map[string]string{"HX-Request": "true"})
		expectStatus(t, r, http.StatusOK)
		prog := r.testid("run-progress")
		if prog.Length() != 1 || strings.Contains(r.body, "<html") {
			t.Fatalf("sync-now fragment: %.300s", r.body)
		}
		poll, _ := prog.Attr("hx-get")
		runPath := strings.TrimSuffix(poll, "/progress")
		if runPath == "" {
			runPath = "/settings/hr/runs/1"
			if st, _ := prog.Attr("data-status"); st == "running" {
				t.Fatal("running progress without polling URL")
			}
		}
		done := waitRun(t, owner, runPath)
		if s, _ := done.testid("run-progress").Attr("data-status"); s != "succeeded" {
			t.Fatalf("first import: %s", done.testid("run-summary").Text())
		}
		if !strings.Contains(done.testid("run-summary").Text(), "230 employees") {
			t.Errorf("summary %q", done.testid("run-summary").Text())
		}
		// The first import emails the admin who started it (right after
		// the run is recorded as finished).
		waitFirstImportMail(t, a, "olga@acme.test")

		tab := owner.get("/settings/hr")
		if tab.testid("data-as-of").Text() == "—" || tab.find(`[data-testid="run-row"]`).Length() != 1 {
			t.Fatalf("HR tab after sync: data as of %q, %d runs", tab.testid("data-as-of").Text(), tab.find(`[data-testid="run-row"]`).Length())
		}

		// Two concurrent Sync Now requests start one run.
		var wg sync.WaitGroup
		tok := owner.csrf("/settings/hr")
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner.do(http.MethodPost, "/settings/hr/sync-now", url.Values{"area": {"all"}, "_csrf": {tok}}, nil)
			}()
		}
		wg.Wait()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if owner.get("/settings/hr").find(`[data-status="running"]`).Length() == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		runs := owner.get("/settings/hr").find(`[data-testid="run-row"]`)
		if runs.Length() != 2 {
			t.Fatalf("two concurrent Sync Now made %d runs in total (want 1 more)", runs.Length()-1)
		}
		if !strings.Contains(runs.First().Text(), "230") {
			t.Errorf("second run row: %q", runs.First().Text())
		}

		// API log: every call, filterable, never the secret.
		log := owner.get("/settings/hr/api-log")
		if n := log.find(`[data-testid="api-call-row"]`).Length(); n < 3 {
			t.Fatalf("API log has %d rows", n)
		}
		if strings.Contains(log.body, sandbox.FullClientSecret) || strings.Contains(log.body, "papi-") {
			t.Fatal("API log shows a secret or token")
		}
		if n := owner.get("/settings/hr/api-log?status=error").find(`[data-testid="api-call-row"]`).Length(); n != 0 {
			t.Errorf("error filter shows %d rows", n)
		}
		frag := owner.do(http.MethodGet, "/settings/hr/api-log?area=employees", nil, map[string]string{"HX-Request": "true"})
		if frag.testid("api-log-table").Length() != 1 || strings.Contains(frag.body, "<html") {
			t.Fatal("API log fragment")
		}

		// HR employees: search, filters, pagination.
		emps := owner.get("/settings/hr/employees")
		if n := emps.find(`[data-testid="hr-employee-row"]`).Length(); n != 50 || emps.testid("pager").Length() != 1 {
			t.Fatalf("HR employees first page: %d rows", n)
		}
		e1 := sb.Employees()[7]
		q := url.QueryEscape(e1.LastName)
		found := owner.get("/settings/hr/employees?q=" + q)
		if found.find(`[data-testid="hr-employee-row"][data-personio-id="`+itoa(int64(e1.ID))+`"]`).Length() != 1 {
			t.Fatalf("search %q did not find employee %d", e1.LastName, e1.ID)
		}
		team := e1.Team
		if team != "" {
			rows := owner.get("/settings/hr/employees?team=" + url.QueryEscape(team)).find(`[data-testid="hr-employee-row"]`)
			if rows.Length() == 0 || !strings.Contains(rows.First().Text(), team) {
				t.Fatalf("team filter %q: %d rows", team, rows.Length())
			}
		}
		// Linked / not linked.
		oid := a.userID("olga@acme.test")
		pid := int64(e1.ID)
		if err := st.UpdateUserFields(t.Context(), a.orgID(t), oid, map[string]any{"personio_id": pid}); err != nil {
			t.Fatal(err)
		}
		linked := owner.get("/settings/hr/employees?linked=yes")
		if rows := linked.find(`[data-testid="hr-employee-row"]`); rows.Length() != 1 || !strings.Contains(rows.Find(`[data-testid="linked-user"]`).Text(), "Olga Owner") {
			t.Fatalf("linked filter: %d rows", rows.Length())
		}
		if !strings.Contains(owner.get("/settings/hr/employees?linked=no").testid("pager").Text(), "229 results") {
			t.Fatal("not-linked filter should leave 229")
		}
		exp := owner.get("/settings/hr/employees/export?format=csv")
		if lines := strings.Count(exp.body, "\n"); lines != 231 {
			t.Fatalf("CSV export has %d lines, want header + 230", lines)
		}
	})
}
