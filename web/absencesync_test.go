package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/absencesync"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// absenceOrg is an organisation connected to the sandbox with Ada (member,
// linked to employee 1002) whose manager is Mia (linked to 1003), and a
// category "Vacation" paired with Personio's paid vacation.
type absenceOrg struct {
	t          *testing.T
	a          *app
	sb         *sandbox.Server
	owner, ada *client
	mia        *client
	orgID      int64
	adaID      int64
	vacation   int64
}

const absEmpAda = 1002

func newAbsenceOrg(t *testing.T, st *store.Store, leading string, onlyApproved bool) *absenceOrg {
	t.Helper()
	opts := sandbox.DefaultOptions()
	opts.Employees, opts.Seed, opts.RateLimit = 20, 3, false
	sb, sbURL := sandboxtest.Start(t, opts)
	a := newApp(t, st, appOpts{sandboxURL: sbURL})
	o := &absenceOrg{t: t, a: a, sb: sb}
	o.owner = a.setupOrg("Acme", "olga@acme.test")
	connectSandbox(t, o.owner, sbURL)
	o.orgID = a.orgID(t)
	o.ada = a.acceptAs(a.invite(o.owner, "ada@acme.test", "Ada", "member"), "Ada Member")
	o.mia = a.acceptAs(a.invite(o.owner, "mia@acme.test", "Mia", "member"), "Mia Manager")
	o.adaID = a.userID("ada@acme.test")
	miaID := a.userID("mia@acme.test")
	db := st.DB()
	if err := db.Model(&store.User{}).Where("id = ?", o.adaID).Updates(map[string]any{"personio_id": absEmpAda, "manager_id": miaID}).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&store.User{}).Where("id = ?", miaID).Update("personio_id", 1003).Error; err != nil {
		t.Fatal(err)
	}
	typeID := int64(sb.TimeOffTypeIDs()["Paid vacation"])
	now := time.Now().UTC()
	cat := &store.AbsenceCategory{OrgID: o.orgID, Name: "Vacation", PersonioTypeID: &typeID, PersonioTypeName: "Paid vacation", HalfDays: true, CreatedAt: now, UpdatedAt: now}
	if err := db.Create(cat).Error; err != nil {
		t.Fatal(err)
	}
	o.vacation = cat.ID
	set, err := st.SyncSettings(t.Context(), o.orgID)
	if err != nil {
		t.Fatal(err)
	}
	set.AbsencesLeading, set.AbsencesOnlyApproved = leading, onlyApproved
	if err := st.SaveSyncSettings(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	return o
}

// freeWeek returns three weekdays next year on which Ada has no time-off.
func (o *absenceOrg) freeWeek() (string, string) {
	o.t.Helper()
	y := time.Now().Year() + 1
	d := time.Date(y, 2, 2, 0, 0, 0, 0, time.UTC)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	for i := 0; i < 40; i, d = i+1, d.AddDate(0, 0, 7) {
		s, e := d.Format(time.DateOnly), d.AddDate(0, 0, 2).Format(time.DateOnly)
		free := true
		for _, t := range o.sb.TimeOffs(absEmpAda) {
			if t.StartDate <= e && t.EndDate >= s {
				free = false
			}
		}
		if free {
			return s, e
		}
	}
	o.t.Fatal("no free week")
	return "", ""
}

// syncAbsences runs Sync Now › Absences and waits for the run.
func (o *absenceOrg) syncAbsences() *resp {
	o.t.Helper()
	return o.syncNow(store.AreaAbsences)
}

// syncNow runs Sync Now of an area and waits for the run.
func (o *absenceOrg) syncNow(area string) *resp {
	o.t.Helper()
	r := o.owner.do(http.MethodPost, "/settings/hr/sync-now", url.Values{"area": {area}, "preview": {"0"}, "_csrf": {o.owner.csrf("/settings/hr")}},
		map[string]string{"HX-Request": "true"})
	expectStatus(o.t, r, http.StatusOK)
	poll, _ := r.testid("run-progress").Attr("hx-get")
	if st, _ := r.testid("run-progress").Attr("data-status"); st != "running" {
		return r
	}
	if poll == "" {
		o.t.Fatalf("no progress to poll: %.400s", r.body)
	}
	return waitRun(o.t, o.owner, strings.TrimSuffix(poll, "/progress"))
}

func (o *absenceOrg) apiTimeOffs() []sandbox.TimeOff {
	var out []sandbox.TimeOff
	for _, t := range o.sb.TimeOffs(absEmpAda) {
		if t.CreatedBy == "API" {
			out = append(out, t)
		}
	}
	return out
}

func (o *absenceOrg) absence(id int64) store.Absence {
	o.t.Helper()
	var ab store.Absence
	if err := o.a.store.DB().Where("org_id = ? AND id = ?", o.orgID, id).First(&ab).Error; err != nil {
		o.t.Fatal(err)
	}
	return ab
}

// TestAbsenceRosterLeadsRequestApproveInSandbox: Ada requests an absence,
// her manager approves it, Sync Now › Absences pushes it to Personio; her
// cancellation deletes it there.
func TestAbsenceRosterLeadsRequestApproveInSandbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newAbsenceOrg(t, st, absencesync.LeadingRoster, true)
		s, e := o.freeWeek()
		r := o.ada.post("/absences", "/absences", url.Values{"start_date": {s}, "end_date": {e}, "category_id": {fmt.Sprint(o.vacation)},
			"comment": {"Ski trip"}})
		expectStatus(t, r, http.StatusSeeOther)
		var ab store.Absence
		if err := st.DB().Where("org_id = ? AND user_id = ?", o.orgID, o.adaID).First(&ab).Error; err != nil {
			t.Fatal(err)
		}
		// Only approved requests go to Personio: nothing yet.
		o.syncAbsences()
		if n := len(o.apiTimeOffs()); n != 0 {
			t.Fatalf("a pending request reached Personio (%d)", n)
		}

		page := o.mia.get("/approvals")
		expectStatus(t, page, http.StatusOK)
		if page.find(`#absence-`+fmt.Sprint(ab.ID)).Length() != 1 {
			t.Fatalf("the request is not in Mia's approvals: %.500s", page.body)
		}
		r = o.mia.post("/approvals", fmt.Sprintf("/approvals/%d/approve", ab.ID), url.Values{"note": {"Enjoy"}})
		expectStatus(t, r, http.StatusSeeOther)

		run := o.syncAbsences()
		if st, _ := run.testid("run-progress").Attr("data-status"); st != store.RunSucceeded {
			t.Fatalf("absence sync run: %s %.400s", st, run.body)
		}
		tos := o.apiTimeOffs()
		if len(tos) != 1 || tos[0].StartDate != s || tos[0].EndDate != e || tos[0].Status != "approved" || tos[0].Comment != "Ski trip" {
			t.Fatalf("in the sandbox: %+v", tos)
		}
		if got := o.absence(ab.ID); got.PersonioID == nil || *got.PersonioID != int64(tos[0].ID) {
			t.Fatalf("absence not linked to time-off %d: %v", tos[0].ID, got.PersonioID)
		}
		// The outbox shows it pushed.
		var items []store.OutboxItem
		st.DB().Where("org_id = ? AND kind = ? AND record_id = ?", o.orgID, store.OutboxAbsence, ab.ID).Find(&items)
		if len(items) != 1 || items[0].State != store.OutboxPushed {
			t.Fatalf("outbox: %+v", items)
		}

		// Ada cancels: deleted in Personio.
		r = o.ada.post("/absences", fmt.Sprintf("/absences/%d/cancel", ab.ID), nil)
		expectStatus(t, r, http.StatusSeeOther)
		o.syncAbsences()
		if tos := o.apiTimeOffs(); len(tos) != 0 {
			t.Fatalf("cancelled but still in the sandbox: %+v", tos)
		}
	})
}

// TestAbsencePersonioLeadsImportConfirm: a time-off in Personio arrives
// with Sync Now › Absences as "from Personio — to confirm"; Mia confirms it;
// a Roster request meanwhile is shown as not synced.
func TestAbsencePersonioLeadsImportConfirm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newAbsenceOrg(t, st, absencesync.LeadingPersonio, true)
		ps, pe := o.freeWeek()
		to, err := o.sb.AddTimeOff(sandbox.TimeOffInput{EmployeeID: absEmpAda, TimeOffTypeID: o.sb.TimeOffTypeIDs()["Paid vacation"],
			StartDate: ps, EndDate: pe, Comment: "Planned in Personio"})
		if err != nil {
			t.Fatal(err)
		}
		s, e := o.freeWeek()
		o.syncAbsences()
		var ab store.Absence
		if err := st.DB().Where("org_id = ? AND personio_id = ?", o.orgID, to.ID).First(&ab).Error; err != nil {
			t.Fatalf("time-off %d not imported: %v", to.ID, err)
		}
		if ab.Status != store.AbsenceToConfirm || ab.Source != store.SourcePersonio || ab.UserID != o.adaID {
			t.Fatalf("imported: %+v", ab)
		}
		page := o.mia.get("/approvals")
		row := page.find(`[data-testid="imported-row"]#absence-` + fmt.Sprint(ab.ID))
		if row.Length() != 1 {
			t.Fatalf("the imported absence is not in Mia's approvals: %.600s", page.body)
		}
		saveHTML(t, "approvals-imported", page)
		r := o.mia.post("/approvals", fmt.Sprintf("/approvals/%d/confirm", ab.ID), nil)
		expectStatus(t, r, http.StatusSeeOther)
		if got := o.absence(ab.ID); got.Status != store.AbsenceConfirmed {
			t.Fatalf("after confirm: %s", got.Status)
		}
		// A second sync keeps the confirmation.
		o.syncAbsences()
		if got := o.absence(ab.ID); got.Status != store.AbsenceConfirmed {
			t.Fatalf("a sync without change in Personio undid the confirmation: %s", got.Status)
		}

		// Ada's own request in Roster is kept, shown as not synced.
		r = o.ada.post("/absences", "/absences", url.Values{"start_date": {s}, "end_date": {e}, "category_id": {fmt.Sprint(o.vacation)}})
		expectStatus(t, r, http.StatusSeeOther)
		page = o.ada.get("/absences")
		if !strings.Contains(page.testid("out-of-sync").Text(), absencesync.OutOfSyncPersonioLeads) {
			t.Fatalf("the request is not marked out of sync: %.800s", page.testid("absence-list").Text())
		}
		saveHTML(t, "absences-out-of-sync", page)

		// Deleted in Personio: gone after the next full employee sync (its
		// lifecycle steps import the absences).
		if err := o.sb.DeleteTimeOff(to.ID); err != nil {
			t.Fatal(err)
		}
		run := o.syncNow(store.AreaEmployees)
		if st, _ := run.testid("run-progress").Attr("data-status"); st != store.RunSucceeded {
			t.Fatalf("employee sync: %s %.400s", st, run.body)
		}
		var n int64
		st.DB().Model(&store.Absence{}).Where("org_id = ? AND personio_id = ?", o.orgID, to.ID).Count(&n)
		if n != 0 {
			t.Fatal("the time-off deleted in Personio is still in Roster")
		}
	})
}
