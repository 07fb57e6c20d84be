package absencesync_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/absencesync"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// freeDays returns n days (YYYY-MM-DD start and end) from a Monday after
// 2026-05-01 on which the employee has no time-off in the sandbox.
func (f *fx) freeDays(emp, n int, skip int) (string, string) {
	f.t.Helper()
	d := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 60; i, d = i+1, d.AddDate(0, 0, 7) {
		s, e := d.Format(time.DateOnly), d.AddDate(0, 0, n-1).Format(time.DateOnly)
		busy := false
		for _, t := range f.sb.TimeOffs(emp) {
			if t.StartDate <= e && t.EndDate >= s {
				busy = true
			}
		}
		if !busy {
			if skip == 0 {
				return s, e
			}
			skip--
		}
	}
	f.t.Fatal("no free days")
	return "", ""
}

func TestPersonioLeadsImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, absencesync.LeadingPersonio, true)
		// An unpaired type and a time-off of an employee nobody is linked to.
		s, e := f.freeDays(empAda, 2, 0)
		unpaid, err := f.sb.AddTimeOff(sandbox.TimeOffInput{EmployeeID: empAda, TimeOffTypeID: f.typeUnpaid, StartDate: s, EndDate: e, Comment: "Unpaid"})
		if err != nil {
			t.Fatal(err)
		}
		s2, e2 := f.freeDays(empBob, 3, 0)
		vac, err := f.sb.AddTimeOff(sandbox.TimeOffInput{EmployeeID: empBob, TimeOffTypeID: f.typeVacation, StartDate: s2, EndDate: e2, HalfDayEnd: true, Comment: "Sommer"})
		if err != nil {
			t.Fatal(err)
		}

		res := f.run(store.ModeFull)
		want := 0
		for _, emp := range []int{empAda, empBob, empMia} {
			for _, to := range f.sb.TimeOffs(emp) {
				if f.inWindow(to) {
					want++
				}
			}
		}
		if res.Created != want || want < 2 {
			t.Fatalf("created %d absences, want every time-off of the linked users in the window (%d): %+v", res.Created, want, res)
		}
		got := f.absences()
		if len(got) != want {
			t.Fatalf("%d absences stored, want %d", len(got), want)
		}
		a, ok := f.byPersonio(vac.ID)
		if !ok {
			t.Fatal("Bob's vacation was not imported")
		}
		if a.UserID != f.bob || a.Source != store.SourcePersonio || a.Status != store.AbsenceToConfirm || a.CategoryID == nil || *a.CategoryID != f.vacation ||
			a.StartDate != s2 || a.EndDate != e2 || !a.HalfDayEnd || a.HalfDayStart || a.Comment != "Sommer" || a.PersonioHash == "" {
			t.Fatalf("imported absence: %+v", a)
		}
		u, ok := f.byPersonio(unpaid.ID)
		if !ok || u.CategoryID != nil || u.UserID != f.ada {
			t.Fatalf("a time-off of an unpaired type is kept without a category: %+v (found %v)", u, ok)
		}
		if res.Unmapped < 1 {
			t.Fatalf("unmapped count: %+v", res)
		}
		var warns []store.SyncRunWarning
		if err := st.DB().Where("org_id = ? AND code = ? AND personio_id = ?", f.org, absencesync.WarnUnmappedType, unpaid.ID).Find(&warns).Error; err != nil || len(warns) != 1 {
			t.Fatalf("run warning about the unpaired type: %v %+v", err, warns)
		}
		var calls int64
		st.DB().Model(&store.APICall{}).Where("org_id = ? AND area = ?", f.org, store.AreaAbsences).Count(&calls)
		if calls == 0 {
			t.Fatal("the time-off calls are not in the API log")
		}

		// A second run writes nothing.
		f.clk.Add(time.Hour)
		res = f.run(store.ModeFull)
		if res.Created != 0 || res.Updated != 0 || res.Deleted != 0 || res.Unchanged != want {
			t.Fatalf("second run: %+v", res)
		}
		firstWrite := map[int64]time.Time{}
		for _, b := range got {
			firstWrite[b.ID] = b.UpdatedAt
		}
		for _, b := range f.absences() {
			if !b.UpdatedAt.Equal(firstWrite[b.ID]) {
				t.Fatalf("second run rewrote absence %d", b.ID)
			}
		}

		// A manager confirms; Personio changes the time-off: to confirm again.
		if err := st.DB().Model(&store.Absence{}).Where("id = ?", a.ID).Update("status", store.AbsenceConfirmed).Error; err != nil {
			t.Fatal(err)
		}
		f.clk.Add(time.Hour)
		res = f.run(store.ModeFull)
		if res.Updated != 0 || f.absence(a.ID).Status != store.AbsenceConfirmed {
			t.Fatalf("an unchanged confirmed absence stays confirmed: %+v, %s", res, f.absence(a.ID).Status)
		}
		f.ed.set(int64(vac.ID), func(t *hris.TimeOff) { t.End = t.End.AddDays(1); t.Comment = "Sommer, länger" })
		f.clk.Add(time.Hour)
		res = f.run(store.ModePartial)
		b := f.absence(a.ID)
		if res.Updated != 1 || b.Status != store.AbsenceToConfirm || b.Comment != "Sommer, länger" || b.EndDate == e2 {
			t.Fatalf("changed in Personio: %+v; absence %+v", res, b)
		}

		// Pairing the type later fills the category in without a new confirmation.
		id := int64(f.typeUnpaid)
		if err := st.DB().Model(&store.AbsenceCategory{}).Where("id = ?", f.unpaired).Update("personio_type_id", id).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.DB().Model(&store.Absence{}).Where("id = ?", u.ID).Update("status", store.AbsenceConfirmed).Error; err != nil {
			t.Fatal(err)
		}
		f.run(store.ModeFull)
		if u2 := f.absence(u.ID); u2.CategoryID == nil || *u2.CategoryID != f.unpaired || u2.Status != store.AbsenceConfirmed {
			t.Fatalf("after pairing: %+v", u2)
		}
	})
}

func TestPersonioLeadsPartialAndDeletion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, absencesync.LeadingPersonio, true)
		f.run(store.ModeFull)
		before := len(f.absences())

		// A time-off added in Personio reaches Roster with the next partial run.
		f.clk.Add(30 * time.Minute)
		s, e := f.freeDays(empAda, 1, 0)
		sick, err := f.sb.AddTimeOff(sandbox.TimeOffInput{EmployeeID: empAda, TimeOffTypeID: f.typeSick, StartDate: s, EndDate: e})
		if err != nil {
			t.Fatal(err)
		}
		f.clk.Add(30 * time.Minute)
		res := f.run(store.ModePartial)
		a, ok := f.byPersonio(sick.ID)
		if !ok || res.Created != 1 || a.Status != store.AbsenceToConfirm || *a.CategoryID != f.sick {
			t.Fatalf("partial run: %+v; absence %+v (found %v)", res, a, ok)
		}
		if n := len(f.absences()); n != before+1 {
			t.Fatalf("%d absences after the partial run, want %d", n, before+1)
		}

		// Deleted in Personio: a partial run cannot see it, a full run removes it.
		if err := f.sb.DeleteTimeOff(sick.ID); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(time.Hour)
		f.run(store.ModePartial)
		if _, ok := f.byPersonio(sick.ID); !ok {
			t.Fatal("a partial run removed an absence it cannot know is deleted")
		}
		res = f.run(store.ModeFull)
		if _, ok := f.byPersonio(sick.ID); ok || res.Deleted != 1 {
			t.Fatalf("full run after the deletion in Personio: %+v, still there: %v", res, ok)
		}
		if n := len(f.absences()); n != before {
			t.Fatalf("%d absences after the deletion, want %d", n, before)
		}

		// A request made in Roster while Personio leads is kept, marked, not queued.
		s, e = f.freeDays(empBob, 2, 1)
		r := f.request(f.bob, f.vacation, s, e, store.AbsencePending)
		got := f.absence(r.ID)
		if got.OutOfSync != absencesync.OutOfSyncPersonioLeads || len(f.outboxItems()) != 0 {
			t.Fatalf("Roster request while Personio leads: out_of_sync %q, %d outbox items", got.OutOfSync, len(f.outboxItems()))
		}
		f.run(store.ModeFull)
		if got := f.absence(r.ID); got.Status != store.AbsencePending || got.Source != store.SourceRoster {
			t.Fatalf("the full run touched the Roster request: %+v", got)
		}
	})
}

func TestRosterLeadsPush(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, absencesync.LeadingRoster, false)
		s, e := f.freeDays(empAda, 3, 0)
		a := f.request(f.ada, f.vacation, s, e, store.AbsencePending)
		if items := f.outboxItems(); len(items) != 1 || items[0].Op != store.OutboxCreate {
			t.Fatalf("a request enqueues a create: %+v", items)
		}
		if res := f.push(); res.Pushed != 1 {
			t.Fatalf("push: %+v", res)
		}
		tos := f.apiTimeOffs(empAda)
		if len(tos) != 1 || tos[0].StartDate != s || tos[0].EndDate != e || tos[0].TimeOffTypeID != f.typeVacation || tos[0].Comment != "Trip" || tos[0].Status != "pending" {
			t.Fatalf("in the sandbox: %+v", tos)
		}
		first := f.absence(a.ID)
		if first.PersonioID == nil || *first.PersonioID != int64(tos[0].ID) {
			t.Fatalf("link: %+v", first.PersonioID)
		}
		// Nothing to do a second time.
		if res := f.push(); res.Pushed != 0 {
			t.Fatalf("second push: %+v", res)
		}

		// Edit: delete + create, the link follows the new time-off.
		f.clk.Add(time.Minute)
		f.edit(a.ID, store.OutboxUpdate, func(a *store.Absence) { a.HalfDayStart, a.Comment = true, "Trip, half day first" })
		if res := f.push(); res.Pushed != 1 {
			t.Fatalf("push of the edit: %+v %+v", res, f.outboxItems())
		}
		tos = f.apiTimeOffs(empAda)
		if len(tos) != 1 || int64(tos[0].ID) == *first.PersonioID || !tos[0].HalfDayStart || tos[0].Comment != "Trip, half day first" {
			t.Fatalf("after the edit, in the sandbox: %+v", tos)
		}
		if got := f.absence(a.ID); got.PersonioID == nil || *got.PersonioID != int64(tos[0].ID) {
			t.Fatalf("the link was not kept: %v, want %d", got.PersonioID, tos[0].ID)
		}

		// Approval pushes the approved state.
		f.clk.Add(time.Minute)
		f.edit(a.ID, store.OutboxUpdate, func(a *store.Absence) { a.Status = store.AbsenceApproved })
		f.push()
		tos = f.apiTimeOffs(empAda)
		if len(tos) != 1 || tos[0].Status != "approved" {
			t.Fatalf("after approval: %+v", tos)
		}

		// Cancel: deleted in the sandbox.
		f.clk.Add(time.Minute)
		f.edit(a.ID, store.OutboxDelete, func(a *store.Absence) { a.Status = store.AbsenceCancelled })
		if res := f.push(); res.Pushed != 1 {
			t.Fatalf("push of the cancellation: %+v", res)
		}
		if tos := f.apiTimeOffs(empAda); len(tos) != 0 {
			t.Fatalf("cancelled but still in Personio: %+v", tos)
		}
		if got := f.absence(a.ID); got.PersonioID != nil {
			t.Fatalf("link kept after the deletion: %d", *got.PersonioID)
		}

		// Time-offs created in Personio while Roster leads are not imported.
		f.run(store.ModeFull)
		var imported int64
		st.DB().Model(&store.Absence{}).Where("org_id = ? AND source = ?", f.org, store.SourcePersonio).Count(&imported)
		if imported != 0 {
			t.Fatalf("%d time-offs imported while Roster leads", imported)
		}

		// Not linked or not paired: marked, not queued.
		s, e = f.freeDays(empAda, 1, 2)
		before := len(f.outboxItems())
		c := f.request(f.carl, f.vacation, s, e, store.AbsencePending)
		u := f.request(f.ada, f.unpaired, s, e, store.AbsencePending)
		if len(f.outboxItems()) != before || f.absence(c.ID).OutOfSync == "" || f.absence(u.ID).OutOfSync == "" {
			t.Fatalf("unsendable requests: %d items (before %d), marks %q / %q", len(f.outboxItems()), before, f.absence(c.ID).OutOfSync, f.absence(u.ID).OutOfSync)
		}
	})
}

func TestRosterLeadsOnlyApproved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, absencesync.LeadingRoster, true)
		s, e := f.freeDays(empBob, 2, 0)
		a := f.request(f.bob, f.sick, s, e, store.AbsencePending)
		if n := len(f.outboxItems()); n != 0 {
			t.Fatalf("a pending request is queued with only approved: %d items", n)
		}
		f.edit(a.ID, store.OutboxUpdate, func(a *store.Absence) { a.Status = store.AbsenceApproved })
		if items := f.outboxItems(); len(items) != 1 || items[0].Op != store.OutboxCreate {
			t.Fatalf("approval enqueues a create: %+v", items)
		}
		f.push()
		tos := f.apiTimeOffs(empBob)
		if len(tos) != 1 || tos[0].Status != "approved" || tos[0].TimeOffTypeID != f.typeSick {
			t.Fatalf("approved request in the sandbox: %+v", tos)
		}

		// A rejection of a never-pushed request enqueues nothing.
		s, e = f.freeDays(empBob, 1, 1)
		r := f.request(f.bob, f.vacation, s, e, store.AbsencePending)
		f.edit(r.ID, store.OutboxUpdate, func(a *store.Absence) { a.Status = store.AbsenceRejected })
		for _, it := range f.outboxItems() {
			if it.RecordID == r.ID {
				t.Fatalf("a rejected, never pushed request was queued: %+v", it)
			}
		}
		// Cancelling the pushed one deletes it.
		f.edit(a.ID, store.OutboxDelete, func(a *store.Absence) { a.Status = store.AbsenceCancelled })
		f.push()
		if tos := f.apiTimeOffs(empBob); len(tos) != 0 {
			t.Fatalf("cancelled: %+v", tos)
		}
	})
}

func TestCrashAfterCreateNoDuplicate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, absencesync.LeadingRoster, false)
		ctx := t.Context()
		s, e := f.freeDays(empAda, 2, 0)
		a := f.request(f.ada, f.vacation, s, e, store.AbsencePending)

		// Personio accepted the create, the answer was lost with the process.
		f.crashAfterCreate = true
		res := f.push()
		if res.Retrying != 1 || len(f.apiTimeOffs(empAda)) != 1 {
			t.Fatalf("first attempt: %+v, %d in the sandbox", res, len(f.apiTimeOffs(empAda)))
		}
		f.clk.Add(2 * time.Hour) // past the backoff
		if res := f.push(); res.Pushed != 1 {
			t.Fatalf("retry: %+v", res)
		}
		tos := f.apiTimeOffs(empAda)
		if len(tos) != 1 {
			t.Fatalf("duplicate in the sandbox after the retry: %+v", tos)
		}
		if got := f.absence(a.ID); got.PersonioID == nil || *got.PersonioID != int64(tos[0].ID) {
			t.Fatalf("the retry did not adopt the time-off: %v", got.PersonioID)
		}

		// Personio answered, the id was handed over, and the process died
		// before storing it on the absence: the next attempt adopts it too.
		s2, e2 := f.freeDays(empAda, 1, 1)
		b := f.request(f.ada, f.vacation, s2, e2, store.AbsenceApproved)
		var item store.OutboxItem
		for _, it := range f.outboxItems() {
			if it.RecordID == b.ID {
				item = it
			}
		}
		hr, err := absencesyncProvider(f)
		if err != nil {
			t.Fatal(err)
		}
		crash := func(string) error { return errCrash }
		if err := f.svc.Pusher().Push(ctx, hr, item, crash); err == nil {
			t.Fatal("the crash was not reported")
		}
		var saved string
		if err := f.svc.Pusher().Push(ctx, hr, item, func(id string) error { saved = id; return nil }); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, to := range f.apiTimeOffs(empAda) {
			if to.StartDate == s2 {
				n++
				if saved != strconv.Itoa(to.ID) {
					t.Fatalf("saved id %s, want %d", saved, to.ID)
				}
			}
		}
		if n != 1 {
			t.Fatalf("%d time-offs on %s after the crash and the retry, want 1", n, s2)
		}
	})
}

func absencesyncProvider(f *fx) (hris.Provider, error) {
	return f.providers(f.t.Context(), f.org, nil)
}

func TestOffMovesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, absencesync.LeadingOff, false)
		s, e := f.freeDays(empAda, 2, 0)
		a := f.request(f.ada, f.vacation, s, e, store.AbsenceApproved)
		res := f.run(store.ModeFull)
		if res != (absencesync.ImportResult{}) || len(f.absences()) != 1 || len(f.outboxItems()) != 0 || f.absence(a.ID).OutOfSync != "" {
			t.Fatalf("off: import %+v, %d absences, %d outbox items, mark %q", res, len(f.absences()), len(f.outboxItems()), f.absence(a.ID).OutOfSync)
		}
		if n := len(f.apiTimeOffs(empAda)); n != 0 {
			t.Fatalf("%d time-offs pushed while off", n)
		}

		// Queued while Roster led, switched off before the push: not sent.
		set, err := st.SyncSettings(t.Context(), f.org)
		if err != nil {
			t.Fatal(err)
		}
		set.AbsencesLeading = absencesync.LeadingRoster
		if err := st.SaveSyncSettings(t.Context(), set); err != nil {
			t.Fatal(err)
		}
		f.edit(a.ID, store.OutboxUpdate, func(a *store.Absence) { a.Comment = "queued" })
		if n := len(f.outboxItems()); n != 1 {
			t.Fatalf("%d items queued while Roster leads", n)
		}
		set.AbsencesLeading = absencesync.LeadingOff
		if err := st.SaveSyncSettings(t.Context(), set); err != nil {
			t.Fatal(err)
		}
		if res := f.push(); res.Failed != 1 || len(f.apiTimeOffs(empAda)) != 0 {
			t.Fatalf("push after switching off: %+v, %d in the sandbox", res, len(f.apiTimeOffs(empAda)))
		}
		if it := f.outboxItems()[0]; !strings.Contains(it.LastError, "no longer led by Roster") {
			t.Fatalf("reason: %q", it.LastError)
		}
	})
}

// TestPersonioDownDeletesNothing: a full run that cannot read the
// time-offs records a warning, keeps every imported absence and does not
// fail the employee sync.
func TestPersonioDownDeletesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, absencesync.LeadingPersonio, true)
		s, e := f.freeDays(empBob, 2, 0)
		if _, err := f.sb.AddTimeOff(sandbox.TimeOffInput{EmployeeID: empBob, TimeOffTypeID: f.typeVacation, StartDate: s, EndDate: e}); err != nil {
			t.Fatal(err)
		}
		f.run(store.ModeFull)
		before := len(f.absences())
		if before == 0 {
			t.Fatal("nothing imported to start with")
		}
		if err := f.sb.SetFaults(sandbox.Faults{Rate5xx: 1, Paths: []string{"/v1/company/time-offs"}}); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(time.Hour)
		res := f.run(store.ModeFull)
		if res.Failure == "" || res.Deleted != 0 {
			t.Fatalf("import while Personio fails: %+v", res)
		}
		if n := len(f.absences()); n != before {
			t.Fatalf("%d absences after a failed import, want %d", n, before)
		}
		var warns []store.SyncRunWarning
		st.DB().Where("org_id = ? AND code = ?", f.org, absencesync.WarnImportFailed).Find(&warns)
		if len(warns) != 1 || !strings.Contains(warns[0].Message, "could not be imported") {
			t.Fatalf("warnings: %+v", warns)
		}
		f.sb.ClearFaults()
		f.clk.Add(time.Hour)
		if res := f.run(store.ModeFull); res.Failure != "" || res.Unchanged != before {
			t.Fatalf("after recovery: %+v", res)
		}
	})
}
