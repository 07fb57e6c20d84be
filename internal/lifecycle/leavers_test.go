package lifecycle_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// leaverFixture is an organisation in Europe/Berlin with an owner, a
// clock the test moves, and an Updater wired with notifications and email.
type leaverFixture struct {
	t     *testing.T
	st    *store.Store
	org   *store.Organization
	owner *store.User
	now   time.Time
	loc   *time.Location
	mb    *mail.Mailbox
	acc   *accounts.Service
	up    *lifecycle.Updater
	hash  int
}

func newLeaverFixture(t *testing.T, st *store.Store) *leaverFixture {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	f := &leaverFixture{t: t, st: st, loc: loc, mb: mail.NewMailbox()}
	f.now = time.Date(2026, 3, 10, 12, 0, 0, 0, loc)
	clock := func() time.Time { return f.now }
	f.org = &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin"}
	if err := st.CreateOrganization(t.Context(), f.org); err != nil {
		t.Fatal(err)
	}
	f.owner = &store.User{OrgID: f.org.ID, Email: "olga@acme.test", Name: "Olga", Role: store.RoleOwner, Status: store.StatusActive, PasswordHash: "x"}
	if err := st.CreateUser(t.Context(), f.owner); err != nil {
		t.Fatal(err)
	}
	f.acc = accounts.New(accounts.Options{Store: st, Mailer: f.mb, BaseURL: "http://roster.test", BcryptCost: 4, Now: clock})
	ntf := notify.New(st, f.acc.EmailUser, clock, nil)
	f.up = lifecycle.New(lifecycle.Options{Store: st, Now: clock, Notify: ntf, Accounts: f.acc})
	f.settings(func(s *store.SyncSettings) { s.SafeguardPercent, s.SafeguardMax = 100, 1000 })
	return f
}

func (f *leaverFixture) settings(fn func(*store.SyncSettings)) {
	f.t.Helper()
	s, err := f.st.SyncSettings(f.t.Context(), f.org.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	fn(s)
	if err := f.st.SaveSyncSettings(f.t.Context(), s); err != nil {
		f.t.Fatal(err)
	}
}

// employee mirrors a Personio employee and links a new active member with
// a live session to it; it returns the user id.
func (f *leaverFixture) employee(pid int64, status, lastDay string) int64 {
	f.t.Helper()
	f.hash++
	e := &store.HREmployee{OrgID: f.org.ID, PersonioID: pid, FirstName: "Emp", LastName: fmt.Sprint(pid), Status: status, LastWorkingDay: lastDay,
		RawHash: fmt.Sprintf("h%d", f.hash), InScope: true, FirstSeenAt: f.now.UTC(), LastSyncedAt: f.now.UTC()}
	if err := f.st.DB().Create(e).Error; err != nil {
		f.t.Fatal(err)
	}
	u := &store.User{OrgID: f.org.ID, Email: fmt.Sprintf("e%d@acme.test", pid), Name: fmt.Sprintf("Emp %d", pid), Role: store.RoleMember,
		Status: store.StatusActive, PasswordHash: "x", PersonioID: &pid}
	if err := f.st.CreateUser(f.t.Context(), u); err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.CreateSession(f.t.Context(), &store.Session{ID: fmt.Sprintf("sess-%d", u.ID), UserID: u.ID, OrgID: f.org.ID,
		CreatedAt: f.now.UTC(), ExpiresAt: f.now.UTC().Add(90 * 24 * time.Hour), LastSeenAt: f.now.UTC()}); err != nil {
		f.t.Fatal(err)
	}
	return u.ID
}

// change rewrites an employee's status and last day as a sync would (new
// record hash).
func (f *leaverFixture) change(pid int64, status, lastDay string) {
	f.t.Helper()
	f.hash++
	err := f.st.DB().Model(&store.HREmployee{}).Where("org_id = ? AND personio_id = ?", f.org.ID, pid).
		Updates(map[string]any{"status": status, "last_working_day": lastDay, "raw_hash": fmt.Sprintf("h%d", f.hash)}).Error
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *leaverFixture) run() *store.SyncRun {
	f.t.Helper()
	r := &store.SyncRun{OrgID: f.org.ID, Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerCLI, Status: store.RunRunning,
		StartedAt: f.now.UTC(), HeartbeatAt: f.now.UTC()}
	if err := f.st.DB().Create(r).Error; err != nil {
		f.t.Fatal(err)
	}
	if err := f.up.AfterRun(f.t.Context(), r); err != nil {
		f.t.Fatal(err)
	}
	got, err := f.st.SyncRun(f.t.Context(), f.org.ID, r.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

func (f *leaverFixture) tick(at time.Time) {
	f.t.Helper()
	f.now = at
	if err := f.up.Tick(f.t.Context(), f.org.ID); err != nil {
		f.t.Fatal(err)
	}
}

func (f *leaverFixture) user(id int64) *store.User {
	f.t.Helper()
	u, err := f.st.User(f.t.Context(), f.org.ID, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *leaverFixture) hasSession(id int64) bool {
	f.t.Helper()
	_, err := f.st.SessionWithUser(f.t.Context(), fmt.Sprintf("sess-%d", id), f.now.UTC())
	return err == nil
}

func (f *leaverFixture) admin() roster.Actor {
	return roster.Actor{UserID: f.owner.ID, OrgID: f.org.ID, Name: f.owner.Name, Role: store.RoleOwner}
}

func (f *leaverFixture) berlin(y int, m time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, m, d, h, mi, s, 0, f.loc)
}

func TestLeaverDeactivatedAfterLastDayInOrgTimeZone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newLeaverFixture(t, st)
		leaver := f.employee(1, "active", "2026-03-11") // last working day tomorrow
		moved := f.employee(2, "active", "2026-03-20")
		f.run()

		u := f.user(leaver)
		want := f.berlin(2026, 3, 12, 0, 0, 0)
		if u.Status != store.StatusActive || u.DeactivateAt == nil || !u.DeactivateAt.Equal(want) || u.DeactivationReason != accounts.ReasonPersonioLeaver {
			t.Fatalf("after the run: status %s, deactivate_at %v (want %v), reason %q", u.Status, u.DeactivateAt, want, u.DeactivationReason)
		}
		for _, at := range []time.Time{f.berlin(2026, 3, 10, 23, 59, 59), f.berlin(2026, 3, 11, 23, 59, 0)} {
			f.tick(at)
			if s := f.user(leaver).Status; s != store.StatusActive || !f.hasSession(leaver) {
				t.Fatalf("deactivated (or logged out) at %v, before the end of the last day", at)
			}
		}
		f.tick(f.berlin(2026, 3, 12, 0, 0, 1))
		u = f.user(leaver)
		if u.Status != store.StatusDeactivated || u.DeactivationReason != accounts.ReasonPersonioLeaver || f.hasSession(leaver) {
			t.Fatalf("right after midnight: status %s reason %q session %v", u.Status, u.DeactivationReason, f.hasSession(leaver))
		}

		// The last day moves in Personio: the deactivation follows; then it
		// is cleared.
		if got := f.user(moved).DeactivateAt; got == nil || !got.Equal(f.berlin(2026, 3, 21, 0, 0, 0)) {
			t.Fatalf("moved: deactivate_at %v", got)
		}
		f.change(2, "active", "2026-03-25")
		f.run()
		if got := f.user(moved).DeactivateAt; got == nil || !got.Equal(f.berlin(2026, 3, 26, 0, 0, 0)) {
			t.Fatalf("rescheduled: deactivate_at %v", got)
		}
		f.change(2, "active", "")
		f.run()
		if u := f.user(moved); u.DeactivateAt != nil || u.DeactivationReason != "" {
			t.Fatalf("cleared: deactivate_at %v reason %q", u.DeactivateAt, u.DeactivationReason)
		}

		// Grace days shift the moment.
		f.settings(func(s *store.SyncSettings) { s.GraceDays = 2 })
		graced := f.employee(3, "active", "2026-03-12")
		f.run()
		f.tick(f.berlin(2026, 3, 14, 23, 59, 0))
		if s := f.user(graced).Status; s != store.StatusActive {
			t.Fatalf("grace: deactivated before the grace days ended (%s)", s)
		}
		f.tick(f.berlin(2026, 3, 15, 0, 0, 1))
		if s := f.user(graced).Status; s != store.StatusDeactivated {
			t.Fatalf("grace: not deactivated after the grace days (%s)", s)
		}
	})
}

func TestInactiveDeactivatedAtOnceAndUndoRestoresLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newLeaverFixture(t, st)
		ctx := t.Context()
		mgr := f.employee(1, "active", "")
		report := f.employee(2, "active", "")
		gone := f.employee(3, "active", "")
		team := &store.Team{OrgID: f.org.ID, Name: "Sales", ManagerID: &mgr, ApproverID: &mgr}
		other := &store.Team{OrgID: f.org.ID, Name: "Ops"}
		for _, tm := range []*store.Team{team, other} {
			if err := st.CreateTeam(ctx, tm); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range []store.TeamMember{{TeamID: team.ID, UserID: mgr, Source: "personio"}, {TeamID: other.ID, UserID: mgr, Source: "manual"}} {
			m.OrgID = f.org.ID
			if err := st.AddTeamMember(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.UpdateUserFields(ctx, f.org.ID, report, map[string]any{"manager_id": mgr, "manager_source": "personio"}); err != nil {
			t.Fatal(err)
		}
		// The report's employee is supervised by the manager's in Personio.
		if err := st.DB().Model(&store.HREmployee{}).Where("org_id = ? AND personio_id = ?", f.org.ID, 2).Update("supervisor_id", 1).Error; err != nil {
			t.Fatal(err)
		}

		f.change(1, "inactive", "")
		removedAt := f.now.UTC()
		if err := st.DB().Model(&store.HREmployee{}).Where("org_id = ? AND personio_id = ?", f.org.ID, 3).Update("removed_at", removedAt).Error; err != nil {
			t.Fatal(err)
		}
		run := f.run()
		if run.DeactivatedCount != 2 {
			t.Errorf("run deactivated %d, want 2", run.DeactivatedCount)
		}
		u := f.user(mgr)
		if u.Status != store.StatusDeactivated || u.DeactivationReason != accounts.ReasonPersonioInactive || f.hasSession(mgr) {
			t.Fatalf("inactive employee's user: status %s reason %q session %v", u.Status, u.DeactivationReason, f.hasSession(mgr))
		}
		if r := f.user(gone).DeactivationReason; r != accounts.ReasonPersonioRemoved {
			t.Errorf("removed employee's reason %q", r)
		}
		tm, _ := st.Team(ctx, f.org.ID, team.ID)
		if tm.ManagerID != nil || tm.ApproverID != nil || f.user(report).ManagerID != nil {
			t.Fatal("manager/approver links kept after deactivation")
		}
		if ms, _ := st.MembershipsOfUsers(ctx, f.org.ID, []int64{mgr}); len(ms) != 0 {
			t.Fatalf("memberships kept: %v", ms)
		}
		d, err := st.LatestUserDeactivation(ctx, f.org.ID, mgr)
		if err != nil {
			t.Fatal(err)
		}
		var sn accounts.DeactivationSnapshot
		if err := json.Unmarshal([]byte(d.Snapshot), &sn); err != nil {
			t.Fatal(err)
		}
		if len(sn.Memberships) != 2 || len(sn.ManagerOf) != 1 || len(sn.ApproverOf) != 1 || len(sn.Reports) != 1 || sn.Reports[0].UserID != report {
			t.Fatalf("snapshot %s", d.Snapshot)
		}
		events, _, err := st.ListAudit(ctx, f.org.ID, store.AuditFilter{Action: accounts.ActionDeactivated})
		if err != nil || len(events) != 2 || events[0].ActorName != lifecycle.ActorName {
			t.Fatalf("audit %v %+v", err, events)
		}

		// Undo restores everything; the next sync leaves the user alone
		// until Personio changes the record.
		if err := f.acc.UndoDeactivation(ctx, f.admin(), mgr); err != nil {
			t.Fatal(err)
		}
		tm, _ = st.Team(ctx, f.org.ID, team.ID)
		if tm.ManagerID == nil || *tm.ManagerID != mgr || tm.ApproverID == nil || *tm.ApproverID != mgr {
			t.Fatalf("team roles not restored: %v %v", tm.ManagerID, tm.ApproverID)
		}
		if m := f.user(report).ManagerID; m == nil || *m != mgr {
			t.Fatal("report's manager not restored")
		}
		ms, _ := st.MembershipsOfUsers(ctx, f.org.ID, []int64{mgr})
		if len(ms) != 2 || ms[0].Source == ms[1].Source {
			t.Fatalf("memberships not restored with their source: %+v", ms)
		}
		if u := f.user(mgr); u.Status != store.StatusActive || u.DeactivationReason != "" {
			t.Fatalf("after undo: %s %q", u.Status, u.DeactivationReason)
		}
		f.run()
		if s := f.user(mgr).Status; s != store.StatusActive {
			t.Fatal("the sync deactivated an undone user again although Personio did not change")
		}
		f.change(1, "inactive", "2026-03-01")
		f.run()
		if s := f.user(mgr).Status; s != store.StatusDeactivated {
			t.Fatal("the sync ignored a changed Personio record after an undo")
		}
	})
}

func TestLockOnLastDayAndRehire(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newLeaverFixture(t, st)
		ctx := t.Context()
		f.settings(func(s *store.SyncSettings) { s.LockOnLastDay = true })
		id := f.employee(1, "active", "2026-03-09") // last day yesterday
		team := &store.Team{OrgID: f.org.ID, Name: "Sales"}
		if err := st.CreateTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		if err := st.AddTeamMember(ctx, &store.TeamMember{OrgID: f.org.ID, TeamID: team.ID, UserID: id, Source: "manual"}); err != nil {
			t.Fatal(err)
		}
		f.run()
		u := f.user(id)
		if u.LockedAt == nil || u.Status != store.StatusActive || f.hasSession(id) {
			t.Fatalf("lock: locked %v status %s session %v", u.LockedAt, u.Status, f.hasSession(id))
		}
		if ms, _ := st.MembershipsOfUsers(ctx, f.org.ID, []int64{id}); len(ms) != 1 {
			t.Fatal("locking removed the team membership")
		}

		// Rehired in Personio: unlocked.
		f.change(1, "active", "")
		f.run()
		if u := f.user(id); u.Locked() || u.Status != store.StatusActive {
			t.Fatalf("rehire: locked %v status %s", u.LockedAt, u.Status)
		}

		// Without locking: a rehire reactivates the deactivated user with
		// their teams.
		f.settings(func(s *store.SyncSettings) { s.LockOnLastDay = false })
		f.change(1, "inactive", "2026-03-09")
		f.run()
		if s := f.user(id).Status; s != store.StatusDeactivated {
			t.Fatalf("status %s", s)
		}
		f.change(1, "active", "")
		f.run()
		if s := f.user(id).Status; s != store.StatusActive {
			t.Fatalf("rehire: status %s", s)
		}
		if ms, _ := st.MembershipsOfUsers(ctx, f.org.ID, []int64{id}); len(ms) != 1 {
			t.Fatal("rehire did not restore the team membership")
		}
		events, _, _ := st.ListAudit(ctx, f.org.ID, store.AuditFilter{Action: lifecycle.ActionRehired})
		if len(events) != 2 {
			t.Fatalf("rehire audits: %d", len(events))
		}
	})
}

func TestSafeguardHoldsConfirmAndDiscard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newLeaverFixture(t, st)
		ctx := t.Context()
		f.settings(func(s *store.SyncSettings) { s.SafeguardPercent, s.SafeguardMax = 10, 20 })
		var ids []int64
		for pid := int64(1); pid <= 10; pid++ {
			ids = append(ids, f.employee(pid, "active", ""))
		}
		for pid := int64(1); pid <= 3; pid++ {
			f.change(pid, "inactive", "")
		}
		run := f.run()
		if run.DeactivatedCount != 0 {
			t.Fatalf("run deactivated %d despite the safeguard", run.DeactivatedCount)
		}
		for _, id := range ids[:3] {
			if s := f.user(id).Status; s != store.StatusActive || !f.hasSession(id) {
				t.Fatal("a held user was deactivated")
			}
		}
		hold, err := st.PendingSyncHold(ctx, f.org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if hold.Affected != 3 || hold.LinkedTotal != 10 || hold.RunID == nil || *hold.RunID != run.ID {
			t.Fatalf("hold %+v", hold)
		}
		notes, _, err := st.Notifications(ctx, f.org.ID, f.owner.ID, false, 10, 0)
		if err != nil || len(notes) != 1 || notes[0].Kind != notify.KindSafeguard || notes[0].Link != "/settings/hr" {
			t.Fatalf("notifications %v %+v", err, notes)
		}
		var mailed int
		for _, m := range f.mb.Messages() {
			if m.To == f.owner.Email && strings.Contains(m.Subject, "3 users would be deactivated") {
				mailed++
			}
		}
		if mailed != 1 {
			t.Fatalf("%d safeguard emails", mailed)
		}

		// Later runs and ticks update the hold; nothing is applied.
		f.run()
		f.tick(f.now.Add(15 * time.Minute))
		var holds int64
		st.DB().Model(&store.SyncHold{}).Where("org_id = ?", f.org.ID).Count(&holds)
		if holds != 1 || f.user(ids[0]).Status != store.StatusActive {
			t.Fatalf("%d holds, first user %s", holds, f.user(ids[0]).Status)
		}
		sum, err := f.up.PendingHold(ctx, f.admin())
		if err != nil || sum == nil || len(sum.Users) != 3 || sum.Percent != 30 {
			t.Fatalf("summary %v %+v", err, sum)
		}

		// Confirm applies them.
		n, err := f.up.ConfirmHold(ctx, f.admin(), hold.ID)
		if err != nil || n != 3 {
			t.Fatalf("confirm: %d %v", n, err)
		}
		for _, id := range ids[:3] {
			if s := f.user(id).Status; s != store.StatusDeactivated {
				t.Fatalf("confirmed user %d: %s", id, s)
			}
		}
		if _, err := f.up.ConfirmHold(ctx, f.admin(), hold.ID); roster.FieldErrors(err) == nil {
			t.Fatalf("confirming twice: %v", err)
		}

		// Discard: the users are kept and the next run does not trip again.
		for pid := int64(4); pid <= 6; pid++ {
			f.change(pid, "inactive", "")
		}
		f.run()
		hold2, err := st.PendingSyncHold(ctx, f.org.ID)
		if err != nil || hold2.ID == hold.ID || hold2.Affected != 3 {
			t.Fatalf("second hold %v %+v", err, hold2)
		}
		if n, err := f.up.DiscardHold(ctx, f.admin(), hold2.ID); err != nil || n != 3 {
			t.Fatalf("discard: %d %v", n, err)
		}
		f.run()
		if _, err := st.PendingSyncHold(ctx, f.org.ID); err == nil {
			t.Fatal("the run after a discard tripped the safeguard again")
		}
		for _, id := range ids[3:6] {
			if s := f.user(id).Status; s != store.StatusActive {
				t.Fatalf("discarded user %d: %s", id, s)
			}
		}
		for _, action := range []string{lifecycle.ActionHoldConfirm, lifecycle.ActionHoldDiscard} {
			if es, _, _ := st.ListAudit(ctx, f.org.ID, store.AuditFilter{Action: action}); len(es) != 1 {
				t.Errorf("%s audited %d times", action, len(es))
			}
		}
	})
}
