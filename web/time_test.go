package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func init() {
	everyone := []string{"member", "manager"}
	for _, r := range []string{"GET /time", "POST /time/entries", "POST /time/timer/start", "POST /time/timer/stop",
		"GET /time/entries/:id/edit", "POST /time/entries/:id", "POST /time/entries/:id/delete"} {
		routeRoles[r] = everyone
	}
	for _, r := range []string{"GET /time/review", "POST /time/entries/:id/confirm", "POST /time/entries/:id/reject"} {
		routeRoles[r] = []string{"manager"}
	}
}

// entryIDs returns the ids of the entries listed on /time (this week or
// the week given).
func entryIDs(t *testing.T, c *client, week string) []string {
	t.Helper()
	r := c.get("/time?week=" + week)
	expectStatus(t, r, http.StatusOK)
	var ids []string
	r.find(`[data-testid="time-entry"]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-id")
		ids = append(ids, id)
	})
	return ids
}

// timeOrg is an organisation with a member who reports to a manager.
type timeOrg struct {
	owner, member, manager *client
	memberID, managerID    int64
}

func newTimeOrg(t *testing.T, a *app) timeOrg {
	t.Helper()
	var o timeOrg
	o.owner = a.setupOrg("Acme", "olga@acme.test")
	o.manager = a.acceptAs(a.invite(o.owner, "mia@acme.test", "Mia Manager", "manager"), "Mia Manager")
	o.member = a.acceptAs(a.invite(o.owner, "ada@acme.test", "Ada Member", "member"), "Ada Member")
	o.memberID, o.managerID = a.userID("ada@acme.test"), a.userID("mia@acme.test")
	org, err := a.store.OrganizationBySlug(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.SetUsersManager(t.Context(), org.ID, []int64{o.memberID}, &o.managerID, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestTimeTrackingEntriesTimerAndReview(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		o := newTimeOrg(t, a)
		m := o.member
		page := m.get("/time")
		expectStatus(t, page, http.StatusOK)
		if page.testid("timer-start").Length() != 1 || page.testid("time-form").Length() != 1 || page.testid("push-off").Length() != 1 {
			t.Fatalf("/time: %.500s", page.body)
		}

		// Validation: clear field errors, 422, the form keeps the input.
		r := m.post("/time", "/time/entries", url.Values{"day": {"2026-13-01"}, "start": {"9"}, "end": {""}, "break": {"-5"}, "comment": {"keep me"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		for _, f := range []string{"day", "start", "end", "break"} {
			if r.testid("error-"+f).Length() != 1 {
				t.Errorf("no error for %s", f)
			}
		}
		if v, _ := r.find(`[data-testid="time-form"] input[name="comment"]`).Attr("value"); v != "keep me" {
			t.Errorf("comment not kept: %q", v)
		}
		r = m.post("/time", "/time/entries", url.Values{"day": {"2026-11-23"}, "start": {"09:00"}, "end": {"10:00"}, "break": {"60"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("error-break").Text(), "shorter") {
			t.Errorf("break error: %q", r.testid("error-break").Text())
		}

		// Add an entry: it shows in its week with its totals.
		r = m.post("/time", "/time/entries", url.Values{"day": {"2026-11-23"}, "start": {"09:00"}, "end": {"17:30"}, "break": {"30"}, "comment": {"Roadmap"}, "project": {"Atlas"}})
		expectStatus(t, r, http.StatusSeeOther)
		week := m.get("/time?week=2026-11-23")
		if week.find(`[data-testid="time-entry"]`).Length() != 1 || week.testid("week-total").Text() != "8:00 h" {
			t.Fatalf("week: %d entries, total %q", week.find(`[data-testid="time-entry"]`).Length(), week.testid("week-total").Text())
		}
		if s := week.testid("entry-status").First().Text(); s != "completed" {
			t.Fatalf("status %q", s)
		}
		ids := entryIDs(t, m, "2026-11-23")

		// Timer: start, a second start is refused, stop.
		expectStatus(t, m.post("/time", "/time/timer/start", url.Values{"comment": {"Standup"}}), http.StatusSeeOther)
		if m.get("/time").testid("timer-running").Length() != 1 {
			t.Fatal("timer not running")
		}
		running := len(entryIDs(t, m, ""))
		expectStatus(t, m.post("/time", "/time/timer/start", nil), http.StatusSeeOther)
		if n := len(entryIDs(t, m, "")); n != running {
			t.Fatalf("a second timer started: %d entries this week, was %d", n, running)
		}
		expectStatus(t, m.post("/time", "/time/timer/stop", nil), http.StatusSeeOther)
		if p := m.get("/time"); p.testid("timer-start").Length() != 1 || p.testid("timer-running").Length() != 0 {
			t.Fatal("timer still running after stop")
		}

		// Another user cannot see or change the entry.
		other := o.manager
		expectStatus(t, other.get("/time/entries/"+ids[0]+"/edit"), http.StatusNotFound)
		expectStatus(t, other.post("/time", "/time/entries/"+ids[0]+"/delete", nil), http.StatusNotFound)

		// Edit.
		edit := m.get("/time/entries/" + ids[0] + "/edit")
		expectStatus(t, edit, http.StatusOK)
		if v, _ := edit.find(`input[name="end"]`).Attr("value"); v != "17:30" {
			t.Fatalf("edit form end %q", v)
		}
		r = m.post("/time/entries/"+ids[0]+"/edit", "/time/entries/"+ids[0], url.Values{"day": {"2026-11-23"}, "start": {"08:00"}, "end": {"07:00"}, "break": {"0"}})
		expectStatus(t, r, http.StatusSeeOther) // past midnight: ends the next morning
		r = m.post("/time/entries/"+ids[0]+"/edit", "/time/entries/"+ids[0], url.Values{"day": {"2026-11-23"}, "start": {"08:00"}, "end": {"16:00"}, "break": {"45"}, "comment": {"Roadmap v2"}})
		expectStatus(t, r, http.StatusSeeOther)
		if tot := m.get("/time?week=2026-11-23").testid("week-total").Text(); tot != "7:15 h" {
			t.Fatalf("total after edit %q", tot)
		}

		// Review: the member cannot, the manager confirms, an admin sees it.
		expectStatus(t, m.get("/time/review"), http.StatusForbidden)
		rev := o.manager.get("/time/review")
		expectStatus(t, rev, http.StatusOK)
		if rev.find(`[data-testid="review-row"]`).Length() != 2 {
			t.Fatalf("review rows: %d", rev.find(`[data-testid="review-row"]`).Length())
		}
		expectStatus(t, o.manager.post("/time/review", "/time/entries/"+ids[0]+"/confirm", nil), http.StatusSeeOther)
		if rev := o.manager.get("/time/review"); rev.find(`[data-testid="review-row"]`).Length() != 1 {
			t.Fatal("confirmed entry still waiting")
		}
		if s := m.get("/time?week=2026-11-23").testid("entry-status").First().Text(); s != "confirmed" {
			t.Fatalf("status after confirm %q", s)
		}
		// Deciding twice is a clear message, not an error page.
		r = o.manager.post("/time/review", "/time/entries/"+ids[0]+"/reject", nil)
		expectStatus(t, r, http.StatusSeeOther)
		if !strings.Contains(o.manager.get("/time/review").body, "already decided") {
			t.Error("no message for a decided entry")
		}
		audit := o.owner.get("/audit")
		if !strings.Contains(audit.body, "time.confirmed") {
			t.Error("confirmation not audited")
		}

		// Delete (never pushed: removed at once).
		expectStatus(t, m.post("/time", "/time/entries/"+ids[0]+"/delete", nil), http.StatusSeeOther)
		after := entryIDs(t, m, "2026-11-23")
		for _, id := range after {
			if id == ids[0] {
				t.Fatalf("entry %s still listed after delete", id)
			}
		}
	})
}

// linkAndPush links the member to a sandbox employee and turns pushing on.
func linkAndPush(t *testing.T, a *app, sb *sandbox.Server, memberID int64, onlyConfirmed bool) int64 {
	t.Helper()
	ctx := t.Context()
	org, err := a.store.OrganizationBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	pid := int64(sb.Employees()[0].ID)
	if err := a.store.UpdateUsersFields(ctx, org.ID, []int64{memberID}, map[string]any{"personio_id": pid}); err != nil {
		t.Fatal(err)
	}
	set, err := a.store.SyncSettings(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	set.TimePush, set.TimeOnlyConfirmed = true, onlyConfirmed
	if err := a.store.SaveSyncSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	return org.ID
}

func periodsWith(sb *sandbox.Server, comment string) []sandbox.AttendancePeriod {
	var out []sandbox.AttendancePeriod
	for _, p := range sb.AttendancePeriods() {
		if strings.HasPrefix(p.Comment, comment) {
			out = append(out, p)
		}
	}
	return out
}

func TestTimePushSyncNowAndOutboxLog(t *testing.T) {
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 5, Seed: 21})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		sb.ClearFaults()
		var mu sync.Mutex
		now := time.Now().UTC()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		a := newApp(t, st, appOpts{sandboxURL: sbURL, now: clock})
		o := newTimeOrg(t, a)
		connectSandbox(t, o.owner, sbURL)
		orgID := linkAndPush(t, a, sb, o.memberID, true)
		tag := "web-" + string(st.Dialect())
		// Each dialect uses its own days: the sandbox is shared.
		back := 3
		if st.Dialect() == store.Postgres {
			back = 13
		}
		day := clock().AddDate(-1, 0, -back).Format("2006-01-02")
		r := o.member.post("/time", "/time/entries", url.Values{"day": {day}, "start": {"09:00"}, "end": {"17:00"}, "comment": {tag + " confirmed"}})
		expectStatus(t, r, http.StatusSeeOther)
		ids := entryIDs(t, o.member, day)
		expectStatus(t, o.manager.post("/time/review", "/time/entries/"+ids[0]+"/confirm", nil), http.StatusSeeOther)

		// Sync Now › Time tracking pushes it, recorded as a run.
		r = o.owner.do(http.MethodPost, "/settings/hr/sync-now", url.Values{"area": {"timetracking"}, "_csrf": {o.owner.csrf("/settings/hr")}}, map[string]string{"HX-Request": "true"})
		expectStatus(t, r, http.StatusOK)
		poll, _ := r.testid("run-progress").Attr("hx-get")
		runPath := strings.TrimSuffix(poll, "/progress")
		if runPath == "" {
			t.Fatalf("no run: %.300s", r.body)
		}
		done := waitRun(t, o.owner, runPath)
		if s, _ := done.testid("run-progress").Attr("data-status"); s != "succeeded" || !strings.Contains(done.testid("run-summary").Text(), "1 pushed") {
			t.Fatalf("time tracking run: %s %q", s, done.testid("run-summary").Text())
		}
		ps := periodsWith(sb, tag+" confirmed")
		if len(ps) != 1 || ps[0].Status != "CONFIRMED" {
			t.Fatalf("sandbox periods: %+v", ps)
		}
		if m := o.member.get("/time?week=" + day); m.testid("entry-push").Text() != "pushed" {
			t.Fatalf("push state on /time: %q", m.testid("entry-push").Text())
		}
		log := o.owner.get("/settings/hr/api-log?tab=outbox")
		expectStatus(t, log, http.StatusOK)
		row := log.find(`[data-testid="outbox-row"]`)
		if row.Length() != 1 || row.Find(`[data-testid="outbox-personio-id"]`).Text() != ps[0].ID || row.Find(`[data-testid="outbox-state"]`).Text() != "pushed" {
			t.Fatalf("outbox section: %.800s", log.testid("outbox-table").Text())
		}
		if !strings.Contains(row.Find(`[data-testid="outbox-record"]`).Text(), "Ada Member") {
			t.Errorf("record label %q", row.Find(`[data-testid="outbox-record"]`).Text())
		}
		calls := o.owner.get("/settings/hr/api-log?area=timetracking")
		if calls.find(`[data-testid="api-call-row"]`).Length() == 0 {
			t.Error("the push's calls are not in the API log")
		}

		// Personio down for 8 days: the next entry fails and is shown first.
		if err := sb.SetFaults(sandbox.Faults{Rate5xx: 1, Paths: []string{"/v2/attendance-periods"}}); err != nil {
			t.Fatal(err)
		}
		day2 := clock().AddDate(-1, 0, -back-1).Format("2006-01-02")
		expectStatus(t, o.member.post("/time", "/time/entries", url.Values{"day": {day2}, "start": {"09:00"}, "end": {"12:00"}, "comment": {tag + " lost"}}), http.StatusSeeOther)
		ids2 := entryIDs(t, o.member, day2)
		expectStatus(t, o.manager.post("/time/review", "/time/entries/"+ids2[0]+"/confirm", nil), http.StatusSeeOther)
		for _, wait := range []time.Duration{0, 3 * 24 * time.Hour, 5 * 24 * time.Hour} {
			advance(wait)
			if _, err := a.outbox.PushDue(context.Background(), orgID); err != nil {
				t.Fatal(err)
			}
		}
		sb.ClearFaults()
		log = o.owner.get("/settings/hr/api-log?tab=outbox")
		first := log.find(`[data-testid="outbox-row"]`).First()
		if st, _ := first.Attr("data-state"); st != "failed" || first.Find(`[data-testid="outbox-error"]`).Text() == "" {
			t.Fatalf("failed push not shown first: %s", log.testid("outbox-table").Text())
		}
		if dir := os.Getenv("ROSTER_HTML_DIR"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, "outbox-failed-"+string(st.Dialect())+".html"), []byte(log.body), 0o600)
		}
		if c := log.testid("outbox-failed-count").Text(); c != "1 failed" {
			t.Fatalf("failed count %q", c)
		}
		filtered := o.owner.do(http.MethodGet, "/settings/hr/api-log?tab=outbox&state=pushed", nil, map[string]string{"HX-Request": "true"})
		if filtered.find(`[data-testid="outbox-row"]`).Length() != 1 || strings.Contains(filtered.body, "<html") {
			t.Fatalf("filtered fragment: %.300s", filtered.body)
		}
		if len(periodsWith(sb, tag+" lost")) != 0 {
			t.Fatal("failed entry reached the sandbox")
		}
		bell := o.owner.get("/notifications")
		if !strings.Contains(bell.body, "could not be pushed") {
			t.Error("admins were not told about the failed push")
		}

		// Every employee sync pushes what is due too.
		day3 := clock().AddDate(-1, 0, -back-2).Format("2006-01-02")
		expectStatus(t, o.member.post("/time", "/time/entries", url.Values{"day": {day3}, "start": {"13:00"}, "end": {"15:00"}, "comment": {tag + " with sync"}}), http.StatusSeeOther)
		ids3 := entryIDs(t, o.member, day3)
		expectStatus(t, o.manager.post("/time/review", "/time/entries/"+ids3[0]+"/confirm", nil), http.StatusSeeOther)
		r = o.owner.do(http.MethodPost, "/settings/hr/sync-now", url.Values{"area": {"employees"}, "preview": {"0"}, "_csrf": {o.owner.csrf("/settings/hr")}}, map[string]string{"HX-Request": "true"})
		expectStatus(t, r, http.StatusOK)
		poll, _ = r.testid("run-progress").Attr("hx-get")
		done = waitRun(t, o.owner, strings.TrimSuffix(poll, "/progress"))
		if s, _ := done.testid("run-progress").Attr("data-status"); s != "succeeded" {
			t.Fatalf("employee sync: %q", done.testid("run-summary").Text())
		}
		if ps := periodsWith(sb, tag+" with sync"); len(ps) != 1 {
			t.Fatalf("not pushed by the employee sync: %+v", ps)
		}
	})
}
