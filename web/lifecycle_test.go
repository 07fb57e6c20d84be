package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// leaverOrg is an organisation (Europe/Berlin) whose users are linked to
// Personio employees written straight into the mirror; sync runs the
// lifecycle step of a sync run over them.
type leaverOrg struct {
	t     *testing.T
	a     *app
	owner *client
	orgID int64
	n     int
}

func newLeaverOrg(t *testing.T, a *app) *leaverOrg {
	t.Helper()
	owner := a.setupOrg("Acme", "olga@acme.test")
	return &leaverOrg{t: t, a: a, owner: owner, orgID: a.orgID(t)}
}

// linked adds a Personio employee and an active user linked to it; it
// returns the user id.
func (o *leaverOrg) linked(pid int64, name, status, lastDay string) int64 {
	o.t.Helper()
	o.n++
	now := time.Now().UTC()
	first, last, _ := strings.Cut(name, " ")
	email := strings.ToLower(first) + "@acme.test"
	e := &store.HREmployee{OrgID: o.orgID, PersonioID: pid, FirstName: first, LastName: last, Email: email, Status: status,
		Position: "Engineer", LastWorkingDay: lastDay, HireDate: "2021-04-01", RawHash: fmt.Sprintf("h%d", o.n), InScope: true,
		FirstSeenAt: now, LastSyncedAt: now}
	if err := o.a.store.DB().Create(e).Error; err != nil {
		o.t.Fatal(err)
	}
	u := &store.User{OrgID: o.orgID, Email: email, Name: name, JobTitle: "Engineer", Role: store.RoleMember, Status: store.StatusActive,
		PasswordHash: "x", PersonioID: &pid, HireDate: "2021-04-01", LastWorkingDay: lastDay, CostCenter: "CC-100 Engineering",
		PersonioSyncedAt: &now}
	if err := o.a.store.CreateUser(o.t.Context(), u); err != nil {
		o.t.Fatal(err)
	}
	return u.ID
}

// leave turns an employee inactive in the mirror, as a sync would.
func (o *leaverOrg) leave(pid int64) {
	o.t.Helper()
	o.n++
	err := o.a.store.DB().Model(&store.HREmployee{}).Where("org_id = ? AND personio_id = ?", o.orgID, pid).
		Updates(map[string]any{"status": "inactive", "raw_hash": fmt.Sprintf("h%d", o.n)}).Error
	if err != nil {
		o.t.Fatal(err)
	}
}

// sync runs the lifecycle step of a finished employee sync run.
func (o *leaverOrg) sync() {
	o.t.Helper()
	now := time.Now().UTC()
	r := &store.SyncRun{OrgID: o.orgID, Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerCLI, Status: store.RunSucceeded,
		StartedAt: now, HeartbeatAt: now, FinishedAt: &now}
	if err := o.a.store.DB().Create(r).Error; err != nil {
		o.t.Fatal(err)
	}
	up := lifecycle.New(lifecycle.Options{Store: o.a.store, Accounts: o.a.acc})
	if err := up.AfterRun(o.t.Context(), r); err != nil {
		o.t.Fatal(err)
	}
}

func (o *leaverOrg) user(id int64) *store.User {
	o.t.Helper()
	u, err := o.a.store.User(o.t.Context(), o.orgID, id)
	if err != nil {
		o.t.Fatal(err)
	}
	return u
}

func (o *leaverOrg) pendingHold() *store.SyncHold {
	o.t.Helper()
	h, err := o.a.store.PendingSyncHold(o.t.Context(), o.orgID)
	if err != nil {
		o.t.Fatalf("no pending safeguard hold: %v", err)
	}
	return h
}

// saveHTML writes a page for screenshots when ROSTER_HTML_DIR is set.
func saveHTML(t *testing.T, name string, r *resp) {
	t.Helper()
	dir := os.Getenv("ROSTER_HTML_DIR")
	if dir == "" {
		return
	}
	static, _ := filepath.Abs("../static")
	body := strings.ReplaceAll(r.body, `"/static/`, `"file://`+static+`/`)
	if err := os.WriteFile(filepath.Join(dir, name+"-"+strings.ReplaceAll(t.Name(), "/", "-")+".html"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func flashText(r *resp) string { return strings.TrimSpace(r.testid("flash").Text()) }

func TestSafeguardHoldConfirmAndDiscard(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		o := newLeaverOrg(t, a)
		anna := o.linked(1, "Anna Alt", "active", "")
		ben := o.linked(2, "Ben Berg", "active", "")
		cara := o.linked(3, "Cara Chen", "active", "")
		dan := o.linked(4, "Dan Dorn", "active", "")
		o.leave(1)
		o.leave(2)
		o.sync() // 2 of 4 linked users (50 %) would go: the safeguard holds them.
		hold := o.pendingHold()
		for _, id := range []int64{anna, ben} {
			if u := o.user(id); u.Status != store.StatusActive {
				t.Fatalf("user %d deactivated despite the safeguard (%s)", id, u.Status)
			}
		}

		r := o.owner.get("/settings/hr")
		expectStatus(t, r, http.StatusOK)
		saveHTML(t, "hr-hold", r)
		box := r.testid("hold-box")
		if box.Length() != 1 {
			t.Fatalf("no hold box on the HR tab: %.800s", r.body)
		}
		if got, want := strings.Join(strings.Fields(r.testid("hold-summary").Text()), " "), "This sync would deactivate 2 of 4 linked users (50 %). Nothing was deactivated."; got != want {
			t.Errorf("hold summary %q, want %q", got, want)
		}
		listed := map[string]string{}
		r.testid("hold-user").Each(func(_ int, s *goquery.Selection) {
			email, _ := s.Attr("data-email")
			listed[email] = strings.TrimSpace(s.Find(`[data-testid="hold-reason"]`).Text())
		})
		if len(listed) != 2 || listed["anna@acme.test"] != "inactive in Personio" || listed["ben@acme.test"] != "inactive in Personio" {
			t.Errorf("hold lists %v, want Anna and Ben, inactive in Personio", listed)
		}
		if r.testid("hold-more").Length() != 0 {
			t.Error(`"and K more" shown for a short list`)
		}
		if _, ok := box.Find(`form[action="/settings/hr/holds/` + itoa(hold.ID) + `/confirm"]`).Attr("data-confirm"); !ok {
			t.Error("confirm form without a confirm prompt")
		}

		// Another organisation's admin cannot decide this hold.
		other, _ := a.createOrg("Beta", "owner@beta.test")
		res := other.post("/settings/hr", "/settings/hr/holds/"+itoa(hold.ID)+"/confirm", nil)
		expectStatus(t, res, http.StatusNotFound)
		if strings.Contains(res.body, "anna@acme.test") {
			t.Error("the 404 leaked a user of the hold")
		}
		if o.pendingHold().ID != hold.ID {
			t.Fatal("another organisation decided the hold")
		}

		res = o.owner.post("/settings/hr", "/settings/hr/holds/"+itoa(hold.ID)+"/confirm", nil)
		expectStatus(t, res, http.StatusSeeOther)
		if loc := res.header.Get("Location"); loc != "/settings/hr" {
			t.Fatalf("confirm redirects to %q", loc)
		}
		r = o.owner.get("/settings/hr")
		if got := flashText(r); got != "2 users deactivated. They were logged out; their data is kept." {
			t.Errorf("flash after confirm: %q", got)
		}
		if r.testid("hold-box").Length() != 0 {
			t.Error("hold box still shown after confirming")
		}
		for _, id := range []int64{anna, ben} {
			if u := o.user(id); u.Status != store.StatusDeactivated {
				t.Errorf("user %d %s after confirming, want deactivated", id, u.Status)
			}
		}
		r = o.owner.get("/users/" + itoa(anna))
		if k, _ := r.testid("status-note").Attr("data-kind"); k != "deactivated" {
			t.Errorf("status note kind %q, want deactivated", k)
		}
		if got := r.testid("status-reason").Text(); got != "inactive in Personio" {
			t.Errorf("reason %q", got)
		}
		if got := r.testid("status-by").Text(); got != "Olga Owner" {
			t.Errorf("deactivated by %q, want the admin who confirmed", got)
		}

		// Deciding twice is refused with a clear message.
		res = o.owner.post("/settings/hr", "/settings/hr/holds/"+itoa(hold.ID)+"/discard", nil)
		expectStatus(t, res, http.StatusSeeOther)
		if got := flashText(o.owner.get("/settings/hr")); got != "This safeguard hold was already confirmed." {
			t.Errorf("flash for a decided hold: %q", got)
		}

		// The remaining two leave: 100 % → a new hold, discarded this time.
		o.leave(3)
		o.leave(4)
		o.sync()
		hold2 := o.pendingHold()
		if hold2.ID == hold.ID {
			t.Fatal("no new hold")
		}
		res = o.owner.do(http.MethodPost, "/settings/hr/holds/"+itoa(hold2.ID)+"/discard", url.Values{"_csrf": {o.owner.csrf("/settings/hr")}},
			map[string]string{"HX-Request": "true"})
		expectStatus(t, res, http.StatusOK)
		if got := res.header.Get("HX-Redirect"); got != "/settings/hr" {
			t.Errorf("htmx discard: HX-Redirect %q", got)
		}
		r = o.owner.get("/settings/hr")
		if got := flashText(r); got != "Hold discarded: these users stay active until Personio changes them again." {
			t.Errorf("flash after discard: %q", got)
		}
		if r.testid("hold-box").Length() != 0 {
			t.Error("hold box still shown after discarding")
		}
		o.sync() // the next run leaves them alone
		for _, id := range []int64{cara, dan} {
			if u := o.user(id); u.Status != store.StatusActive {
				t.Errorf("user %d %s after discarding, want active", id, u.Status)
			}
		}
		if _, err := a.store.PendingSyncHold(t.Context(), o.orgID); err == nil {
			t.Error("a new hold after discarding, with no change in Personio")
		}
		var audits int64
		a.store.DB().Model(&store.AuditEvent{}).Where("org_id = ? AND action IN ?", o.orgID, []string{lifecycle.ActionHoldConfirm, lifecycle.ActionHoldDiscard}).Count(&audits)
		if audits != 2 {
			t.Errorf("%d hold decisions audited, want 2", audits)
		}
	})
}

func TestHoldListIsCapped(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		o := newLeaverOrg(t, a)
		for pid := int64(1); pid <= 30; pid++ {
			o.linked(pid, fmt.Sprintf("User%02d Leaver", pid), "active", "")
			o.leave(pid)
		}
		o.sync()
		r := o.owner.get("/settings/hr")
		if n := r.testid("hold-user").Length(); n != 25 {
			t.Errorf("%d users listed, want 25", n)
		}
		if got := strings.TrimSpace(r.testid("hold-more").Text()); got != "and 5 more" {
			t.Errorf("more: %q", got)
		}
	})
}

func TestUndoDeactivationRestoresLinks(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		o := newLeaverOrg(t, a)
		lead := o.linked(1, "Lena Lead", "active", "")
		rep := o.linked(2, "Rob Report", "active", "")
		team := mustInt(createTeam(t, o.owner, "Platform"))
		if err := a.store.AddTeamMember(t.Context(), &store.TeamMember{OrgID: o.orgID, TeamID: team, UserID: lead, Source: "manual", CreatedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		a.store.DB().Model(&store.Team{}).Where("id = ?", team).Update("approver_id", lead)
		a.store.DB().Model(&store.User{}).Where("id = ?", rep).Update("manager_id", lead)

		r := o.owner.get("/users/" + itoa(rep))
		if href, _ := r.testid("personio-manager-link").Attr("href"); href != "/users/"+itoa(lead) {
			t.Errorf("manager link %q, want Lena's page", href)
		}

		expectStatus(t, o.owner.post("/users/"+itoa(lead), "/users/"+itoa(lead)+"/deactivate", nil), http.StatusSeeOther)
		r = o.owner.get("/users/" + itoa(lead))
		saveHTML(t, "user-deactivated", r)
		if k, _ := r.testid("status-note").Attr("data-kind"); k != "deactivated" {
			t.Fatalf("status note %q after deactivating", k)
		}
		if by, reason := r.testid("status-by").Text(), r.testid("status-reason").Text(); by != "Olga Owner" || reason != "deactivated by an admin" {
			t.Errorf("by %q reason %q", by, reason)
		}
		if r.testid("undo-deactivation").Length() != 1 {
			t.Fatal("no undo button on a deactivated user")
		}
		if o.user(rep).ManagerID != nil {
			t.Fatal("deactivation kept the manager link")
		}

		res := o.owner.post("/users/"+itoa(lead), "/users/"+itoa(lead)+"/undo-deactivation", nil)
		expectStatus(t, res, http.StatusSeeOther)
		r = o.owner.get(res.header.Get("Location"))
		if got := flashText(r); got != "Deactivation undone: teams, manager and approver links restored." {
			t.Errorf("flash %q", got)
		}
		if r.testid("status-note").Length() != 0 || r.testid("undo-deactivation").Length() != 0 {
			t.Error("still shown as deactivated")
		}
		if got := strings.TrimSpace(r.testid("user-status").Text()); got != "active" {
			t.Errorf("status %q after undo", got)
		}
		if m := o.user(rep).ManagerID; m == nil || *m != lead {
			t.Errorf("manager of Rob %v after undo, want Lena", m)
		}
		if got := userTeams(t, a.store, lead); len(got) != 1 || got[0] != "Platform:manual" {
			t.Errorf("Lena's teams after undo: %v", got)
		}
		var tm store.Team
		a.store.DB().First(&tm, team)
		if tm.ApproverID == nil || *tm.ApproverID != lead {
			t.Errorf("approver of Platform %v after undo", tm.ApproverID)
		}

		// Undoing an active user is refused with a message.
		res = o.owner.post("/users/"+itoa(lead), "/users/"+itoa(lead)+"/undo-deactivation", nil)
		expectStatus(t, res, http.StatusSeeOther)
		if got := flashText(o.owner.get("/users/" + itoa(lead))); got != "Lena Lead is not deactivated." {
			t.Errorf("flash %q", got)
		}
	})
}

func TestLinkedUserPageAndPersonioFields(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		o := newLeaverOrg(t, a)
		boss := o.linked(1, "Bea Boss", "active", "")
		emp := o.linked(2, "Eva Exit", "active", "2099-12-30")
		a.store.DB().Model(&store.User{}).Where("id = ?", emp).Updates(map[string]any{"manager_id": boss, "manager_source": "personio"})
		a.store.DB().Model(&store.HREmployee{}).Where("org_id = ? AND personio_id = 2", o.orgID).Update("supervisor_id", 1)
		o.sync() // schedules Eva's deactivation

		page := "/users/" + itoa(emp)
		r := o.owner.get(page)
		expectStatus(t, r, http.StatusOK)
		saveHTML(t, "user-linked", r)
		if k, _ := r.testid("status-note").Attr("data-kind"); k != "scheduled" {
			t.Fatalf("status note %q, want scheduled: %.600s", k, r.body)
		}
		if got := r.testid("status-when").Text(); got != "Thursday 31 Dec 2099, 00:00 (Europe/Berlin)" {
			t.Errorf("scheduled for %q", got)
		}
		if got := r.testid("status-last-day").Text(); got != "30 Dec 2099" {
			t.Errorf("last day %q", got)
		}
		if got := r.testid("status-reason").Text(); got != "last working day in Personio" {
			t.Errorf("reason %q", got)
		}
		if r.testid("undo-deactivation").Length() != 0 {
			t.Error("undo offered for a user who is still active")
		}
		for _, name := range []string{"name", "job_title"} {
			in := r.testid("readonly-" + name)
			if _, ro := in.Attr("readonly"); !ro {
				t.Errorf("%s is editable on a linked user", name)
			}
		}
		if n := r.testid("from-personio").Length(); n < 3 {
			t.Errorf("%d from-Personio markers, want name, title and the Personio box", n)
		}
		for id, want := range map[string]string{"personio-hire-date": "2021-04-01", "personio-last-working-day": "2099-12-30",
			"personio-cost-center": "CC-100 Engineering", "personio-manager": "Bea Boss"} {
			if got := strings.TrimSpace(r.testid(id).Text()); got != want {
				t.Errorf("%s %q, want %q", id, got, want)
			}
		}
		if got := strings.TrimSpace(r.testid("personio-last-synced").Text()); got == "" || got == "never" {
			t.Errorf("last synced %q", got)
		}

		// A name change is refused; a role change goes through.
		res := o.owner.post(page, page, url.Values{"name": {"Eve Renamed"}, "job_title": {"Engineer"}, "role": {"manager"}})
		expectStatus(t, res, http.StatusUnprocessableEntity)
		if got := res.testid("error-name").Text(); !strings.Contains(got, "Managed in Personio") {
			t.Errorf("name error %q", got)
		}
		if u := o.user(emp); u.Name != "Eva Exit" || u.Role != store.RoleMember {
			t.Errorf("after the refused change: name %q role %s", u.Name, u.Role)
		}
		res = o.owner.post(page, page, url.Values{"name": {"Eva Exit"}, "job_title": {"Engineer"}, "role": {"manager"}})
		expectStatus(t, res, http.StatusSeeOther)
		if u := o.user(emp); u.Name != "Eva Exit" || u.Role != store.RoleManager {
			t.Errorf("after the role change: name %q role %s", u.Name, u.Role)
		}
	})
}

func TestUsersListHRSoftwareEntries(t *testing.T) {
	_, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 5, Seed: 7})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		o := newLeaverOrg(t, a)
		o.linked(1, "Lina Linked", "active", "")
		a.invite(o.owner, "uma@acme.test", "Uma Unlinked", "member")

		r := o.owner.get("/users")
		if r.testid("hr-software").Length() != 0 {
			t.Error("HR software entries shown without an HR connection")
		}
		connectSandbox(t, o.owner, sbURL)
		r = o.owner.get("/users")
		for id, href := range map[string]string{"hr-manage-users": "/settings/hr/link", "hr-invite-users": "/users/invite-hr", "hr-map-teams": "/settings/hr/teams"} {
			if got, _ := r.testid("hr-software").Find(`[data-testid="` + id + `"]`).Attr("href"); got != href {
				t.Errorf("%s links to %q, want %q", id, got, href)
			}
		}
		rows := map[string]bool{}
		r.testid("user-row").Each(func(_ int, s *goquery.Selection) {
			email, _ := s.Attr("data-email")
			rows[email] = s.Find(`[data-testid="personio-tag"]`).Length() == 1
		})
		if !rows["lina@acme.test"] || rows["uma@acme.test"] {
			t.Errorf("Personio markers on rows: %v", rows)
		}
	})
}
