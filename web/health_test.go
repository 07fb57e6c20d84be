package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/rosterhq/roster/internal/health"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
)

// saveHealthHTML writes a page for a screenshot (ROSTER_HTML_DIR=dir), with the
// assets pointing at the source tree.
func saveHealthHTML(t *testing.T, name string, r *resp) {
	t.Helper()
	dir := os.Getenv("ROSTER_HTML_DIR")
	if dir == "" {
		return
	}
	abs, _ := filepath.Abs("../static/")
	body := strings.ReplaceAll(r.body, `"/static/`, `"file://`+abs+`/`)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHealthProblemsOnHRTabHealthPageAndDashboard: a failing sync opens a
// problem shown on the HR tab, the health page and the dashboard count
// until a good run clears it; the health page lists every org chart
// problem (loop, deactivated manager, missing manager, several roots) with
// links to the profiles.
func TestHealthProblemsOnHRTabHealthPageAndDashboard(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		f := newChartFixture(t, a)
		sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 8, Seed: 1})
		connectSandbox(t, f.owner, sbURL)
		ctx := t.Context()
		syncOnce := func(wantOK bool) {
			t.Helper()
			r, _, _ := a.srv.Sync.Run(ctx, f.orgID, hrsync.Request{Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerManual})
			if r == nil || (r.Status == store.RunSucceeded) != wantOK {
				t.Fatalf("run %+v, want ok %v", r, wantOK)
			}
			if err := a.srv.Health.Check(ctx, f.orgID, time.Now()); err != nil {
				t.Fatal(err)
			}
		}

		// Healthy sync, broken org chart.
		syncOnce(true)
		r := f.owner.get("/settings/hr")
		expectStatus(t, r, http.StatusOK)
		if r.testid("health-problems").Length() != 0 {
			t.Fatal("problems box shown without a problem")
		}
		hp := f.owner.get("/settings/hr/health")
		expectStatus(t, hp, http.StatusOK)
		if hp.testid("health-sync-ok").Length() != 1 {
			t.Fatal("health page does not say the sync is fine")
		}
		issues := map[string]*goquery.Selection{}
		hp.testid("health-org-issue").Each(func(_ int, s *goquery.Selection) { issues[s.AttrOr("data-kind", "")] = s })
		for kind, who := range map[string][]string{
			"cycle":               {"cy1", "cy2"},
			"deactivated_manager": {"otto"},
			"missing_manager":     {"lea"},
			"several_roots":       {"olga", "solo"},
		} {
			row := issues[kind]
			if row == nil {
				t.Fatalf("no %s row (rows: %d)", kind, len(issues))
			}
			for _, k := range who {
				if row.Find(`a[data-testid="health-person"][href="/people/`+itoa(f.ids[k])+`"]`).Length() != 1 {
					t.Fatalf("%s row does not link %s's profile: %q", kind, k, row.Text())
				}
			}
		}
		if m := issues["deactivated_manager"].Find(`[data-testid="health-manager"]`); m.Text() != "Gone Gary" || m.AttrOr("href", "") != "/users/"+itoa(f.ids["gary"]) {
			t.Fatalf("deactivated manager link %q → %q", m.Text(), m.AttrOr("href", ""))
		}
		if strings.Contains(hp.body, "Other Owner") || strings.Contains(hp.body, "boss@globex") {
			t.Fatal("health page names another organisation's user")
		}
		d := f.owner.get("/")
		if l := d.testid("dash-health-problems"); !strings.Contains(l.Text(), "4 health problems") || l.Find(`a[href="/settings/hr/health"]`).Length() != 1 {
			t.Fatalf("dashboard health link %q", l.Text())
		}

		// Personio fails: a problem on the HR tab, the health page and the dashboard.
		if err := sb.SetFaults(sandbox.Faults{Rate5xx: 1}); err != nil {
			t.Fatal(err)
		}
		syncOnce(false)
		r = f.owner.get("/settings/hr")
		p := r.find(`[data-testid="health-problem"][data-kind="` + health.KindSyncFailed + `"]`)
		if p.Length() != 1 || !strings.Contains(p.Text(), "Personio sync failed") || !strings.Contains(p.Find(`[data-testid="health-problem-detail"]`).Text(), "server error") {
			t.Fatalf("HR tab problem %q", r.testid("health-problems").Text())
		}
		if !strings.Contains(p.Text(), "admins alerted") {
			t.Fatalf("HR tab does not say the admins were alerted: %q", p.Text())
		}
		saveHealthHTML(t, "hr-tab-problem.html", r)
		hp = f.owner.get("/settings/hr/health")
		if hp.testid("health-problem").Length() != 1 {
			t.Fatal("health page does not list the sync problem")
		}
		saveHealthHTML(t, "health-page.html", hp)
		d = f.owner.get("/")
		if l := d.testid("dash-health-problems"); !strings.Contains(l.Text(), "5 health problems") {
			t.Fatalf("dashboard health link %q", l.Text())
		}
		saveHealthHTML(t, "dashboard.html", d)
		alerts := 0
		for _, m := range a.mailbox.Messages() {
			if m.To == "olga@acme.test" && strings.Contains(m.Subject, "Personio sync failed") {
				alerts++
			}
		}
		if alerts != 1 {
			t.Fatalf("%d alert emails to the owner, want 1", alerts)
		}

		// A good run clears it.
		sb.ClearFaults()
		syncOnce(true)
		if f.owner.get("/settings/hr").testid("health-problems").Length() != 0 {
			t.Fatal("problem still shown after a good run")
		}
		if f.owner.get("/settings/hr/health").testid("health-sync-ok").Length() != 1 {
			t.Fatal("health page still lists a problem after a good run")
		}

		// Members have no health page; the other organisation sees nothing.
		if r := f.mel.get("/settings/hr/health"); r.status == http.StatusOK {
			t.Fatalf("member got the health page: %d", r.status)
		}
		if r := f.other.get("/settings/hr/health"); r.testid("health-org-issue").Length() != 0 || strings.Contains(r.body, "Cy One") {
			t.Fatal("another organisation sees this one's org chart problems")
		}
	})
}
