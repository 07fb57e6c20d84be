package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func TestDashboardCountsHealthAndUpcomingChanges(t *testing.T) {
	// A frozen clock shared by the sandbox, the sync, the lifecycle and the
	// web app: "today" is 2 March 2026 in Berlin.
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 120, Seed: 1, Now: clock})
	hireDate := "2026-03-12"
	first, last, team := "Jonas", "Joiner", "Platform"
	hire, err := sb.Hire(sandbox.EmployeeInput{FirstName: &first, LastName: &last, HireDate: &hireDate, Team: &team})
	if err != nil {
		t.Fatal(err)
	}
	today, until := "2026-03-02", "2026-04-01"
	var leaver sandbox.Employee
	for _, e := range sb.Employees() {
		if e.Status == "active" && e.LastWorkingDay == "" && e.ID != hire.ID {
			leaver = e
			break
		}
	}
	if _, err := sb.Terminate(leaver.ID, sandbox.Termination{LastWorkingDay: "2026-03-09"}); err != nil {
		t.Fatal(err)
	}
	// Expected from the sandbox's own data.
	var joiners, leavers []string
	for _, e := range sb.Employees() {
		name := e.FirstName + " " + e.LastName
		if e.PreferredName != "" {
			name = e.PreferredName
		}
		if e.HireDate >= today && e.HireDate <= until {
			joiners = append(joiners, name)
		}
		leave := e.LastWorkingDay
		if leave == "" {
			leave = e.TerminationDate
		}
		if leave >= today && leave <= until {
			leavers = append(leavers, name)
		}
	}
	slices.Sort(joiners)
	slices.Sort(leavers)

	names := func(r *resp, box, row string) []string {
		var out []string
		r.find(`[data-testid="` + box + `"] [data-testid="` + row + `"] [data-testid="upcoming-name"]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, strings.TrimSpace(s.Text()))
		})
		slices.Sort(out)
		return out
	}

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL, now: clock})
		owner := a.setupOrg("Acme", "olga@acme.test")
		orgID := a.orgID(t)

		// Before connecting: counts, and an invitation to connect.
		d := owner.get("/")
		expectStatus(t, d, http.StatusOK)
		if d.testid("stat-active").Find(".title").Text() != "1" || d.testid("connect-hr").Length() != 1 {
			t.Fatalf("dashboard before connecting: %.500s", d.testid("dashboard-stats").Text())
		}

		connectSandbox(t, owner, sbURL)
		a.invite(owner, "ivy@acme.test", "Ivy", "member")
		syncEmployees(t, owner)
		// Link the invited user to the joiner.
		if err := st.UpdateUserFields(t.Context(), orgID, a.userID("ivy@acme.test"), map[string]any{"personio_id": int64(hire.ID)}); err != nil {
			t.Fatal(err)
		}

		d = owner.get("/")
		expectStatus(t, d, http.StatusOK)
		for id, want := range map[string]string{"stat-active": "1", "stat-invited": "1", "stat-deactivated": "0", "stat-linked": "1", "stat-unlinked": "1"} {
			if got := strings.TrimSpace(d.testid(id).Find(".title").Text()); got != want {
				t.Errorf("%s = %q, want %q", id, got, want)
			}
		}
		if d.testid("hr-connection").Text() != "Personio connected" {
			t.Errorf("connection %q", d.testid("hr-connection").Text())
		}
		if got := d.testid("dash-data-as-of").Text(); !strings.Contains(got, "2 Mar 2026, 10:30") {
			t.Errorf("data as of %q", got)
		}
		if !strings.Contains(d.testid("dash-last-run").Text(), "succeeded") || d.testid("dash-failures").Text() != "none" {
			t.Errorf("last run %q, failures %q", d.testid("dash-last-run").Text(), d.testid("dash-failures").Text())
		}
		runs := d.find(`[data-testid="dash-run"] a`)
		if href, _ := runs.First().Attr("href"); runs.Length() != 1 || !strings.HasPrefix(href, "/settings/hr/runs/") {
			t.Errorf("recent runs: %d, %q", runs.Length(), href)
		}

		gotJ, gotL := names(d, "upcoming-joiners", "joiner"), names(d, "upcoming-leavers", "leaver")
		if !slices.Equal(gotJ, joiners) || !slices.Contains(gotJ, "Jonas Joiner") {
			t.Errorf("joiners %q, want %q", gotJ, joiners)
		}
		if !slices.Equal(gotL, leavers) || len(leavers) == 0 {
			t.Errorf("leavers %q, want %q", gotL, leavers)
		}
		jonas := d.find(`[data-testid="joiner"]:contains("Jonas Joiner")`)
		if !strings.Contains(jonas.Text(), "12 Mar 2026") || !strings.Contains(jonas.Text(), "in 10 days") || !strings.Contains(jonas.Text(), "invited") {
			t.Errorf("joiner row %q", jonas.Text())
		}
		if href, _ := jonas.Find("a").Attr("href"); href != "/users/"+itoa(a.userID("ivy@acme.test")) {
			t.Errorf("joiner link %q", href)
		}
		if d.testid("movers-note").Length() != 1 {
			t.Error("no word on movers")
		}

		// A failed run shows as the last run, with its reason, and counts.
		fin := now.Add(time.Minute)
		failed := &store.SyncRun{OrgID: orgID, Area: store.AreaEmployees, Mode: store.ModePartial, Trigger: store.TriggerSchedule,
			Status: store.RunFailed, StartedAt: fin, FinishedAt: &fin, HeartbeatAt: fin, Error: "Personio rejected the credentials."}
		if err := st.DB().Create(failed).Error; err != nil {
			t.Fatal(err)
		}
		d = owner.get("/")
		if !strings.Contains(d.testid("dash-failures").Text(), "1 failed") || !strings.Contains(d.testid("dash-last-error").Text(), "rejected the credentials") {
			t.Errorf("after a failure: %q / %q", d.testid("dash-failures").Text(), d.testid("dash-last-error").Text())
		}
		if got := d.testid("dash-data-as-of").Text(); !strings.Contains(got, "2 Mar 2026, 10:30") {
			t.Errorf("a failed run changed data as of: %q", got)
		}

		// A member sees their teams, none of the admin panels.
		link := a.invite(owner, "mia@acme.test", "Mia", "member")
		mia := a.acceptAs(link, "Mia")
		m := mia.get("/")
		expectStatus(t, m, http.StatusOK)
		if m.testid("member-dashboard").Length() != 1 || m.testid("hr-health").Length() != 0 || m.testid("upcoming-joiners").Length() != 0 {
			t.Error("member dashboard shows admin panels")
		}
	})
}

// TestDashboardWaitingRequestsAndWeek: a member sees their pending
// absence request and their time this week; their team's manager and the
// admins see what waits for their decision.
func TestDashboardWaitingRequestsAndWeek(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		f := newAbsenceFixture(t, a)
		home := f.member.get("/")
		if home.testid("my-request").Length() != 0 || home.testid("my-week-total").Length() != 0 || home.testid("dashboard-waiting").Length() != 0 {
			t.Fatalf("member dashboard before anything: %.600s", home.testid("my-requests").Text())
		}
		start := time.Now().AddDate(0, 0, 20).Format(time.DateOnly)
		expectStatus(t, f.request(t, start, start), http.StatusSeeOther)
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		today := time.Now().In(berlin).Format(time.DateOnly)
		expectStatus(t, f.member.post("/time", "/time/entries", url.Values{"day": {today}, "start": {"00:10"}, "end": {"01:40"}}), http.StatusSeeOther)

		home = f.member.get("/")
		if home.testid("my-request").Length() != 1 || !strings.Contains(home.testid("my-request").Text(), "Vacation") {
			t.Fatalf("member's pending request: %q", home.testid("my-requests").Text())
		}
		if got := home.testid("my-week-total").Text(); got != "1:30 h" {
			t.Fatalf("member's week: %q", got)
		}
		for who, c := range map[string]*client{"manager": f.mgr, "owner": f.owner} {
			d := c.get("/")
			if n := strings.TrimSpace(d.testid("waiting-requests").Find(".title").Text()); n != "1" {
				t.Errorf("%s: %q requests waiting (%.300s)", who, n, d.testid("dashboard-waiting").Text())
			}
		}
		// A manager of another team is not waited for.
		if d := f.otherMgr.get("/"); strings.TrimSpace(d.testid("waiting-requests").Find(".title").Text()) == "1" {
			t.Error("another team's manager sees the request as waiting for them")
		}
		id := a.firstAbsenceID(t, f.orgID)
		expectStatus(t, f.mgr.post("/approvals", "/approvals/"+itoa(id)+"/approve", url.Values{}), http.StatusSeeOther)
		// Decided: the request no longer waits; the member's time entry
		// still waits for their manager's confirmation.
		d := f.mgr.get("/")
		if r, tm := strings.TrimSpace(d.testid("waiting-requests").Find(".title").Text()), strings.TrimSpace(d.testid("waiting-time").Find(".title").Text()); r != "0" || tm != "1" {
			t.Fatalf("manager after approving: %s requests, %s time entries waiting", r, tm)
		}
		if f.member.get("/").testid("my-request").Length() != 0 {
			t.Fatal("the approved request is still in the member's pending list")
		}
	})
}

func (a *app) firstAbsenceID(t *testing.T, orgID int64) int64 {
	t.Helper()
	var id int64
	if err := a.store.DB().Model(&store.Absence{}).Where("org_id = ?", orgID).Order("id").Limit(1).Pluck("id", &id).Error; err != nil || id == 0 {
		t.Fatalf("absence id: %v", err)
	}
	return id
}

// TestDashboardClosesAbandonedRun: a run whose process died (its lease
// expired long ago) shows as failed on the dashboard, not as running.
func TestDashboardClosesAbandonedRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		_, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 3, Seed: 1})
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		connectSandbox(t, owner, sbURL)
		orgID := a.orgID(t)
		long := time.Now().Add(-time.Hour)
		run := &store.SyncRun{OrgID: orgID, Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerSchedule, Phase: "fetching"}
		if _, started, err := st.BeginSyncRun(t.Context(), run, store.AreaEmployees, "a-process-that-died", long, long.Add(time.Minute)); err != nil || !started {
			t.Fatalf("begin: %v %v", started, err)
		}
		d := owner.get("/")
		if got := d.testid("dash-last-run").Text(); !strings.Contains(got, "failed") || strings.Contains(got, "running") {
			t.Fatalf("last run of a dead process: %q", got)
		}
	})
}
