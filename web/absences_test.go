package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func init() {
	for _, r := range []string{"GET /absences", "POST /absences", "GET /absences/:id/edit", "POST /absences/:id",
		"POST /absences/:id/cancel", "POST /absences/:id/approver"} {
		routeRoles[r] = []string{"member", "manager"}
	}
	// Managers (and members with manager rights, checked in the use case).
	for _, r := range []string{"GET /absences/calendar", "GET /approvals", "POST /approvals/:id/approve",
		"POST /approvals/:id/reject", "POST /approvals/:id/confirm"} {
		routeRoles[r] = []string{"manager"}
	}
}

// absenceFixture is an organisation with a team (Alpha, managed by Mgr), a
// member of it, another manager and a category.
type absenceFixture struct {
	owner, member, mgr, otherMgr *client
	orgID, memberID, mgrID       int64
	otherID, teamID              int64
	vacationID                   int64
}

func newAbsenceFixture(t *testing.T, a *app) absenceFixture {
	t.Helper()
	var f absenceFixture
	f.owner = a.setupOrg("Acme", "olga@acme.test")
	f.orgID = a.orgID(t)
	f.teamID = mustInt(createTeam(t, f.owner, "Alpha"))
	f.mgr = a.acceptAs(a.invite(f.owner, "mgr@acme.test", "Mona Manager", "manager"), "Mona Manager")
	f.otherMgr = a.acceptAs(a.invite(f.owner, "other@acme.test", "Oskar Other", "manager"), "Oskar Other")
	f.member = a.acceptAs(a.invite(f.owner, "mia@acme.test", "Mia Member", "member", itoa(f.teamID)), "Mia Member")
	f.memberID, f.mgrID, f.otherID = a.userID("mia@acme.test"), a.userID("mgr@acme.test"), a.userID("other@acme.test")
	r := f.owner.post("/teams/"+itoa(f.teamID), "/teams/"+itoa(f.teamID), url.Values{"name": {"Alpha"}, "manager_id": {itoa(f.mgrID)}})
	expectStatus(t, r, http.StatusSeeOther)
	r = f.owner.post("/settings/absence-categories", "/settings/absence-categories", url.Values{"name": {"Vacation"}, "half_days": {"on"}})
	expectStatus(t, r, http.StatusSeeOther)
	cats, err := a.store.AbsenceCategories(t.Context(), f.orgID)
	if err != nil || len(cats) != 1 {
		t.Fatalf("categories: %v %d", err, len(cats))
	}
	f.vacationID = cats[0].ID
	return f
}

func (f absenceFixture) request(t *testing.T, start, end string) *resp {
	t.Helper()
	return f.member.post("/absences", "/absences", url.Values{"start_date": {start}, "end_date": {end}, "category_id": {itoa(f.vacationID)}, "comment": {"Trip"}})
}

func TestAbsenceRequestApproveCancel(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		f := newAbsenceFixture(t, a)
		ctx := context.Background()

		page := f.member.get("/absences")
		expectStatus(t, page, http.StatusOK)
		if page.testid("absence-form").Length() != 1 || page.find(`select[name="category_id"] option`).Length() != 2 {
			t.Fatalf("form missing: %.300s", page.body)
		}
		// Invalid: end before start, half days on a category that allows them is fine.
		r := f.member.post("/absences", "/absences", url.Values{"start_date": {"2031-05-10"}, "end_date": {"2031-05-08"}, "category_id": {itoa(f.vacationID)}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("error-end_date").Text(), "on or after") {
			t.Fatalf("no end date error: %.500s", r.body)
		}
		if v, _ := r.find(`input[name="start_date"]`).Attr("value"); v != "2031-05-10" {
			t.Fatalf("form not refilled: %q", v)
		}
		// htmx gets the same 422 page.
		r = f.member.do(http.MethodPost, "/absences", url.Values{"_csrf": {f.member.csrf("/absences")}, "start_date": {"x"}}, map[string]string{"HX-Request": "true"})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if r.testid("error-start_date").Length() != 1 || r.testid("error-category_id").Length() != 1 {
			t.Fatalf("htmx errors missing: %.400s", r.body)
		}

		expectStatus(t, f.request(t, "2031-05-05", "2031-05-09"), http.StatusSeeOther)
		// Overlap with the own request.
		r = f.request(t, "2031-05-09", "2031-05-12")
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("error-start_date").Text(), "Overlaps") {
			t.Fatalf("no overlap error: %.300s", r.testid("error-start_date").Text())
		}
		page = f.member.get("/absences")
		row := page.testid("absence-row")
		if row.Length() != 1 || row.AttrOr("data-status", "") != "pending" || !strings.Contains(row.Text(), "Mona Manager") {
			t.Fatalf("list: %.600s", page.testid("absence-list").Text())
		}
		abs, _ := a.store.UserAbsences(ctx, f.orgID, f.memberID)
		id := abs[0].ID
		if ptr(abs[0].ApproverID) != f.mgrID {
			t.Fatalf("approver %d, want the team manager %d", ptr(abs[0].ApproverID), f.mgrID)
		}

		// Edit the pending request.
		e := f.member.get("/absences/" + itoa(id) + "/edit")
		expectStatus(t, e, http.StatusOK)
		r = f.member.post("/absences", "/absences/"+itoa(id), url.Values{"start_date": {"2031-05-05"}, "end_date": {"2031-05-07"}, "half_day_end": {"on"}, "category_id": {itoa(f.vacationID)}})
		expectStatus(t, r, http.StatusSeeOther)
		// Another member's id is not found.
		expectStatus(t, f.otherMgr.get("/absences/"+itoa(id)+"/edit"), http.StatusNotFound)

		// Approvals: the team manager sees it, the other manager and the member may not decide.
		ap := f.mgr.get("/approvals")
		expectStatus(t, ap, http.StatusOK)
		if ap.testid("approval-row").Length() != 1 || ap.testid("approval-row").AttrOr("data-person", "") != "Mia Member" {
			t.Fatalf("approvals: %.600s", ap.testid("approval-requests").Text())
		}
		if n := f.otherMgr.get("/approvals").testid("approval-row").Length(); n != 0 {
			t.Fatalf("other manager sees %d requests", n)
		}
		expectStatus(t, f.otherMgr.post("/approvals", "/approvals/"+itoa(id)+"/approve", nil), http.StatusForbidden)
		expectStatus(t, f.member.post("/absences", "/approvals/"+itoa(id)+"/approve", nil), http.StatusForbidden)
		expectStatus(t, f.member.get("/approvals"), http.StatusForbidden)
		r = f.mgr.post("/approvals", "/approvals/"+itoa(id)+"/approve", url.Values{"note": {"Have fun"}})
		expectStatus(t, r, http.StatusSeeOther)
		page = f.member.get("/absences")
		row = page.testid("absence-row")
		if row.AttrOr("data-status", "") != "approved" || !strings.Contains(row.Find(`[data-testid="decision-note"]`).Text(), "Have fun") {
			t.Fatalf("after approval: %.600s", row.Text())
		}
		if !strings.Contains(page.testid("balances").Text(), "Personio's own remaining balance is not available") {
			t.Fatal("balance note missing")
		}
		ns, _, _ := a.store.Notifications(ctx, f.orgID, f.memberID, false, 10, 0)
		if len(ns) != 1 || !strings.Contains(ns[0].Title, "approved") {
			t.Fatalf("notifications %+v", ns)
		}
		audit, _, _ := a.store.ListAudit(ctx, f.orgID, store.AuditFilter{Action: "absence.approved"})
		if len(audit) != 1 || audit[0].Details != "Have fun" {
			t.Fatalf("audit %+v", audit)
		}
		// Deciding again is refused with a message.
		r = f.mgr.post("/approvals", "/approvals/"+itoa(id)+"/reject", nil)
		expectStatus(t, r, http.StatusSeeOther)
		if fl := f.mgr.get("/approvals").testid("flash").Text(); !strings.Contains(fl, "nothing to decide") {
			t.Fatalf("flash %q", fl)
		}

		// Calendar of May 2031 for the manager; a member is refused.
		cal := f.mgr.get("/absences/calendar?month=2031-05")
		expectStatus(t, cal, http.StatusOK)
		if got := cal.testid("cal-month").Text(); got != "May 2031" {
			t.Fatalf("month %q", got)
		}
		mia := cal.find(`[data-testid="cal-person"][data-name="Mia Member"]`)
		if mia.Length() != 1 || mia.Find(`td[data-kind="approved"]`).Length() != 3 || mia.Find("td.is-half").Length() != 1 {
			t.Fatalf("calendar row: %d approved cells", mia.Find(`td[data-kind="approved"]`).Length())
		}
		if cal.find("th.cal-day.is-weekend").Length() != 9 { // May 2031: 5 Saturdays, 4 Sundays
			t.Fatalf("weekends %d", cal.find("th.cal-day.is-weekend").Length())
		}
		if href, _ := cal.testid("cal-next").Attr("href"); href != "/absences/calendar?month=2031-06" {
			t.Fatalf("next %q", href)
		}
		expectStatus(t, f.member.get("/absences/calendar"), http.StatusForbidden)

		// Cancel.
		r = f.member.post("/absences", "/absences/"+itoa(id)+"/cancel", nil)
		expectStatus(t, r, http.StatusSeeOther)
		if st := f.member.get("/absences").testid("absence-row").AttrOr("data-status", ""); st != "cancelled" {
			t.Fatalf("status after cancel %q", st)
		}
	})
}

func TestAbsenceApproverAwayDesignate(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		f := newAbsenceFixture(t, a)
		ctx := context.Background()
		berlin, _ := time.LoadLocation("Europe/Berlin")
		today := time.Now().In(berlin)
		now := time.Now().UTC()
		// The team manager is on approved leave today.
		if err := a.store.CreateAbsence(ctx, &store.Absence{OrgID: f.orgID, UserID: f.mgrID, CategoryID: &f.vacationID,
			StartDate: today.AddDate(0, 0, -1).Format("2006-01-02"), EndDate: today.AddDate(0, 0, 1).Format("2006-01-02"),
			Status: store.AbsenceApproved, Source: store.SourceRoster, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		expectStatus(t, f.request(t, "2031-06-02", "2031-06-03"), http.StatusSeeOther)
		page := f.member.get("/absences")
		saveShots(t, map[string]*resp{"absences-approver-away": page})
		if page.testid("approver-away").Length() != 1 {
			t.Fatalf("no approver-away notice: %.600s", page.testid("absence-list").Text())
		}
		opts := page.find(`[data-testid="designate-select"] option`)
		if !strings.Contains(opts.Text(), "Oskar Other") || strings.Contains(opts.Text(), "Mona Manager") || strings.Contains(opts.Text(), "Mia Member") {
			t.Fatalf("eligible approvers: %q", opts.Text())
		}
		// Requester and admins were told (in-app and email).
		for _, uid := range []int64{f.memberID, a.userID("olga@acme.test")} {
			ns, _, _ := a.store.Notifications(ctx, f.orgID, uid, false, 10, 0)
			found := false
			for _, n := range ns {
				found = found || n.Kind == "out_of_office"
			}
			if !found {
				t.Fatalf("user %d got no out-of-office note: %+v", uid, ns)
			}
		}
		mails := 0
		for _, m := range a.mailbox.Messages() {
			if strings.Contains(m.Subject, "away today") {
				mails++
			}
		}
		if mails != 2 {
			t.Fatalf("%d out-of-office mails, want 2", mails)
		}
		abs, _ := a.store.UserAbsences(ctx, f.orgID, f.memberID)
		id := abs[0].ID
		// The away manager is not eligible.
		r := f.member.post("/absences", "/absences/"+itoa(id)+"/approver", url.Values{"approver_id": {itoa(f.mgrID)}})
		expectStatus(t, r, http.StatusSeeOther)
		if got, _ := a.store.Absence(ctx, f.orgID, id); ptr(got.ApproverID) != f.mgrID {
			t.Fatal("reassigned to an absent approver")
		}
		// Another user may not move it.
		expectStatus(t, f.otherMgr.post("/absences", "/absences/"+itoa(id)+"/approver", url.Values{"approver_id": {itoa(f.otherID)}}), http.StatusNotFound)
		r = f.member.post("/absences", "/absences/"+itoa(id)+"/approver", url.Values{"approver_id": {itoa(f.otherID)}})
		expectStatus(t, r, http.StatusSeeOther)
		if got, _ := a.store.Absence(ctx, f.orgID, id); ptr(got.ApproverID) != f.otherID {
			t.Fatalf("approver %d, want %d", ptr(got.ApproverID), f.otherID)
		}
		if f.otherMgr.get("/approvals").testid("approval-row").Length() != 1 {
			t.Fatal("designated approver does not see the request")
		}
		expectStatus(t, f.otherMgr.post("/approvals", "/approvals/"+itoa(id)+"/approve", nil), http.StatusSeeOther)
		audit, _, _ := a.store.ListAudit(ctx, f.orgID, store.AuditFilter{Action: "absence.approver_reassigned"})
		if len(audit) != 1 {
			t.Fatalf("audit %+v", audit)
		}
	})
}

func TestAbsenceCategoriesMatchingPage(t *testing.T) {
	_, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 5, Seed: 3})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		// Not connected: a clear message, CRUD still works.
		r := owner.post("/settings/absence-categories", "/settings/absence-categories", url.Values{"name": {" paid vacation "}})
		expectStatus(t, r, http.StatusSeeOther)
		p := owner.get("/settings/absence-categories")
		expectStatus(t, p, http.StatusOK)
		if !strings.Contains(p.testid("not-connected").Text(), "not connected") || p.testid("unmatched-category").Length() != 1 {
			t.Fatalf("not connected page: %.500s", p.body)
		}
		r = owner.post("/settings/absence-categories", "/settings/absence-categories", url.Values{"name": {"Paid Vacation"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("error-name").Text(), "already exists") {
			t.Fatalf("duplicate name: %.300s", r.testid("error-name").Text())
		}
		r = owner.post("/settings/absence-categories", "/settings/absence-categories", url.Values{"name": {"Bereavement"}})
		expectStatus(t, r, http.StatusSeeOther)

		connectSandbox(t, owner, sbURL)
		p = owner.get("/settings/absence-categories")
		pair := p.find(`[data-testid="paired-row"][data-name="paid vacation"]`)
		if pair.Length() != 1 || pair.Find(`[data-testid="paired-type"]`).Text() != "Paid vacation" {
			t.Fatalf("not paired by name: %.800s", p.testid("paired").Text())
		}
		saveShots(t, map[string]*resp{"categories-matching": p})
		if p.testid("unmatched-type").Length() != 5 || p.testid("unmatched-category").Length() != 1 {
			t.Fatalf("unmatched: %d types, %d categories", p.testid("unmatched-type").Length(), p.testid("unmatched-category").Length())
		}
		// Pair Bereavement by hand with Special leave.
		cats, _ := st.AbsenceCategories(t.Context(), a.orgID(t))
		var ber int64
		for _, c := range cats {
			if c.Name == "Bereavement" {
				ber = c.ID
			}
		}
		r = owner.post("/settings/absence-categories", "/settings/absence-categories/"+itoa(ber)+"/pair", url.Values{"type_id": {"113442"}})
		expectStatus(t, r, http.StatusSeeOther)
		r = owner.post("/settings/absence-categories", "/settings/absence-categories/create-missing", nil)
		expectStatus(t, r, http.StatusSeeOther)
		p = owner.get("/settings/absence-categories")
		if p.testid("unmatched-type").Length() != 0 || p.testid("paired-row").Length() != 6 || !strings.Contains(p.testid("flash").Text(), "4 categories created") {
			t.Fatalf("after create missing: %d paired, flash %q", p.testid("paired-row").Length(), p.testid("flash").Text())
		}
		if row := p.find(`[data-testid="paired-row"][data-name="Bereavement"]`); row.Find(`[data-testid="paired-type"]`).Text() != "Special leave" {
			t.Fatal("hand pairing lost")
		}
		saveShots(t, map[string]*resp{"categories": p})
	})
}

// saveShots writes pages as HTML files (static links made absolute) into
// $ROSTER_HTML_DIR, for screenshots; nothing happens when it is unset.
func saveShots(t *testing.T, pages map[string]*resp) {
	t.Helper()
	dir := os.Getenv("ROSTER_HTML_DIR")
	if dir == "" || !strings.HasSuffix(t.Name(), "sqlite") {
		return
	}
	static, _ := filepath.Abs("../static")
	for name, r := range pages {
		html := strings.ReplaceAll(r.body, `"/static/`, `"file://`+static+`/`)
		if err := os.WriteFile(filepath.Join(dir, name+".html"), []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAbsencePagesForScreenshots(t *testing.T) {
	if os.Getenv("ROSTER_HTML_DIR") == "" {
		t.Skip("set ROSTER_HTML_DIR to write the pages")
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st)
		f := newAbsenceFixture(t, a)
		this := time.Now()
		m := func(d int) string {
			return time.Date(this.Year(), this.Month(), d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		}
		expectStatus(t, f.request(t, m(3), m(6)), http.StatusSeeOther)
		expectStatus(t, f.request(t, m(20), m(21)), http.StatusSeeOther)
		abs, _ := a.store.UserAbsences(context.Background(), f.orgID, f.memberID)
		expectStatus(t, f.mgr.post("/approvals", "/approvals/"+itoa(abs[1].ID)+"/approve", url.Values{"note": {"Enjoy"}}), http.StatusSeeOther)
		now := time.Now().UTC()
		_ = a.store.CreateAbsence(context.Background(), &store.Absence{OrgID: f.orgID, UserID: f.mgrID, CategoryID: &f.vacationID, StartDate: m(12), EndDate: m(14),
			Status: store.AbsenceToConfirm, Source: store.SourcePersonio, CreatedAt: now, UpdatedAt: now})
		bad := f.member.post("/absences", "/absences", url.Values{"start_date": {m(9)}, "end_date": {m(8)}, "category_id": {itoa(f.vacationID)}})
		saveShots(t, map[string]*resp{"absences": f.member.get("/absences"), "absences-422": bad,
			"approvals": f.owner.get("/approvals"), "calendar": f.owner.get("/absences/calendar")})
	})
}

func TestAbsenceBalanceEntitlementFromPersonio(t *testing.T) {
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 12, Seed: 8})
	var emp sandbox.Employee
	for _, e := range sb.Employees() {
		if e.Email != "" && e.Status == "active" {
			emp = e
			break
		}
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		orgID := a.orgID(t)
		connectSandbox(t, owner, sbURL)
		r := owner.do(http.MethodPost, "/settings/hr/sync-now", url.Values{"area": {"employees"}, "preview": {"0"}, "_csrf": {owner.csrf("/settings/hr")}}, nil)
		expectStatus(t, r, http.StatusSeeOther)
		runs, _ := st.ListSyncRuns(t.Context(), orgID, 1)
		if len(runs) == 0 {
			t.Fatal("no sync run")
		}
		waitRun(t, owner, "/settings/hr/runs/"+itoa(runs[0].ID))
		expectStatus(t, owner.post("/settings/absence-categories", "/settings/absence-categories/create-missing", nil), http.StatusSeeOther)

		member := a.acceptAs(a.invite(owner, "mia@acme.test", "Mia Member", "member"), "Mia Member")
		mia := a.userID("mia@acme.test")
		pid := int64(emp.ID)
		if err := st.UpdateUserFields(t.Context(), orgID, mia, map[string]any{"personio_id": pid}); err != nil {
			t.Fatal(err)
		}
		custom, err := st.UserEmployeeCustom(t.Context(), orgID, mia)
		if err != nil || !strings.Contains(custom, "absence_entitlement") {
			t.Fatalf("employee %d has no absence_entitlement in the mirror: %v %.200s", emp.ID, err, custom)
		}
		page := member.get("/absences")
		row := page.find(`[data-testid="balance-row"][data-category="Paid vacation"]`)
		ent := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(row.Find(`[data-testid="balance-entitlement"]`).Text()), "Personio"))
		if row.Length() != 1 || ent == "" || ent == "—" || !strings.Contains(custom, `"entitlement":`+ent) {
			t.Fatalf("entitlement %q not from Personio (%s)", ent, custom)
		}
		if rem := row.Find(`[data-testid="balance-remaining"]`).Text(); rem != ent {
			t.Fatalf("left %q, want the whole entitlement %q", rem, ent)
		}
		// Another category without an entitlement shows none.
		if e := page.find(`[data-testid="balance-row"][data-category="Sick leave"]`).Length(); e != 0 {
			t.Fatalf("sick leave row without absences or entitlement shown")
		}
	})
}
