package lifecycle_test

import (
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/teammap"
)

func (j *journey) isManagerOf(manager, user int64) bool {
	j.t.Helper()
	ok, err := j.st.IsManagerOf(j.t.Context(), j.org.ID, manager, user)
	if err != nil {
		j.t.Fatal(err)
	}
	return ok
}

func managerOf(u *store.User) int64 {
	if u.ManagerID == nil {
		return 0
	}
	return *u.ManagerID
}

// TestTransferMovesTeamAndManager: an employee who changes team and
// supervisor in Personio moves to the mapped Roster team (keeping a team
// added by hand) and to the new manager, whose user becomes a manager;
// the old supervisor goes back to member when the sync had made them a
// manager, and keeps a role given in Roster. An excluded employee's user
// changes in nothing.
func TestTransferMovesTeamAndManager(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		j := newJourney(t, st)
		in := func(team string, boss *sandbox.Employee) func(*sandbox.EmployeeInput) {
			return func(in *sandbox.EmployeeInput) {
				in.Team = sandbox.Ptr(team)
				if boss != nil {
					in.SupervisorID = sandbox.Ptr(boss.ID)
				}
			}
		}
		s1 := j.hire("Sam", "Old", in("Alpha Squad", nil))
		s2 := j.hire("Sue", "New", in("Beta Squad", nil))
		s3 := j.hire("Rita", "Roster", in("Alpha Squad", nil))
		s4 := j.hire("Kai", "Keeper", in("Alpha Squad", nil))
		e1 := j.hire("Tom", "Transfer", in("Alpha Squad", &s1))
		e2 := j.hire("Ute", "Two", in("Alpha Squad", &s3))
		x := j.hire("Xena", "Excluded", in("Alpha Squad", &s4))
		j.firstImport()

		alpha, beta, manual := j.team("Alpha"), j.team("Beta"), j.team("Hand-picked")
		j.mapTo(s1.ID, alpha)
		j.mapTo(s2.ID, beta)
		s1u, s2u, s4u := j.link(s1.ID, "sam@acme.test"), j.link(s2.ID, "sue@acme.test"), j.link(s4.ID, "kai@acme.test")
		s3u := j.link(s3.ID, "rita@acme.test")
		if err := st.UpdateUserFields(ctx, j.org.ID, s3u.ID, map[string]any{"role": store.RoleManager}); err != nil {
			t.Fatal(err)
		}
		e1u, e2u, xu := j.link(e1.ID, "tom@acme.test"), j.link(e2.ID, "ute@acme.test"), j.link(x.ID, "xena@acme.test")
		if err := st.AddTeamMember(ctx, &store.TeamMember{OrgID: j.org.ID, TeamID: manual, UserID: e1u.ID, Source: "manual"}); err != nil {
			t.Fatal(err)
		}
		ids := []int64{s1u.ID, s2u.ID, s3u.ID, s4u.ID, e1u.ID, e2u.ID, xu.ID}
		if _, err := teammap.ReassignUsers(ctx, st, j.org.ID, ids, j.clk.Now()); err != nil {
			t.Fatal(err)
		}
		j.partial() // managers follow the supervisors of the newly linked users

		if m := managerOf(j.user(e1u.ID)); m != s1u.ID {
			t.Fatalf("before: Tom's manager %d, want Sam %d", m, s1u.ID)
		}
		if u := j.user(s1u.ID); u.Role != store.RoleManager || u.RoleSource != store.SourcePersonio {
			t.Fatalf("before: Sam is %s/%q, want manager from personio", u.Role, u.RoleSource)
		}
		if u := j.user(s2u.ID); u.Role != store.RoleMember {
			t.Fatalf("before: Sue is %s", u.Role)
		}
		if !j.isManagerOf(s1u.ID, e1u.ID) || j.isManagerOf(s2u.ID, e1u.ID) {
			t.Fatal("before: Sam should manage Tom, Sue not")
		}
		if _, err := st.ExcludeHREmployee(ctx, &store.HRExclusion{OrgID: j.org.ID, PersonioID: int64(x.ID), ExcludedByID: &j.owner.ID}); err != nil {
			t.Fatal(err)
		}
		xBefore := j.user(xu.ID)
		xTeams := memberships(t, st, j.org.ID, xu.ID)
		if m := managerOf(xBefore); m != s4u.ID || xTeams[alpha] != teammap.SourcePersonio {
			t.Fatalf("before: Xena's manager %d teams %v", m, xTeams)
		}
		roleAudits := len(j.audits(lifecycle.ActionRoleChanged))
		managerAudits := len(j.audits(lifecycle.ActionManagerChanged))

		beta2 := "Beta Squad"
		for _, mv := range []struct {
			id int
			t  sandbox.Transfer
		}{
			{e1.ID, sandbox.Transfer{Team: &beta2, SupervisorID: sandbox.Ptr(s2.ID)}},
			{e2.ID, sandbox.Transfer{SupervisorID: sandbox.Ptr(s2.ID)}},
			{x.ID, sandbox.Transfer{Team: &beta2, SupervisorID: sandbox.Ptr(s1.ID)}},
		} {
			if _, err := j.sb.Transfer(mv.id, mv.t); err != nil {
				t.Fatal(err)
			}
		}
		j.update(x.ID, sandbox.EmployeeInput{FirstName: sandbox.Ptr("Xenia"), Position: sandbox.Ptr("Ignored")})
		j.partial()

		// Tom moved team (the hand-picked team stays) and manager.
		teams := memberships(t, st, j.org.ID, e1u.ID)
		if len(teams) != 2 || teams[beta] != teammap.SourcePersonio || teams[manual] != "manual" {
			t.Fatalf("Tom's teams %v, want Beta %d (personio) and Hand-picked %d (manual)", teams, beta, manual)
		}
		tom := j.user(e1u.ID)
		if managerOf(tom) != s2u.ID || tom.ManagerSource != store.SourcePersonio {
			t.Fatalf("Tom's manager %d (%q), want Sue %d", managerOf(tom), tom.ManagerSource, s2u.ID)
		}
		if m := managerOf(j.user(e2u.ID)); m != s2u.ID {
			t.Fatalf("Ute's manager %d, want Sue %d", m, s2u.ID)
		}
		if u := j.user(s2u.ID); u.Role != store.RoleManager || u.RoleSource != store.SourcePersonio {
			t.Fatalf("Sue is %s/%q, want manager from personio", u.Role, u.RoleSource)
		}
		if u := j.user(s1u.ID); u.Role != store.RoleMember || u.RoleSource != "" {
			t.Fatalf("Sam is %s/%q, want member (the sync had made him manager)", u.Role, u.RoleSource)
		}
		if u := j.user(s3u.ID); u.Role != store.RoleManager || u.RoleSource != "" {
			t.Fatalf("Rita is %s/%q, want the manager role given in Roster kept", u.Role, u.RoleSource)
		}
		if !j.isManagerOf(s2u.ID, e1u.ID) || j.isManagerOf(s1u.ID, e1u.ID) || !j.isManagerOf(s2u.ID, e2u.ID) || j.isManagerOf(s3u.ID, e2u.ID) {
			t.Fatal("manager rights did not follow the transfer")
		}
		mgr := j.audits(lifecycle.ActionManagerChanged)
		if len(mgr) != managerAudits+2 {
			t.Fatalf("%d manager-change audits, want %d: %+v", len(mgr), managerAudits+2, mgr)
		}
		found := false
		for _, a := range mgr {
			if a.TargetID != nil && *a.TargetID == e1u.ID && strings.Contains(a.Details, `manager "User `) && strings.Contains(a.Details, "→") {
				found = true
			}
		}
		if !found {
			t.Fatalf("no manager audit for Tom: %+v", mgr)
		}
		if n := len(j.audits(lifecycle.ActionRoleChanged)); n != roleAudits+2 {
			t.Fatalf("%d role audits, want %d", n, roleAudits+2)
		}

		// Xena is excluded: her user keeps name, title, team and manager.
		xAfter := j.user(xu.ID)
		if xAfter.Name != xBefore.Name || xAfter.JobTitle != xBefore.JobTitle || managerOf(xAfter) != s4u.ID ||
			!xAfter.UpdatedAt.Equal(xBefore.UpdatedAt) {
			t.Fatalf("excluded user changed: %+v → %+v", xBefore, xAfter)
		}
		if got := memberships(t, st, j.org.ID, xu.ID); len(got) != 1 || got[alpha] != teammap.SourcePersonio {
			t.Fatalf("excluded user's teams %v, want Alpha %d", got, alpha)
		}
		if u := j.user(s4u.ID); u.Role != store.RoleManager {
			t.Fatalf("Kai (Xena's frozen manager) is %s", u.Role)
		}

		// A second run changes nothing.
		stamp := j.user(s2u.ID).UpdatedAt
		j.partial()
		j.sync(store.ModeFull, store.TriggerSchedule)
		if n := len(j.audits(lifecycle.ActionManagerChanged)); n != managerAudits+2 {
			t.Fatalf("%d manager audits after identical syncs", n)
		}
		if u := j.user(s2u.ID); !u.UpdatedAt.Equal(stamp) {
			t.Fatalf("Sue rewritten by identical syncs")
		}
		if u := j.user(xu.ID); !u.UpdatedAt.Equal(xBefore.UpdatedAt) {
			t.Fatalf("excluded user rewritten by identical syncs")
		}
	})
}
