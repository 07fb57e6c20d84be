package teammap_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/teammap"
)

var now = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

type fixture struct {
	st    *store.Store
	svc   *teammap.Service
	org   int64
	owner roster.Actor
	n     int
}

func newFixture(t *testing.T, st *store.Store, slug string) *fixture {
	t.Helper()
	o := &store.Organization{Slug: slug, Name: slug, TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, svc: teammap.New(st, func() time.Time { return now }, nil), org: o.ID}
	owner := f.user(t, "owner", store.RoleOwner, nil)
	f.owner = roster.Actor{UserID: owner, OrgID: o.ID, Name: "Owner", Role: store.RoleOwner}
	return f
}

func (f *fixture) user(t *testing.T, name, role string, personioID *int64) int64 {
	t.Helper()
	f.n++
	u := &store.User{OrgID: f.org, Email: fmt.Sprintf("%s%d@%d.test", name, f.n, f.org), Name: name, Role: role, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := f.st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if personioID != nil {
		if err := f.st.UpdateUserFields(t.Context(), f.org, u.ID, map[string]any{"personio_id": *personioID}); err != nil {
			t.Fatal(err)
		}
	}
	return u.ID
}

func (f *fixture) team(t *testing.T, name string) int64 {
	t.Helper()
	tm := &store.Team{OrgID: f.org, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := f.st.CreateTeam(t.Context(), tm); err != nil {
		t.Fatal(err)
	}
	return tm.ID
}

func (f *fixture) member(t *testing.T, teamID, userID int64, source string) {
	t.Helper()
	if err := f.st.AddTeamMember(t.Context(), &store.TeamMember{TeamID: teamID, UserID: userID, OrgID: f.org, Source: source, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
}

type emp struct {
	id               int64
	teamID           int64
	team             string
	deptID           int64
	dept             string
	outOfScope, gone bool
}

func (f *fixture) employees(t *testing.T, es ...emp) {
	t.Helper()
	rows := make([]store.HREmployee, 0, len(es))
	for _, e := range es {
		r := store.HREmployee{OrgID: f.org, PersonioID: e.id, FirstName: "E", LastName: strconv.FormatInt(e.id, 10), Status: "active",
			TeamID: e.teamID, TeamName: e.team, DepartmentID: e.deptID, DepartmentName: e.dept, CostCenters: "[]", Custom: "{}", Warnings: "[]",
			InScope: !e.outOfScope, FirstSeenAt: now, LastSyncedAt: now}
		if e.gone {
			r.RemovedAt = &now
		}
		rows = append(rows, r)
	}
	if err := f.st.UpsertHREmployees(t.Context(), rows); err != nil {
		t.Fatal(err)
	}
}

// teamsOf returns "teamID:source" of a user's memberships, sorted.
func (f *fixture) teamsOf(t *testing.T, userID int64) []string {
	t.Helper()
	var ms []store.TeamMember
	if err := f.st.DB().Where("user_id = ?", userID).Order("team_id").Find(&ms).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d:%s", m.TeamID, m.Source))
	}
	return out
}

func (f *fixture) audits(t *testing.T, action string) int {
	t.Helper()
	evs, _, err := f.st.ListAudit(context.Background(), f.org, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == action {
			n++
		}
	}
	return n
}

func ms(teamID int64, source string) string { return fmt.Sprintf("%d:%s", teamID, source) }

func p(n int64) *int64 { return &n }

func TestListSaveManyToOneAndReassign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "acme")
		f.employees(t,
			emp{id: 1, teamID: 10, team: "Backend"}, emp{id: 2, teamID: 10, team: "Backend"}, emp{id: 3, teamID: 10, team: "Backend"},
			emp{id: 4, teamID: 11, team: "Frontend"}, emp{id: 5, teamID: 11, team: "Frontend"},
			emp{id: 6, teamID: 12, team: "Sales"},
			emp{id: 7, team: "Ops"}, // no Personio id: keyed by name
			emp{id: 8},              // no team
			emp{id: 9, teamID: 13, team: "Hidden", outOfScope: true}, // filtered out by the sync
			emp{id: 10, teamID: 14, team: "Gone", gone: true},        // removed from Personio
		)
		eng, misc, old := f.team(t, "Engineering"), f.team(t, "Misc"), f.team(t, "Old")
		u1 := f.user(t, "u1", store.RoleMember, p(1))
		u2 := f.user(t, "u2", store.RoleMember, p(4))
		u3 := f.user(t, "u3", store.RoleMember, p(6))
		u4 := f.user(t, "u4", store.RoleMember, nil)
		f.member(t, misc, u2, "manual")
		f.member(t, old, u2, teammap.SourcePersonio)
		f.member(t, old, u3, teammap.SourcePersonio)
		f.member(t, old, u4, "manual")

		o, err := f.svc.List(t.Context(), f.owner)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			key, name string
			n         int64
		}
		var got []row
		for _, r := range o.Rows {
			got = append(got, row{r.Key, r.Name, r.Employees})
			if !r.Unmapped() {
				t.Errorf("%s mapped before any save", r.Name)
			}
		}
		want := []row{{"10", "Backend", 3}, {"11", "Frontend", 2}, {"Ops", "Ops", 1}, {"12", "Sales", 1}}
		if !slices.Equal(got, want) || o.Unmapped != 4 || !o.Synced || o.Source != store.TeamSourceTeam {
			t.Fatalf("list: %+v (unmapped %d, synced %v, source %s), want %+v", got, o.Unmapped, o.Synced, o.Source, want)
		}

		// Many-to-one: Backend and Frontend both join Engineering.
		moved, err := f.svc.Save(t.Context(), f.owner, map[string]int64{"10": eng, "11": eng, "12": 0})
		if err != nil {
			t.Fatal(err)
		}
		if moved != 3 {
			t.Errorf("moved %d, want 3", moved)
		}
		if g := f.teamsOf(t, u1); !slices.Equal(g, []string{ms(eng, "personio")}) {
			t.Errorf("u1 teams %v", g)
		}
		// u2 leaves its old Personio team, keeps the team added by hand.
		if g, w := f.teamsOf(t, u2), []string{ms(eng, "personio"), ms(misc, "manual")}; !slices.Equal(g, w) {
			t.Errorf("u2 teams %v, want %v", g, w)
		}
		// Sales is unmapped: u3 leaves the team an earlier mapping gave it;
		// u4 is not linked and keeps its team.
		if g := f.teamsOf(t, u3); len(g) != 0 {
			t.Errorf("u3 teams %v, want none", g)
		}
		if g := f.teamsOf(t, u4); !slices.Equal(g, []string{ms(old, "manual")}) {
			t.Errorf("u4 teams %v", g)
		}
		o, _ = f.svc.List(t.Context(), f.owner)
		if o.Unmapped != 2 || o.Rows[0].TeamID != eng || o.Rows[1].TeamID != eng || o.Rows[0].TeamName != "Engineering" {
			t.Errorf("after save: %+v", o.Rows)
		}
		if n := f.audits(t, "hr.teams_mapped"); n != 1 {
			t.Errorf("%d hr.teams_mapped events, want 1", n)
		}

		// Saving the same mapping again moves nobody and audits nothing.
		if moved, err := f.svc.Save(t.Context(), f.owner, map[string]int64{"10": eng, "11": eng}); err != nil || moved != 0 {
			t.Fatalf("second save: moved %d, %v", moved, err)
		}
		if n := f.audits(t, "hr.teams_mapped"); n != 1 {
			t.Errorf("%d hr.teams_mapped events after a no-op save, want 1", n)
		}

		// Frontend → Misc, where u2 already is by hand: the Personio
		// membership goes, the manual one stays.
		if moved, err := f.svc.Save(t.Context(), f.owner, map[string]int64{"11": misc}); err != nil || moved != 1 {
			t.Fatalf("remap: moved %d, %v", moved, err)
		}
		if g, w := f.teamsOf(t, u2), []string{ms(misc, "manual")}; !slices.Equal(g, w) {
			t.Errorf("u2 teams %v, want %v", g, w)
		}

		// Unmapping takes the users out of the team the mapping gave them.
		if moved, err := f.svc.Save(t.Context(), f.owner, map[string]int64{"10": 0}); err != nil || moved != 1 {
			t.Fatalf("unmap: moved %d, %v", moved, err)
		}
		if g := f.teamsOf(t, u1); len(g) != 0 {
			t.Errorf("u1 teams after unmapping %v, want none", g)
		}
		o, _ = f.svc.List(t.Context(), f.owner)
		if !o.Rows[0].Unmapped() {
			t.Error("Backend still mapped")
		}
	})
}

func TestSaveRejectsForeignTeamsAndNonAdmins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "acme")
		other := newFixture(t, st, "other")
		foreign := other.team(t, "Theirs")
		f.employees(t, emp{id: 1, teamID: 10, team: "Backend"})
		u1 := f.user(t, "u1", store.RoleMember, p(1))
		eng := f.team(t, "Engineering")

		_, err := f.svc.Save(t.Context(), f.owner, map[string]int64{"10": foreign})
		if fe := roster.FieldErrors(err); fe["team_10"] == "" {
			t.Fatalf("foreign team: %v", err)
		}
		_, err = f.svc.Save(t.Context(), f.owner, map[string]int64{"10": eng, "99": eng})
		if fe := roster.FieldErrors(err); fe[""] == "" {
			t.Fatalf("unknown Personio team: %v", err)
		}
		if _, err := f.svc.CreateTeam(t.Context(), f.owner, "99"); roster.FieldErrors(err)["personio_key"] == "" {
			t.Fatalf("create from unknown Personio team: %v", err)
		}
		o, _ := f.svc.List(t.Context(), f.owner)
		if !o.Rows[0].Unmapped() || len(f.teamsOf(t, u1)) != 0 || f.audits(t, "hr.teams_mapped") != 0 {
			t.Fatal("a refused save changed something")
		}

		for _, role := range []string{store.RoleManager, store.RoleMember} {
			a := roster.Actor{UserID: u1, OrgID: f.org, Role: role}
			if _, err := f.svc.List(t.Context(), a); !errors.Is(err, roster.ErrForbidden) {
				t.Errorf("%s list: %v", role, err)
			}
			if _, err := f.svc.Save(t.Context(), a, map[string]int64{"10": eng}); !errors.Is(err, roster.ErrForbidden) {
				t.Errorf("%s save: %v", role, err)
			}
			if _, err := f.svc.CreateTeam(t.Context(), a, "10"); !errors.Is(err, roster.ErrForbidden) {
				t.Errorf("%s create: %v", role, err)
			}
			if _, err := f.svc.CreateAllUnmapped(t.Context(), a); !errors.Is(err, roster.ErrForbidden) {
				t.Errorf("%s create all: %v", role, err)
			}
		}
	})
}

func TestCreateTeamsFromPersonio(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "acme")
		f.employees(t,
			emp{id: 1, teamID: 10, team: "Backend"}, emp{id: 2, teamID: 11, team: "Frontend"},
			emp{id: 3, team: "Ops"}, emp{id: 4, teamID: 12, team: "Sales"})
		existing := f.team(t, "backend") // reused, case-insensitively
		u1 := f.user(t, "u1", store.RoleMember, p(1))
		u3 := f.user(t, "u3", store.RoleMember, p(3))

		// One team, in place.
		res, err := f.svc.CreateTeam(t.Context(), f.owner, "12")
		if err != nil || res.Created != 1 || res.Reused != 0 || res.Moved != 0 {
			t.Fatalf("create Sales: %+v, %v", res, err)
		}
		// All the others.
		res, err = f.svc.CreateAllUnmapped(t.Context(), f.owner)
		if err != nil || res.Created != 2 || res.Reused != 1 || res.Moved != 2 {
			t.Fatalf("create all: %+v, %v", res, err)
		}
		teams, _ := st.ListTeams(t.Context(), f.org)
		var names []string
		for _, tm := range teams {
			names = append(names, tm.Name)
		}
		if w := []string{"backend", "Frontend", "Ops", "Sales"}; !slices.Equal(names, w) {
			t.Fatalf("teams %v, want %v", names, w)
		}
		o, _ := f.svc.List(t.Context(), f.owner)
		for _, r := range o.Rows {
			if r.Unmapped() || !equalFold(r.TeamName, r.Name) {
				t.Errorf("%s mapped to %q", r.Name, r.TeamName)
			}
		}
		if g := f.teamsOf(t, u1); !slices.Equal(g, []string{ms(existing, "personio")}) {
			t.Errorf("u1 teams %v", g)
		}
		if len(f.teamsOf(t, u3)) != 1 {
			t.Errorf("u3 teams %v", f.teamsOf(t, u3))
		}
		if n := f.audits(t, "hr.team_created_from_personio"); n != 3 {
			t.Errorf("%d hr.team_created_from_personio events, want 3", n)
		}

		// A second call creates nothing.
		res, err = f.svc.CreateAllUnmapped(t.Context(), f.owner)
		if err != nil || *res != (teammap.Created{}) {
			t.Fatalf("second create all: %+v, %v", res, err)
		}
		if again, _ := st.ListTeams(t.Context(), f.org); len(again) != 4 {
			t.Fatalf("%d teams after the second call", len(again))
		}
	})
}

func equalFold(a, b string) bool { return len(a) == len(b) && (a == b || lower(a) == lower(b)) }

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestDepartmentSource(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "acme")
		f.employees(t,
			emp{id: 1, teamID: 10, team: "Backend", deptID: 100, dept: "Engineering"},
			emp{id: 2, teamID: 11, team: "Frontend", deptID: 100, dept: "Engineering"},
			emp{id: 3, teamID: 12, team: "Sales", deptID: 200, dept: "Revenue"})
		settings := store.DefaultSyncSettings(f.org)
		settings.TeamSource = store.TeamSourceDepartment
		if err := st.SaveSyncSettings(t.Context(), &settings); err != nil {
			t.Fatal(err)
		}
		u2 := f.user(t, "u2", store.RoleMember, p(2))
		o, err := f.svc.List(t.Context(), f.owner)
		if err != nil {
			t.Fatal(err)
		}
		if o.Source != store.TeamSourceDepartment || len(o.Rows) != 2 || o.Rows[0].Name != "Engineering" || o.Rows[0].Employees != 2 || o.Rows[1].Key != "200" {
			t.Fatalf("departments: %+v", o)
		}
		res, err := f.svc.CreateTeam(t.Context(), f.owner, "100")
		if err != nil || res.Created != 1 || res.Moved != 1 {
			t.Fatalf("create Engineering: %+v, %v", res, err)
		}
		tm, err := st.TeamByName(t.Context(), f.org, "engineering")
		if err != nil {
			t.Fatal(err)
		}
		if g := f.teamsOf(t, u2); !slices.Equal(g, []string{ms(tm.ID, "personio")}) {
			t.Errorf("u2 teams %v", g)
		}
		// Team mappings are kept per source.
		if ms, _ := st.TeamMappings(t.Context(), f.org, store.TeamSourceTeam); len(ms) != 0 {
			t.Errorf("team-source mappings %+v", ms)
		}
	})
}

// TestReassignUsersToUnmappedTeam: when a linked user's employee moves in
// Personio to a team that maps to nothing (or to no team at all), the sync
// takes them out of the Roster team the mapping gave them; teams added by
// hand stay, also when the hand-added team is the formerly mapped one, and
// the Map teams page flags the new team as unmapped.
func TestReassignUsersToUnmappedTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "acme")
		f.employees(t, emp{id: 1, teamID: 10, team: "Backend"}, emp{id: 2, teamID: 10, team: "Backend"},
			emp{id: 3, teamID: 10, team: "Backend"}, emp{id: 4, teamID: 10, team: "Backend"})
		eng, misc := f.team(t, "Engineering"), f.team(t, "Misc")
		u1 := f.user(t, "u1", store.RoleMember, p(1))
		u2 := f.user(t, "u2", store.RoleMember, p(2))
		u3 := f.user(t, "u3", store.RoleMember, p(3))
		u4 := f.user(t, "u4", store.RoleMember, p(4))
		f.member(t, misc, u1, "manual")
		f.member(t, eng, u2, "manual") // added by hand to the mapped team
		if moved, err := f.svc.Save(t.Context(), f.owner, map[string]int64{"10": eng}); err != nil || moved != 3 {
			t.Fatalf("map Backend: moved %d, %v", moved, err)
		}
		if g, w := f.teamsOf(t, u1), []string{ms(eng, "personio"), ms(misc, "manual")}; !slices.Equal(g, w) {
			t.Fatalf("u1 teams %v, want %v", g, w)
		}

		// In Personio, 1, 2 and 3 move to Sales (not mapped), 4 to no team.
		f.employees(t, emp{id: 1, teamID: 12, team: "Sales"}, emp{id: 2, teamID: 12, team: "Sales"},
			emp{id: 3, teamID: 12, team: "Sales"}, emp{id: 4})
		var moved int
		err := st.Tx(t.Context(), func(tx *store.Store) error {
			var err error
			moved, err = teammap.ReassignUsers(t.Context(), tx, f.org, []int64{u1, u2, u4}, now)
			return err
		})
		if err != nil || moved != 2 {
			t.Fatalf("reassign: moved %d, %v (want 2: u1 and u4)", moved, err)
		}
		if g, w := f.teamsOf(t, u1), []string{ms(misc, "manual")}; !slices.Equal(g, w) {
			t.Errorf("u1 teams %v, want %v", g, w)
		}
		if g, w := f.teamsOf(t, u2), []string{ms(eng, "manual")}; !slices.Equal(g, w) {
			t.Errorf("u2 teams %v, want %v (added by hand)", g, w)
		}
		if g := f.teamsOf(t, u4); len(g) != 0 {
			t.Errorf("u4 teams %v, want none", g)
		}
		// Only the given users change.
		if g, w := f.teamsOf(t, u3), []string{ms(eng, "personio")}; !slices.Equal(g, w) {
			t.Errorf("u3 teams %v, want %v (not reassigned)", g, w)
		}
		o, err := f.svc.List(t.Context(), f.owner)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Rows) != 1 || o.Rows[0].Name != "Sales" || !o.Rows[0].Unmapped() || o.Unmapped != 1 {
			t.Errorf("map teams after the move: %+v (unmapped %d)", o.Rows, o.Unmapped)
		}
	})
}

// TestMappingLeavesExcludedEmployeesUsersAlone: an employee excluded from
// the sync keeps their user's teams when a mapping is saved.
func TestMappingLeavesExcludedEmployeesUsersAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "acme")
		f.employees(t, emp{id: 1, teamID: 10, team: "Backend"}, emp{id: 2, teamID: 10, team: "Backend"})
		eng, misc := f.team(t, "Engineering"), f.team(t, "Misc")
		u1 := f.user(t, "u1", store.RoleMember, p(1))
		u2 := f.user(t, "u2", store.RoleMember, p(2))
		f.member(t, misc, u2, "manual")
		if _, err := st.ExcludeHREmployee(t.Context(), &store.HRExclusion{OrgID: f.org, PersonioID: 2, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if moved, err := f.svc.Save(t.Context(), f.owner, map[string]int64{"10": eng}); err != nil || moved != 1 {
			t.Fatalf("map Backend: moved %d, %v (want 1: only u1)", moved, err)
		}
		if g, w := f.teamsOf(t, u1), []string{ms(eng, "personio")}; !slices.Equal(g, w) {
			t.Errorf("u1 teams %v, want %v", g, w)
		}
		if g, w := f.teamsOf(t, u2), []string{ms(misc, "manual")}; !slices.Equal(g, w) {
			t.Errorf("excluded u2 teams %v, want %v (unchanged)", g, w)
		}
	})
}

// TestListIsFreshAfterEverySyncWrite proves the Personio units the service
// keeps between requests follow every write of the mirror: a new employee,
// one moving team, one leaving scope and one removed, each seen by the next
// List of the same service; and the department source is kept apart.
func TestListIsFreshAfterEverySyncWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "acme")
		units := func(step string, want ...string) {
			t.Helper()
			o, err := f.svc.List(t.Context(), f.owner)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range o.Rows {
				got = append(got, fmt.Sprintf("%s=%d", r.Name, r.Employees))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: units %v, want %v", step, got, want)
			}
		}
		f.employees(t, emp{id: 1, teamID: 10, team: "Backend", deptID: 20, dept: "Eng"}, emp{id: 2, teamID: 10, team: "Backend", deptID: 20, dept: "Eng"})
		units("first sync", "Backend=2")
		units("again", "Backend=2")
		f.employees(t, emp{id: 3, teamID: 11, team: "Sales", deptID: 21, dept: "Go to market"})
		units("new employee", "Backend=2", "Sales=1")
		f.employees(t, emp{id: 2, teamID: 11, team: "Sales", deptID: 21, dept: "Go to market"})
		units("moved team", "Backend=1", "Sales=2")
		f.employees(t, emp{id: 3, teamID: 11, team: "Sales", outOfScope: true})
		units("left scope", "Backend=1", "Sales=1")
		if _, err := st.MarkHREmployeesRemoved(t.Context(), f.org, []int64{1}, now, 2); err != nil {
			t.Fatal(err)
		}
		units("removed", "Sales=1")
		settings := store.DefaultSyncSettings(f.org)
		settings.TeamSource = store.TeamSourceDepartment
		if err := st.SaveSyncSettings(t.Context(), &settings); err != nil {
			t.Fatal(err)
		}
		units("department source", "Go to market=1")
	})
}
