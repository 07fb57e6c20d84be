package lifecycle_test

import (
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/hrinvite"
	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/teammap"
)

// lineage returns every lineage row of a user, newest first.
func (j *journey) lineage(userID int64) []store.LineageEntry {
	j.t.Helper()
	rows, _, err := j.st.UserLineage(j.t.Context(), j.org.ID, userID, 1000, 0)
	if err != nil {
		j.t.Fatal(err)
	}
	return rows
}

// lineageOf returns the rows of one field, newest first.
func lineageOf(rows []store.LineageEntry, field string) []store.LineageEntry {
	var out []store.LineageEntry
	for _, r := range rows {
		if r.Field == field {
			out = append(out, r)
		}
	}
	return out
}

func runOf(r store.LineageEntry) int64 {
	if r.RunID == nil {
		return 0
	}
	return *r.RunID
}

// TestLineageRecordsWhatSyncsChange: a transfer in the sandbox (team and
// supervisor) then a partial sync writes lineage rows for team and
// manager (and the new supervisor's role) with the run's id; a title
// change a row for the job title; a second identical sync adds nothing; an
// employee turned inactive leaves a status row. Linking records the
// initial values as "linked by <admin>", without a run.
func TestLineageRecordsWhatSyncsChange(t *testing.T) {
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
		tom := j.hire("Tom", "Transfer", in("Alpha Squad", &s1))
		j.firstImport()
		alpha, beta := j.team("Alpha"), j.team("Beta")
		j.mapTo(s1.ID, alpha)
		j.mapTo(s2.ID, beta)
		// Linked through "Manage users" by an admin: the initial values.
		s1u := j.newUser("sam@acme.test", "Sam", store.RoleMember, nil)
		s2u := j.newUser("sue@acme.test", "Sue", store.RoleMember, nil)
		tomU := j.newUser("tom@acme.test", "Tom", store.RoleMember, nil)
		admin := roster.Actor{OrgID: j.org.ID, UserID: j.owner.ID, Name: j.owner.Name, Role: store.RoleOwner}
		pairs := []linking.Pair{{UserID: s1u.ID, PersonioID: int64(s1.ID)}, {UserID: s2u.ID, PersonioID: int64(s2.ID)}, {UserID: tomU.ID, PersonioID: int64(tom.ID)}}
		if _, err := linking.New(st, j.clk.Now, nil).Link(ctx, admin, pairs); err != nil {
			t.Fatal(err)
		}
		linked := j.lineage(tomU.ID)
		for _, want := range []struct{ field, new string }{{"name", "Tom Transfer"}, {"job_title", "Engineer"}, {store.LineageTeam, "Alpha"}, {store.LineageManager, "Sam Old"}} {
			got := lineageOf(linked, want.field)
			if len(got) != 1 || got[0].NewValue != want.new || got[0].RunID != nil || got[0].Source != "linked by Olga Owner" {
				t.Fatalf("link lineage of %s: %+v, want one row → %q, linked by Olga Owner, no run", want.field, got, want.new)
			}
		}
		j.partial()
		if m := managerOf(j.user(tomU.ID)); m != s1u.ID {
			t.Fatalf("before: Tom's manager %d, want Sam %d", m, s1u.ID)
		}
		before := len(j.lineage(tomU.ID))

		if _, err := j.sb.Transfer(tom.ID, sandbox.Transfer{Team: sandbox.Ptr("Beta Squad"), SupervisorID: sandbox.Ptr(s2.ID)}); err != nil {
			t.Fatal(err)
		}
		j.update(tom.ID, sandbox.EmployeeInput{Position: sandbox.Ptr("Staff Engineer")})
		run := j.partial()

		rows := j.lineage(tomU.ID)
		if len(rows) != before+3 {
			t.Fatalf("transfer and title change wrote %d lineage rows, want 3: %+v", len(rows)-before, rows[:len(rows)-before])
		}
		for _, want := range []struct{ field, old, new string }{
			{store.LineageTeam, "Alpha", "Beta"},
			{store.LineageManager, "Sam Old", "Sue New"},
			{"job_title", "Engineer", "Staff Engineer"},
		} {
			got := lineageOf(rows, want.field)
			if len(got) == 0 {
				t.Fatalf("no %s lineage row after the transfer; rows %+v", want.field, rows)
			}
			r := got[0]
			if r.OldValue != want.old || r.NewValue != want.new || runOf(r) != run.ID || r.Source != "Personio sync" {
				t.Errorf("%s lineage: %q → %q run %d source %q, want %q → %q run %d (Personio sync)",
					want.field, r.OldValue, r.NewValue, runOf(r), r.Source, want.old, want.new, run.ID)
			}
		}
		if roles := lineageOf(j.lineage(s2u.ID), store.LineageRole); len(roles) == 0 || roles[0].NewValue != store.RoleManager || runOf(roles[0]) != run.ID {
			t.Errorf("Sue's role lineage %+v, want member → manager in run %d", roles, run.ID)
		}

		// A second identical sync changes nothing and records nothing.
		j.partial()
		if n := len(j.lineage(tomU.ID)); n != len(rows) {
			t.Fatalf("a second identical sync added %d lineage rows", n-len(rows))
		}

		// Turned inactive: deactivated at once, with a status row.
		j.update(tom.ID, sandbox.EmployeeInput{Status: sandbox.Ptr("inactive")})
		run = j.partial()
		if u := j.user(tomU.ID); u.Status != store.StatusDeactivated {
			t.Fatalf("Tom is %s after turning inactive, want deactivated", u.Status)
		}
		sts := lineageOf(j.lineage(tomU.ID), store.LineageStatus)
		if len(sts) != 1 || sts[0].OldValue != store.StatusActive || sts[0].NewValue != store.StatusDeactivated || runOf(sts[0]) != run.ID {
			t.Fatalf("status lineage %+v, want active → deactivated in run %d", sts, run.ID)
		}
	})
}

// TestLineageScopeExplained: why a linked user is in or out of scope, in
// words: in scope, left out by the status filter of the sync settings
// (with the employee's value and what the filter keeps), excluded by an
// admin (who, why), not linked; admins of the organisation only.
func TestLineageScopeExplained(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		j := newJourney(t, st)
		inn := j.hire("Ina", "Inside", nil)
		out := j.hire("Olli", "Onboarding", func(in *sandbox.EmployeeInput) { in.Status = sandbox.Ptr("onboarding") })
		exc := j.hire("Xena", "Excluded", nil)
		j.settings(func(s *store.SyncSettings) { s.FilterStatuses = `["active"]` })
		j.firstImport()
		innU, outU, excU := j.link(inn.ID, "ina@acme.test"), j.link(out.ID, "olli@acme.test"), j.link(exc.ID, "xena@acme.test")
		plain := j.newUser("pat@acme.test", "Pat Plain", store.RoleMember, nil)
		if _, err := st.ExcludeHREmployee(ctx, &store.HRExclusion{OrgID: j.org.ID, PersonioID: int64(exc.ID), ExcludedByID: &j.owner.ID, Reason: "contractor"}); err != nil {
			t.Fatal(err)
		}
		acc := accounts.New(accounts.Options{Store: st, Mailer: j.mb, BaseURL: "http://roster.test", BcryptCost: 4, Now: j.clk.Now})
		admin := roster.Actor{OrgID: j.org.ID, UserID: j.owner.ID, Name: j.owner.Name, Role: store.RoleOwner}

		for _, tc := range []struct {
			name   string
			userID int64
			state  string
			filter string
			words  []string
		}{
			{"in scope", innU.ID, accounts.ScopeInScope, "", []string{"In scope", "Ina Inside"}},
			{"status filter", outU.ID, accounts.ScopeOutOfScope, "status", []string{"status filter", `"active"`, `"onboarding"`}},
			{"excluded", excU.ID, accounts.ScopeExcluded, "", []string{"Excluded from the sync by Olga Owner", "contractor"}},
			{"not linked", plain.ID, accounts.ScopeNotLinked, "", []string{"Not linked"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				sc, err := acc.UserScope(ctx, admin, tc.userID)
				if err != nil {
					t.Fatal(err)
				}
				if sc.State != tc.state || sc.Filter != tc.filter {
					t.Fatalf("scope %s filter %q, want %s %q (%s)", sc.State, sc.Filter, tc.state, tc.filter, sc.Explanation)
				}
				for _, w := range tc.words {
					if !strings.Contains(sc.Explanation, w) {
						t.Errorf("explanation %q does not say %q", sc.Explanation, w)
					}
				}
			})
		}
		// Another organisation's admin cannot read it; a member neither.
		if _, err := acc.UserScope(ctx, roster.Actor{OrgID: j.org.ID + 999, UserID: 1, Role: store.RoleOwner}, outU.ID); err == nil {
			t.Error("another organisation read the scope of a user")
		}
		if _, err := acc.UserLineage(ctx, roster.Actor{OrgID: j.org.ID, UserID: innU.ID, Role: store.RoleMember}, outU.ID, 1); err == nil {
			t.Error("a member read the lineage of a user")
		}
	})
}

// TestLineageInviteViaHR: inviting an employee through "Invite users via
// HR" records the values the user starts with (name and job title
// included), as "invited by <admin>", without a run.
func TestLineageInviteViaHR(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		j := newJourney(t, st)
		ivy := j.hire("Ivy", "Invited", func(in *sandbox.EmployeeInput) { in.Position = sandbox.Ptr("Designer") })
		j.firstImport()
		acc := accounts.New(accounts.Options{Store: st, Mailer: j.mb, BaseURL: "http://roster.test", BcryptCost: 4, Now: j.clk.Now})
		admin := roster.Actor{OrgID: j.org.ID, UserID: j.owner.ID, Name: j.owner.Name, Role: store.RoleOwner}
		if _, err := hrinvite.New(st, acc, j.clk.Now, nil).Invite(ctx, admin, []int64{int64(ivy.ID)}); err != nil {
			t.Fatal(err)
		}
		u, ok := j.userLinkedTo(ivy.ID)
		if !ok {
			t.Fatal("no user linked to the invited employee")
		}
		rows := j.lineage(u.ID)
		for field, want := range map[string]string{"name": "Ivy Invited", "job_title": "Designer"} {
			got := lineageOf(rows, field)
			if len(got) != 1 || got[0].OldValue != "" || got[0].NewValue != want || got[0].RunID != nil || got[0].Source != "invited by Olga Owner" {
				t.Errorf("%s lineage after the invitation %+v, want \"\" → %q invited by Olga Owner", field, got, want)
			}
		}
		// The next sync finds nothing to change and records nothing.
		j.partial()
		if n := len(j.lineage(u.ID)); n != len(rows) {
			t.Errorf("a sync after the invitation added %d lineage rows", n-len(rows))
		}
	})
}

// TestLineageTeamMappingSaved: saving the team mapping moves linked users
// and records the move as "team mapping saved by <admin>".
func TestLineageTeamMappingSaved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		j := newJourney(t, st)
		mx := j.hire("Max", "Mapped", func(in *sandbox.EmployeeInput) { in.Team = sandbox.Ptr("Alpha Squad") })
		j.firstImport()
		u := j.link(mx.ID, "max@acme.test")
		alpha := j.team("Alpha")
		e := j.employee(mx.ID)
		admin := roster.Actor{OrgID: j.org.ID, UserID: j.owner.ID, Name: j.owner.Name, Role: store.RoleOwner}
		if _, err := teammap.New(st, j.clk.Now, nil).Save(ctx, admin, map[string]int64{store.HRUnitKey(e.TeamID, e.TeamName): alpha}); err != nil {
			t.Fatal(err)
		}
		got := lineageOf(j.lineage(u.ID), store.LineageTeam)
		if len(got) != 1 || got[0].OldValue != "" || got[0].NewValue != "Alpha" || got[0].Source != "team mapping saved by Olga Owner" || got[0].RunID != nil {
			t.Fatalf("team lineage after saving the mapping %+v, want \"\" → Alpha by Olga Owner", got)
		}
	})
}
