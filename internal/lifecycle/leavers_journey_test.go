package lifecycle_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// The leaver journeys drive the sandbox company and the real employee
// sync (journey_test.go); nothing here writes the employee mirror.

const leaverPassword = "Tr0ub4dor&3-horse"

// leaverJourney is a journey with an accounts service on the same clock,
// to log in and hold sessions the way the web layer does.
type leaverJourney struct {
	*journey
	acc *accounts.Service
}

func newLeaverJourney(t *testing.T, st *store.Store) *leaverJourney {
	t.Helper()
	j := newJourney(t, st)
	acc := accounts.New(accounts.Options{Store: st, Mailer: j.mb, BaseURL: "http://roster.test", BcryptCost: 4, Now: j.clk.Now})
	return &leaverJourney{journey: j, acc: acc}
}

// staff hires an employee of team Platform, in the company for a year,
// into the sandbox; after the first import, linkUser links a member to it.
func (j *leaverJourney) staff(first, last string, edit func(*sandbox.EmployeeInput)) sandbox.Employee {
	j.t.Helper()
	return j.hire(first, last, func(in *sandbox.EmployeeInput) {
		in.HireDate, in.Team = sandbox.Ptr(j.date(-365)), sandbox.Ptr("Platform")
		if edit != nil {
			edit(in)
		}
	})
}

// linkUser links a new active member to the employee, gives them a
// password and logs them in; it returns the user and the session token.
func (j *leaverJourney) linkUser(e sandbox.Employee) (*store.User, string) {
	j.t.Helper()
	u := j.link(e.ID, strings.ToLower(e.Email))
	hash, err := auth.Hasher{Cost: 4}.Hash(leaverPassword)
	if err != nil {
		j.t.Fatal(err)
	}
	if err := j.st.UpdateUserFields(j.t.Context(), j.org.ID, u.ID, map[string]any{"password_hash": hash}); err != nil {
		j.t.Fatal(err)
	}
	u = j.user(u.ID)
	lu, err := j.acc.Login(j.t.Context(), u.Email, leaverPassword, "203.0.113.9", j.org.Slug)
	if err != nil || lu.ID != u.ID {
		j.t.Fatalf("login of %s before leaving: %v", u.Email, err)
	}
	token, err := j.acc.StartSession(j.t.Context(), u, "203.0.113.9", "journey-test")
	if err != nil {
		j.t.Fatal(err)
	}
	if au, _, err := j.acc.Authenticate(j.t.Context(), token); err != nil || au.ID != u.ID {
		j.t.Fatalf("session of %s does not work before leaving: %v", u.Email, err)
	}
	return u, token
}

// sessionStored reports whether the session row still exists (checked in
// the store, as Authenticate itself ends the sessions of a user it refuses).
func (j *leaverJourney) sessionStored(token string) bool {
	j.t.Helper()
	_, err := j.st.SessionWithUser(j.t.Context(), auth.HashToken(token), j.clk.Now().UTC())
	if err != nil && !errors.Is(err, roster.ErrNotFound) {
		j.t.Fatal(err)
	}
	return err == nil
}

func (j *leaverJourney) ownerActor() roster.Actor {
	return roster.Actor{UserID: j.owner.ID, OrgID: j.org.ID, Name: j.owner.Name, Role: store.RoleOwner}
}

func (j *leaverJourney) berlin(day string, h, m int) time.Time {
	j.t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, day, j.loc)
	if err != nil {
		j.t.Fatal(err)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, j.loc)
}

func (j *leaverJourney) holds() int64 {
	j.t.Helper()
	var n int64
	if err := j.st.DB().Model(&store.SyncHold{}).Where("org_id = ?", j.org.ID).Count(&n).Error; err != nil {
		j.t.Fatal(err)
	}
	return n
}

func notesOfKind(ns []store.Notification, kind string) []store.Notification {
	var out []store.Notification
	for _, n := range ns {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// targets reports whether the audit event is about the user id.
func targets(e store.AuditEvent, id int64) bool { return e.TargetID != nil && *e.TargetID == id }

func addDays(day string, n int) string {
	d, _ := time.Parse(time.DateOnly, day)
	return d.AddDate(0, 0, n).Format(time.DateOnly)
}

// terminateTomorrow terminates e in the sandbox with the last working day
// tomorrow (in Berlin), runs a partial sync and checks the deactivation
// was scheduled for the end of that day plus grace days; it returns the
// last working day.
func (j *leaverJourney) terminateTomorrow(e sandbox.Employee, u *store.User, grace int) string {
	j.t.Helper()
	lastDay := j.date(1)
	got, err := j.sb.Terminate(e.ID, sandbox.Termination{LastWorkingDay: lastDay, Type: "employee", Reason: "New job"})
	if err != nil {
		j.t.Fatal(err)
	}
	if got.Status != "active" {
		j.t.Fatalf("sandbox status after a termination with the last day tomorrow: %q, want active", got.Status)
	}
	run := j.partial()
	if run.DeactivatedCount != 0 {
		j.t.Fatalf("the sync deactivated %d users the day before the last working day", run.DeactivatedCount)
	}
	want := j.berlin(addDays(lastDay, 1+grace), 0, 0)
	got2 := j.user(u.ID)
	if got2.Status != store.StatusActive || got2.Locked() || got2.DeactivateAt == nil || !got2.DeactivateAt.Equal(want) ||
		got2.DeactivationReason != accounts.ReasonPersonioLeaver {
		j.t.Fatalf("after the sync: status %s, locked %v, deactivate_at %v (want %v = end of %s in Berlin + %d grace days), reason %q",
			got2.Status, got2.LockedAt, got2.DeactivateAt, want, lastDay, grace, got2.DeactivationReason)
	}
	if got2.LastWorkingDay != lastDay {
		j.t.Fatalf("user's last working day %q, Personio %q", got2.LastWorkingDay, lastDay)
	}
	if es := j.audits(lifecycle.ActionScheduled); len(es) != 1 || !targets(es[0], u.ID) {
		j.t.Fatalf("scheduling audits: %+v", es)
	}
	return lastDay
}

// TestJourneyLeaverDeactivatedAfterLastDayInBerlin: a termination with the
// last working day tomorrow, seen by a partial sync, deactivates the user
// only once that day (plus the grace days) has ended in Europe/Berlin; the
// session stops working at that moment.
func TestJourneyLeaverDeactivatedAfterLastDayInBerlin(t *testing.T) {
	cases := []struct {
		name  string
		grace int
		start time.Time // zero: the journey's default day
	}{
		{name: "grace=0", grace: 0},
		{name: "grace=1", grace: 1},
		// Last day Saturday 28 March 2026; the clocks go forward in the
		// night of the grace day: the end is midnight CEST, not CET.
		{name: "grace=1 across the change to summer time", grace: 1, start: time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		grace := tc.grace
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				j := newLeaverJourney(t, st)
				if !tc.start.IsZero() {
					j.clk.Set(tc.start)
				}
				j.settings(func(s *store.SyncSettings) { s.GraceDays = grace })
				lena := j.staff("Lena", "Leaver", nil)
				j.firstImport()
				u, token := j.linkUser(lena)
				lastDay := j.terminateTomorrow(lena, u, grace)

				// A sync on the last day itself changes nothing.
				j.clk.Set(j.berlin(lastDay, 17, 30))
				j.partial()

				// Still active right up to the end of the last day (+ grace).
				before := []time.Time{j.berlin(lastDay, 23, 59), j.berlin(addDays(lastDay, grace), 23, 59)}
				if grace > 0 {
					before = append(before, j.berlin(addDays(lastDay, 1), 0, 0))
				}
				for _, at := range before {
					j.tick(at)
					got := j.user(u.ID)
					if got.Status != store.StatusActive || got.Locked() {
						t.Fatalf("at %v (Berlin): status %s, locked %v; want still active", at, got.Status, got.LockedAt)
					}
					if au, _, err := j.acc.Authenticate(t.Context(), token); err != nil || au.ID != u.ID {
						t.Fatalf("at %v (Berlin) the session stopped working: %v", at, err)
					}
				}

				end := j.berlin(addDays(lastDay, 1+grace), 0, 0)
				j.tick(end)
				got := j.user(u.ID)
				if got.Status != store.StatusDeactivated || got.DeactivationReason != accounts.ReasonPersonioLeaver || got.DeactivatedAt == nil {
					t.Fatalf("at %v (Berlin): status %s, reason %q, deactivated_at %v", end, got.Status, got.DeactivationReason, got.DeactivatedAt)
				}
				if !got.DeactivatedAt.Equal(end) {
					t.Errorf("deactivated_at %v, want %v", got.DeactivatedAt, end)
				}
				if j.sessionStored(token) {
					t.Fatal("the deactivation left the user's session in place")
				}
				if _, _, err := j.acc.Authenticate(t.Context(), token); !errors.Is(err, roster.ErrNotFound) {
					t.Fatalf("authenticate with the old session after deactivation: %v, want not found", err)
				}
				if _, err := j.acc.Login(t.Context(), u.Email, leaverPassword, "203.0.113.9", j.org.Slug); !errors.Is(err, accounts.ErrBadLogin) {
					t.Fatalf("login of a deactivated user: %v, want the bad-login error", err)
				}
				if es := j.audits(accounts.ActionDeactivated); len(es) != 1 || !targets(es[0], u.ID) || es[0].ActorName != lifecycle.ActorName ||
					!strings.Contains(es[0].Details, accounts.ReasonText(accounts.ReasonPersonioLeaver)) {
					t.Fatalf("deactivation audit: %+v", es)
				}
				if ns := notesOfKind(j.notes(j.owner.ID), notify.KindDeactivated); len(ns) != 1 || !strings.Contains(ns[0].Title, got.Name) {
					t.Fatalf("owner's deactivation notifications: %+v", ns)
				}

				// Later syncs keep the leaver deactivated (no rehire).
				j.partial()
				j.sync(store.ModeFull, store.TriggerSchedule)
				if got := j.user(u.ID); got.Status != store.StatusDeactivated {
					t.Fatalf("a later sync changed the leaver to %s", got.Status)
				}
			})
		})
	}
}

// TestJourneyInactiveDeactivatedAtOnceAndRehired: an employee turned
// inactive in the sandbox loses access with the next sync; rehired, the
// next sync gives it back.
func TestJourneyInactiveDeactivatedAtOnceAndRehired(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newLeaverJourney(t, st)
		ivan := j.staff("Ivan", "Inactive", nil)
		stay := j.staff("Stella", "Stays", nil)
		j.firstImport()
		u, token := j.linkUser(ivan)
		other, otherToken := j.linkUser(stay)

		j.update(ivan.ID, sandbox.EmployeeInput{Status: sandbox.Ptr("inactive")})
		run := j.partial()
		if run.DeactivatedCount != 1 {
			t.Errorf("run deactivated %d users, want 1", run.DeactivatedCount)
		}
		got := j.user(u.ID)
		if got.Status != store.StatusDeactivated || got.DeactivationReason != accounts.ReasonPersonioInactive {
			t.Fatalf("after the sync: status %s, reason %q", got.Status, got.DeactivationReason)
		}
		if j.sessionStored(token) {
			t.Fatal("the deactivation left the session in place")
		}
		if _, _, err := j.acc.Authenticate(t.Context(), token); !errors.Is(err, roster.ErrNotFound) {
			t.Fatalf("authenticate after deactivation: %v", err)
		}
		if o := j.user(other.ID); o.Status != store.StatusActive || !j.sessionStored(otherToken) {
			t.Fatalf("an unchanged employee's user was touched: %s", o.Status)
		}

		// Rehired in Personio.
		j.clk.Add(24 * time.Hour)
		if _, err := j.sb.Rehire(ivan.ID, sandbox.Rehire{HireDate: j.date(0)}); err != nil {
			t.Fatal(err)
		}
		j.partial()
		got = j.user(u.ID)
		if got.Status != store.StatusActive || got.DeactivationReason != "" || got.DeactivatedAt != nil || got.Locked() {
			t.Fatalf("after the rehire: status %s, reason %q, deactivated_at %v, locked %v", got.Status, got.DeactivationReason, got.DeactivatedAt, got.LockedAt)
		}
		if es := j.audits(lifecycle.ActionRehired); len(es) != 1 || !targets(es[0], u.ID) {
			t.Fatalf("rehire audits: %+v", es)
		}
		if _, err := j.acc.Login(t.Context(), u.Email, leaverPassword, "203.0.113.9", j.org.Slug); err != nil {
			t.Fatalf("the rehired user cannot log in: %v", err)
		}
		// And stays active on the following sync.
		j.partial()
		if s := j.user(u.ID).Status; s != store.StatusActive {
			t.Fatalf("the sync after the rehire set %s", s)
		}
	})
}

// safeguardJourney links ten employees (default safeguard: 10 %, 20
// people), turns three inactive in the sandbox and syncs; the sync must
// hold the deactivations. It returns the ten users, the three leavers'
// sessions and the hold.
func safeguardJourney(t *testing.T, j *leaverJourney) ([]*store.User, []string, *store.SyncHold) {
	t.Helper()
	j.settings(func(s *store.SyncSettings) {
		d := store.DefaultSyncSettings(s.OrgID)
		s.SafeguardPercent, s.SafeguardMax = d.SafeguardPercent, d.SafeguardMax
	})
	if d := store.DefaultSyncSettings(j.org.ID); d.SafeguardPercent != 10 || d.SafeguardMax != 20 {
		t.Fatalf("default safeguard %d %% / %d people, want 10 %% / 20", d.SafeguardPercent, d.SafeguardMax)
	}
	var emps []sandbox.Employee
	for i := range 10 {
		emps = append(emps, j.staff("Sam", fmt.Sprintf("Safe%02d", i), nil))
	}
	j.firstImport()
	var users []*store.User
	var tokens []string
	for i, e := range emps {
		u, tok := j.linkUser(e)
		users = append(users, u)
		if i < 3 {
			tokens = append(tokens, tok)
		}
	}
	for _, e := range emps[:3] {
		if _, err := j.sb.Terminate(e.ID, sandbox.Termination{LastWorkingDay: j.date(-1), Status: "inactive"}); err != nil {
			t.Fatal(err)
		}
	}
	run := j.partial()
	if run.DeactivatedCount != 0 {
		t.Fatalf("the sync deactivated %d users despite the safeguard", run.DeactivatedCount)
	}
	for i, u := range users {
		if got := j.user(u.ID); got.Status != store.StatusActive || got.Locked() {
			t.Fatalf("user %d: status %s locked %v; the safeguard applied something", i, got.Status, got.LockedAt)
		}
	}
	for _, tok := range tokens {
		if _, _, err := j.acc.Authenticate(t.Context(), tok); err != nil {
			t.Fatalf("a held user lost the session: %v", err)
		}
	}
	hold, err := j.st.PendingSyncHold(t.Context(), j.org.ID)
	if err != nil {
		t.Fatalf("no pending hold: %v", err)
	}
	if hold.Affected != 3 || hold.LinkedTotal != 10 || hold.RunID == nil || *hold.RunID != run.ID {
		t.Fatalf("hold %+v (run %d)", hold, run.ID)
	}
	sum, err := j.up.PendingHold(t.Context(), j.ownerActor())
	if err != nil || sum == nil {
		t.Fatalf("pending hold summary: %v %v", sum, err)
	}
	var held []int64
	for _, hu := range sum.Users {
		held = append(held, hu.ID)
		if hu.Reason != accounts.ReasonText(accounts.ReasonPersonioInactive) {
			t.Errorf("held user %s: reason %q", hu.Email, hu.Reason)
		}
	}
	if want := []int64{users[0].ID, users[1].ID, users[2].ID}; !slices.Equal(held, want) || sum.Percent != 30 {
		t.Fatalf("hold lists users %v (%d %%), want %v (30 %%)", held, sum.Percent, want)
	}
	for _, admin := range []*store.User{j.owner, j.admin2} {
		ns := notesOfKind(j.notes(admin.ID), notify.KindSafeguard)
		if len(ns) != 1 || ns[0].Link != "/settings/hr" || !strings.Contains(ns[0].Title, "3 users would be deactivated") {
			t.Fatalf("%s's safeguard notifications: %+v", admin.Email, ns)
		}
		var mailed int
		for _, m := range j.mails(admin.Email) {
			if strings.Contains(m.Subject, "3 users would be deactivated") {
				mailed++
			}
		}
		if mailed != 1 {
			t.Fatalf("%s got %d safeguard emails, want 1", admin.Email, mailed)
		}
	}
	if ns := notesOfKind(j.notes(users[5].ID), notify.KindSafeguard); len(ns) != 0 {
		t.Fatal("a member was notified of the safeguard")
	}
	return users, tokens, hold
}

// TestJourneySafeguardConfirm: 30 % of the linked users turned inactive in
// the sandbox; the sync holds and asks the admins; confirming deactivates
// exactly them.
func TestJourneySafeguardConfirm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newLeaverJourney(t, st)
		users, tokens, hold := safeguardJourney(t, j)

		n, err := j.up.ConfirmHold(t.Context(), j.ownerActor(), hold.ID)
		if err != nil || n != 3 {
			t.Fatalf("confirm: %d, %v; want 3", n, err)
		}
		for i, u := range users {
			got := j.user(u.ID)
			want := store.StatusActive
			if i < 3 {
				want = store.StatusDeactivated
			}
			if got.Status != want {
				t.Fatalf("user %d after confirming: %s, want %s", i, got.Status, want)
			}
			if i < 3 && got.DeactivationReason != accounts.ReasonPersonioInactive {
				t.Errorf("user %d: reason %q", i, got.DeactivationReason)
			}
		}
		for _, tok := range tokens {
			if j.sessionStored(tok) {
				t.Fatal("a confirmed deactivation left a session in place")
			}
		}
		if _, err := j.st.PendingSyncHold(t.Context(), j.org.ID); !errors.Is(err, roster.ErrNotFound) {
			t.Fatalf("a hold is still pending after confirming: %v", err)
		}
		if es := j.audits(lifecycle.ActionHoldConfirm); len(es) != 1 || es[0].ActorName != j.owner.Name {
			t.Fatalf("confirm audits: %+v", es)
		}

		// The next sync neither holds again nor undoes anything.
		j.partial()
		if h := j.holds(); h != 1 {
			t.Fatalf("%d holds after the next sync, want 1", h)
		}
		if s := j.user(users[0].ID).Status; s != store.StatusDeactivated {
			t.Fatalf("the next sync set a confirmed leaver to %s", s)
		}
	})
}

// TestJourneySafeguardDiscard: discarding the hold keeps the three users
// active, and the following syncs do not hold again for the same set.
func TestJourneySafeguardDiscard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newLeaverJourney(t, st)
		users, tokens, hold := safeguardJourney(t, j)

		n, err := j.up.DiscardHold(t.Context(), j.ownerActor(), hold.ID)
		if err != nil || n != 3 {
			t.Fatalf("discard: %d, %v; want 3", n, err)
		}
		j.partial()
		j.sync(store.ModeFull, store.TriggerSchedule)
		j.tick(j.clk.Now().Add(time.Hour))
		if _, err := j.st.PendingSyncHold(t.Context(), j.org.ID); !errors.Is(err, roster.ErrNotFound) {
			t.Fatalf("the syncs after the discard held again: %v", err)
		}
		if h := j.holds(); h != 1 {
			t.Fatalf("%d holds, want 1", h)
		}
		for i, u := range users {
			if got := j.user(u.ID); got.Status != store.StatusActive || got.Locked() {
				t.Fatalf("user %d after the discard: %s locked %v", i, got.Status, got.LockedAt)
			}
		}
		for _, tok := range tokens {
			if _, _, err := j.acc.Authenticate(t.Context(), tok); err != nil {
				t.Fatalf("a kept user lost the session: %v", err)
			}
		}
		if ns := notesOfKind(j.notes(j.owner.ID), notify.KindSafeguard); len(ns) != 1 {
			t.Fatalf("%d safeguard notifications after the discard, want 1", len(ns))
		}
		if es := j.audits(lifecycle.ActionHoldDiscard); len(es) != 1 {
			t.Fatalf("discard audits: %+v", es)
		}
	})
}

// TestJourneyUndoRestoresLinks: a Personio deactivation removes team
// membership, team manager/approver roles and the reports' manager link;
// an admin's undo restores them, and the next sync leaves them alone.
func TestJourneyUndoRestoresLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newLeaverJourney(t, st)
		ctx := t.Context()
		boss := j.staff("Bea", "Boss", nil)
		rep := j.staff("Rick", "Report", func(in *sandbox.EmployeeInput) { in.SupervisorID = &boss.ID })
		side := j.staff("Sid", "Side", nil)
		j.firstImport()
		mgr, _ := j.linkUser(boss)
		report, _ := j.linkUser(rep)
		manual, _ := j.linkUser(side)

		led := &store.Team{OrgID: j.org.ID, Name: "Platform", ManagerID: &mgr.ID, ApproverID: &mgr.ID}
		other := &store.Team{OrgID: j.org.ID, Name: "Guild"}
		for _, tm := range []*store.Team{led, other} {
			if err := st.CreateTeam(ctx, tm); err != nil {
				t.Fatal(err)
			}
		}
		// Platform in Personio maps to Platform in Roster: the manager's
		// membership from Personio stands.
		j.mapTo(boss.ID, led.ID)
		for _, m := range []store.TeamMember{{TeamID: led.ID, UserID: mgr.ID, Source: "personio"}, {TeamID: other.ID, UserID: mgr.ID, Source: "manual"}} {
			m.OrgID = j.org.ID
			if err := st.AddTeamMember(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.UpdateUserFields(ctx, j.org.ID, manual.ID, map[string]any{"manager_id": mgr.ID, "manager_source": "manual"}); err != nil {
			t.Fatal(err)
		}
		// The sync gives the report their supervisor's user as manager.
		j.partial()
		if m := j.user(report.ID); m.ManagerID == nil || *m.ManagerID != mgr.ID || m.ManagerSource != store.SourcePersonio {
			t.Fatalf("report's manager from Personio: %v (%q)", m.ManagerID, m.ManagerSource)
		}

		j.update(boss.ID, sandbox.EmployeeInput{Status: sandbox.Ptr("inactive")})
		j.partial()
		if got := j.user(mgr.ID); got.Status != store.StatusDeactivated || got.DeactivationReason != accounts.ReasonPersonioInactive {
			t.Fatalf("manager after the sync: %s %q", got.Status, got.DeactivationReason)
		}
		tm, err := st.Team(ctx, j.org.ID, led.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tm.ManagerID != nil || tm.ApproverID != nil {
			t.Fatal("the deactivated user is still the team's manager or approver")
		}
		for _, id := range []int64{report.ID, manual.ID} {
			if m := j.user(id).ManagerID; m != nil {
				t.Fatalf("user %d still has the deactivated manager", id)
			}
		}
		if ms, _ := st.MembershipsOfUsers(ctx, j.org.ID, []int64{mgr.ID}); len(ms) != 0 {
			t.Fatalf("memberships kept after deactivation: %+v", ms)
		}
		// A sync while deactivated changes nothing.
		j.partial()

		if err := j.acc.UndoDeactivation(ctx, j.ownerActor(), mgr.ID); err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			if got := j.user(mgr.ID); got.Status != store.StatusActive || got.DeactivationReason != "" {
				t.Fatalf("%s: manager %s %q", when, got.Status, got.DeactivationReason)
			}
			tm, err := st.Team(ctx, j.org.ID, led.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tm.ManagerID == nil || *tm.ManagerID != mgr.ID || tm.ApproverID == nil || *tm.ApproverID != mgr.ID {
				t.Fatalf("%s: team manager %v approver %v, want %d", when, tm.ManagerID, tm.ApproverID, mgr.ID)
			}
			for id, src := range map[int64]string{report.ID: store.SourcePersonio, manual.ID: "manual"} {
				if u := j.user(id); u.ManagerID == nil || *u.ManagerID != mgr.ID || u.ManagerSource != src {
					t.Fatalf("%s: user %d manager %v (%q), want %d (%q)", when, id, u.ManagerID, u.ManagerSource, mgr.ID, src)
				}
			}
			ms, err := st.MembershipsOfUsers(ctx, j.org.ID, []int64{mgr.ID})
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]string{}
			for _, m := range ms {
				got[m.TeamID] = m.Source
			}
			if len(got) != 2 || got[led.ID] != "personio" || got[other.ID] != "manual" {
				t.Fatalf("%s: memberships %+v", when, ms)
			}
		}
		check("after the undo")
		if es := j.audits(accounts.ActionDeactivationUndone); len(es) != 1 || !targets(es[0], mgr.ID) {
			t.Fatalf("undo audits: %+v", es)
		}
		if _, err := j.acc.Login(ctx, mgr.Email, leaverPassword, "203.0.113.9", j.org.Slug); err != nil {
			t.Fatalf("login after the undo: %v", err)
		}

		// Personio did not change: the next syncs keep the undo.
		j.partial()
		j.sync(store.ModeFull, store.TriggerSchedule)
		check("after the next syncs")
	})
}

// TestJourneyLockOnLastDay: with "lock on last working day" the journey of
// a termination tomorrow ends in a lock: status kept, login refused.
func TestJourneyLockOnLastDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newLeaverJourney(t, st)
		j.settings(func(s *store.SyncSettings) { s.LockOnLastDay = true })
		lou := j.staff("Lou", "Locked", nil)
		j.firstImport()
		u, token := j.linkUser(lou)
		lastDay := j.terminateTomorrow(lou, u, 0)

		j.tick(j.berlin(lastDay, 23, 59))
		if got := j.user(u.ID); got.Locked() || got.Status != store.StatusActive {
			t.Fatalf("locked before the end of the last day: %v %s", got.LockedAt, got.Status)
		}
		if _, _, err := j.acc.Authenticate(t.Context(), token); err != nil {
			t.Fatalf("session refused on the last day: %v", err)
		}

		end := j.berlin(addDays(lastDay, 1), 0, 0)
		j.tick(end)
		got := j.user(u.ID)
		if got.Status != store.StatusActive || got.LockedAt == nil || !got.LockedAt.Equal(end) || got.DeactivationReason != accounts.ReasonPersonioLeaver {
			t.Fatalf("at %v: status %s, locked_at %v, reason %q; want active and locked", end, got.Status, got.LockedAt, got.DeactivationReason)
		}
		if j.sessionStored(token) {
			t.Fatal("the lock left the session in place")
		}
		if _, _, err := j.acc.Authenticate(t.Context(), token); err == nil {
			t.Fatal("the locked user's session still works")
		}
		_, err := j.acc.Login(t.Context(), u.Email, leaverPassword, "203.0.113.9", j.org.Slug)
		var ae *accounts.AccessError
		if !errors.As(err, &ae) || !ae.Locked || !strings.Contains(err.Error(), "locked") {
			t.Fatalf("login of the locked user: %v, want the locked error", err)
		}
		if es := j.audits(accounts.ActionLocked); len(es) != 1 || !targets(es[0], u.ID) {
			t.Fatalf("lock audits: %+v", es)
		}
		if es := j.audits(accounts.ActionDeactivated); len(es) != 0 {
			t.Fatalf("a lock was recorded as a deactivation: %+v", es)
		}
		// A later sync keeps the lock.
		j.partial()
		if got := j.user(u.ID); !got.Locked() || got.Status != store.StatusActive {
			t.Fatalf("after the next sync: locked %v status %s", got.LockedAt, got.Status)
		}
	})
}
