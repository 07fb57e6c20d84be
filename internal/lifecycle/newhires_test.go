package lifecycle_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// newHireCount counts the recorded new hires of the organisation.
func (j *journey) newHireCount() int64 {
	j.t.Helper()
	var n int64
	if err := j.st.DB().Model(&store.HRNewHire{}).Where("org_id = ?", j.org.ID).Count(&n).Error; err != nil {
		j.t.Fatal(err)
	}
	return n
}

// invitations lists the invitation emails sent to addr.
func (j *journey) invitations(addr string) int {
	n := 0
	for _, m := range j.mails(addr) {
		if strings.Contains(m.Link, "/invite/") || strings.Contains(strings.ToLower(m.Subject), "invit") {
			n++
		}
	}
	return n
}

func TestNewHireNotifiesAdminsOnceAfterPartialSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		j.firstImport()
		// Neither the first import nor a later run without hires announces
		// the company.
		j.sync(store.ModeFull, store.TriggerSchedule)
		j.partial()
		for _, a := range []*store.User{j.owner, j.admin2} {
			if n := len(j.notes(a.ID)); n != 0 {
				t.Fatalf("%s has %d notifications after the import", a.Email, n)
			}
		}
		if n := len(j.mb.Messages()); n != 0 || j.newHireCount() != 0 {
			t.Fatalf("after the import: %d mails, %d new hires", n, j.newHireCount())
		}

		nina := j.hire("Nina", "Neu", func(in *sandbox.EmployeeInput) {
			in.Team, in.Position, in.HireDate = sandbox.Ptr("Platform"), sandbox.Ptr("Designer"), sandbox.Ptr(j.date(14))
		})
		j.partial()
		for _, a := range []*store.User{j.owner, j.admin2} {
			ns := j.notes(a.ID)
			if len(ns) != 1 {
				t.Fatalf("%s has %d notifications, want 1: %+v", a.Email, len(ns), ns)
			}
			n := ns[0]
			if n.Kind != notify.KindNewHire || n.Title != "New hire: Nina Neu" || n.Link != "/users/invite-hr?q=Nina+Neu" ||
				!strings.Contains(n.Body, "Designer, Platform") || !strings.Contains(n.Body, "Invite them") {
				t.Fatalf("notification %+v", n)
			}
			ms := j.mails(a.Email)
			if len(ms) != 1 || ms[0].Subject != "New hire: Nina Neu" || ms[0].Link != "http://roster.test/users/invite-hr?q=Nina+Neu" {
				t.Fatalf("mails to %s: %+v", a.Email, ms)
			}
		}
		if _, ok := j.userLinkedTo(nina.ID); ok {
			t.Fatal("with new hires on notify, a user was created")
		}

		// Idempotent: more syncs add nothing (the hire is still within the
		// look-back window of the partial sync).
		j.partial()
		j.sync(store.ModeFull, store.TriggerSchedule)
		if n, m := len(j.notes(j.owner.ID)), len(j.mb.Messages()); n != 1 || m != 2 {
			t.Fatalf("after more syncs: %d notifications, %d mails", n, m)
		}
		if j.newHireCount() != 1 {
			t.Fatalf("%d new hires recorded", j.newHireCount())
		}
	})
}

func TestNewHireAutoInvite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		boss := j.hire("Bea", "Boss", func(in *sandbox.EmployeeInput) { in.Team = sandbox.Ptr("Platform") })
		j.firstImport()
		bossUser := j.link(boss.ID, "bea.boss@acme.test")
		platform := j.team("Platform")
		j.mapTo(boss.ID, platform)
		j.settings(func(s *store.SyncSettings) { s.NewHires = lifecycle.NewHiresInvite })

		ivo := j.hire("Ivo", "Invite", func(in *sandbox.EmployeeInput) {
			in.Team, in.SupervisorID = sandbox.Ptr("Platform"), sandbox.Ptr(boss.ID)
			in.CostCenters = []sandbox.CostCenterShare{{Name: "CC-100 Engineering", Percentage: 100}}
		})
		j.partial()

		u, ok := j.userLinkedTo(ivo.ID)
		if !ok {
			t.Fatal("the new hire was not invited")
		}
		if u.Status != store.StatusInvited || u.Email != "ivo.invite@acme.test" || u.Name != "Ivo Invite" || u.Role != store.RoleMember || u.AccessFrom != "" {
			t.Fatalf("invited user %+v", u)
		}
		e := j.employee(ivo.ID)
		if u.HireDate != e.HireDate || u.CostCenter != "CC-100 Engineering" || u.PictureURL != e.ProfilePictureURL || u.JobTitle != "Engineer" {
			t.Fatalf("invited user lacks Personio fields: hire %q cc %q picture %q title %q", u.HireDate, u.CostCenter, u.PictureURL, u.JobTitle)
		}
		if u.ManagerID == nil || *u.ManagerID != bossUser.ID || u.ManagerSource != store.SourcePersonio {
			t.Fatalf("invited user's manager %v (%s), want %d", u.ManagerID, u.ManagerSource, bossUser.ID)
		}
		if b := j.user(bossUser.ID); b.Role != store.RoleManager || b.RoleSource != store.SourcePersonio {
			t.Fatalf("supervisor role %s/%s", b.Role, b.RoleSource)
		}
		if teams := memberships(t, st, j.org.ID, u.ID); len(teams) != 1 || teams[platform] == "" {
			t.Fatalf("invited user's teams %v, want Platform %d", teams, platform)
		}
		if n := j.invitations("ivo.invite@acme.test"); n != 1 {
			t.Fatalf("%d invitation mails", n)
		}
		ns := j.notes(j.owner.ID)
		if len(ns) != 1 || ns[0].Link != fmt.Sprintf("/users/%d", u.ID) || !strings.Contains(ns[0].Body, "invited automatically") {
			t.Fatalf("notification %+v", ns)
		}

		// Again: no second invitation, no second notification.
		j.partial()
		if n := j.invitations("ivo.invite@acme.test"); n != 1 {
			t.Fatalf("%d invitation mails after a second sync", n)
		}
		if n := len(j.notes(j.owner.ID)); n != 1 {
			t.Fatalf("%d notifications after a second sync", n)
		}
	})
}

func TestNewHireInvitedDaysAheadOfHireDate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		j.firstImport()
		j.settings(func(s *store.SyncSettings) {
			s.NewHires, s.AccessFromHireDate, s.InviteDaysAhead = lifecycle.NewHiresInvite, true, 3
		})
		start := j.date(10)
		hana := j.hire("Hana", "Ahead", func(in *sandbox.EmployeeInput) { in.HireDate = &start })
		j.partial()
		if _, ok := j.userLinkedTo(hana.ID); ok {
			t.Fatal("invited 10 days before the hire date")
		}
		h, err := st.NewHire(t.Context(), j.org.ID, int64(hana.ID))
		if err != nil {
			t.Fatal(err)
		}
		due := j.date(7)
		if h.InviteDue != due || h.HireDate != start {
			t.Fatalf("new hire %+v, want invite due %s", h, due)
		}
		ns := j.notes(j.owner.ID)
		if len(ns) != 1 || !strings.Contains(ns[0].Body, "invitation goes out on") {
			t.Fatalf("notification %+v", ns)
		}

		dueDay, err := time.ParseInLocation(time.DateOnly, due, j.loc)
		if err != nil {
			t.Fatal(err)
		}
		j.tick(dueDay.Add(-time.Minute)) // 23:59 the day before, Berlin
		if _, ok := j.userLinkedTo(hana.ID); ok {
			t.Fatal("invited before the due day")
		}
		j.tick(dueDay.Add(time.Minute))
		u, ok := j.userLinkedTo(hana.ID)
		if !ok {
			t.Fatal("not invited on the due day")
		}
		if u.Status != store.StatusInvited || u.AccessFrom != start || u.HireDate != start {
			t.Fatalf("invited user: status %s access from %q hire date %q, want %s", u.Status, u.AccessFrom, u.HireDate, start)
		}
		j.tick(dueDay.Add(2 * time.Hour))
		j.partial()
		if n := j.invitations("hana.ahead@acme.test"); n != 1 {
			t.Fatalf("%d invitation mails, want 1", n)
		}
		if h, _ := st.NewHire(t.Context(), j.org.ID, int64(hana.ID)); h.InvitedAt == nil || h.UserID == nil || *h.UserID != u.ID {
			t.Fatalf("new hire after the invitation %+v", h)
		}
		if n := len(j.notes(j.owner.ID)); n != 1 {
			t.Fatalf("%d notifications", n)
		}
	})
}

func TestManyNewHiresGiveOneSummary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		j.firstImport()
		for i := range lifecycle.NewHireBatchLimit + 1 {
			j.hire("Batch", fmt.Sprintf("Hire%02d", i), nil)
		}
		j.partial()
		ns := j.notes(j.owner.ID)
		want := fmt.Sprintf("%d new hires", lifecycle.NewHireBatchLimit+1)
		if len(ns) != 1 || ns[0].Kind != notify.KindNewHire || ns[0].Title != want || ns[0].Link != "/users/invite-hr" {
			t.Fatalf("notifications %+v, want one %q", ns, want)
		}
		if ms := j.mails(j.owner.Email); len(ms) != 1 || ms[0].Subject != want {
			t.Fatalf("mails %+v", ms)
		}
		j.partial()
		if n := len(j.notes(j.owner.ID)); n != 1 {
			t.Fatalf("%d notifications after a second sync", n)
		}
	})
}

// TestNewHireOfFailedRunNotifiedByNextRun: a run that wrote a hire to the
// mirror and then failed does not lose the hire: the next run announces it.
func TestNewHireOfFailedRunNotifiedByNextRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		failing := func(mode, trigger string) {
			t.Helper()
			j.failAfterRun = true
			defer func() { j.failAfterRun = false }()
			j.clk.Add(time.Minute)
			r, _, err := j.svc.Run(t.Context(), j.org.ID, hrsync.Request{Area: store.AreaEmployees, Mode: mode, Trigger: trigger})
			if err == nil && r.Status == store.RunSucceeded {
				t.Fatalf("the run did not fail: %+v", r)
			}
		}
		// A first import that failed after writing the whole mirror, then
		// a retry: the company is not announced, now or later.
		failing(store.ModeFull, store.TriggerFirstImport)
		j.firstImport()
		j.partial()
		j.sync(store.ModeFull, store.TriggerSchedule)
		if n := len(j.notes(j.owner.ID)); n != 0 || j.newHireCount() != 0 {
			t.Fatalf("after a failed and a good first import: %d notifications, %d new hires", n, j.newHireCount())
		}

		j.hire("Fay", "Failed", nil)
		failing(store.ModePartial, store.TriggerSchedule)
		j.partial()
		ns := j.notes(j.owner.ID)
		if len(ns) != 1 || ns[0].Title != "New hire: Fay Failed" {
			t.Fatalf("notifications after the failed run and the next: %+v", ns)
		}
	})
}

// TestNewHireInvitationFollowsMovedHireDate: when the hire date moves in
// Personio, the scheduled invitation and the first day of access move with
// it, before and after the invitation went out.
func TestNewHireInvitationFollowsMovedHireDate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		j.firstImport()
		j.settings(func(s *store.SyncSettings) {
			s.NewHires, s.AccessFromHireDate, s.InviteDaysAhead = lifecycle.NewHiresInvite, true, 3
		})
		day0, err := time.ParseInLocation(time.DateOnly, j.date(0), j.loc)
		if err != nil {
			t.Fatal(err)
		}
		at := func(days int) time.Time { return day0.AddDate(0, 0, days).Add(8 * time.Hour) }
		on := func(days int) string { return day0.AddDate(0, 0, days).Format(time.DateOnly) }

		mo := j.hire("Mo", "Moved", func(in *sandbox.EmployeeInput) { in.HireDate = sandbox.Ptr(on(10)) })
		j.partial()
		j.update(mo.ID, sandbox.EmployeeInput{HireDate: sandbox.Ptr(on(20))})
		j.partial()
		h, err := st.NewHire(t.Context(), j.org.ID, int64(mo.ID))
		if err != nil {
			t.Fatal(err)
		}
		if h.InviteDue != on(17) || h.HireDate != on(20) {
			t.Fatalf("after the hire date moved: invite due %q hire date %q, want %s and %s", h.InviteDue, h.HireDate, on(17), on(20))
		}
		j.tick(at(7))
		if _, ok := j.userLinkedTo(mo.ID); ok {
			t.Fatal("invited on the day the old hire date gave")
		}
		j.tick(at(17))
		u, ok := j.userLinkedTo(mo.ID)
		if !ok || u.AccessFrom != on(20) {
			t.Fatalf("on the new due day: invited %v, access from %q, want %s", ok, u.AccessFrom, on(20))
		}

		// Moved again after the invitation: access follows.
		j.update(mo.ID, sandbox.EmployeeInput{HireDate: sandbox.Ptr(on(22))})
		j.partial()
		if u := j.user(u.ID); u.AccessFrom != on(22) || u.HireDate != on(22) {
			t.Fatalf("after the invitation the hire date moved: access from %q hire date %q, want %s", u.AccessFrom, u.HireDate, on(22))
		}
		if n := j.invitations("mo.moved@acme.test"); n != 1 {
			t.Fatalf("%d invitation mails", n)
		}
	})
}

// TestExcludedNewHireNotInvited: a hire an admin excludes before the
// scheduled invitation is not invited, and the admins get no "not invited"
// warning for it.
func TestExcludedNewHireNotInvited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		j.firstImport()
		j.settings(func(s *store.SyncSettings) {
			s.NewHires, s.AccessFromHireDate, s.InviteDaysAhead = lifecycle.NewHiresInvite, true, 3
		})
		ex := j.hire("Ed", "Excluded", func(in *sandbox.EmployeeInput) { in.HireDate = sandbox.Ptr(j.date(10)) })
		j.partial()
		if _, err := st.ExcludeHREmployee(t.Context(), &store.HRExclusion{OrgID: j.org.ID, PersonioID: int64(ex.ID), ExcludedByID: &j.owner.ID}); err != nil {
			t.Fatal(err)
		}
		due, err := time.ParseInLocation(time.DateOnly, j.date(7), j.loc)
		if err != nil {
			t.Fatal(err)
		}
		j.tick(due.Add(time.Hour))
		j.partial()
		if _, ok := j.userLinkedTo(ex.ID); ok {
			t.Fatal("an excluded hire was invited")
		}
		if n := j.invitations("ed.excluded@acme.test"); n != 0 {
			t.Fatalf("%d invitation mails", n)
		}
		if ns := j.notes(j.owner.ID); len(ns) != 1 || ns[0].Title != "New hire: Ed Excluded" {
			t.Fatalf("notifications %+v, want only the hire", ns)
		}
		if h, _ := st.NewHire(t.Context(), j.org.ID, int64(ex.ID)); h.InviteDue != "" || h.InvitedAt != nil {
			t.Fatalf("excluded hire still scheduled: %+v", h)
		}
	})
}
