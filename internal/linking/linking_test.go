package linking_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/teammap"
)

var now = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

type fixture struct {
	st    *store.Store
	svc   *linking.Service
	org   int64
	owner roster.Actor
}

func newFixture(t *testing.T, st *store.Store, slug string) *fixture {
	t.Helper()
	o := &store.Organization{Slug: slug, Name: slug, TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, svc: linking.New(st, func() time.Time { return now }, nil), org: o.ID}
	owner := f.user(t, "Owner", "owner@"+slug+".test", store.RoleOwner)
	f.owner = roster.Actor{UserID: owner, OrgID: o.ID, Name: "Owner", Role: store.RoleOwner}
	return f
}

func (f *fixture) user(t *testing.T, name, email, role string) int64 {
	t.Helper()
	u := &store.User{OrgID: f.org, Email: email, Name: name, JobTitle: "old title", Role: role, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := f.st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

type emp struct {
	id          int64
	first, last string
	email       string
	position    string
	teamID      int64
	team        string
	gone        bool
}

func (f *fixture) employees(t *testing.T, es ...emp) {
	t.Helper()
	rows := make([]store.HREmployee, 0, len(es))
	for _, e := range es {
		r := store.HREmployee{OrgID: f.org, PersonioID: e.id, FirstName: e.first, LastName: e.last, Email: e.email, Position: e.position, Status: "active",
			TeamID: e.teamID, TeamName: e.team, CostCenters: "[]", Custom: "{}", Warnings: "[]", CheckWarnings: "[]",
			SearchText: strings.ToLower(e.first + " " + e.last + " " + e.email), InScope: true, FirstSeenAt: now, LastSyncedAt: now}
		if e.gone {
			r.RemovedAt = &now
		}
		rows = append(rows, r)
	}
	if err := f.st.UpsertHREmployees(t.Context(), rows); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) get(t *testing.T, id int64) *store.User {
	t.Helper()
	u, err := f.st.User(t.Context(), f.org, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

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

func (f *fixture) team(t *testing.T, name string) int64 {
	t.Helper()
	tm := &store.Team{OrgID: f.org, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := f.st.CreateTeam(t.Context(), tm); err != nil {
		t.Fatal(err)
	}
	return tm.ID
}

func (f *fixture) audits(t *testing.T, action string) int {
	t.Helper()
	evs, _, err := f.st.ListAudit(t.Context(), f.org, store.AuditFilter{})
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

func userIDs(us []store.User) []int64 {
	out := []int64{}
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func TestCandidatesAndLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "acme")
		f.employees(t,
			emp{id: 1, first: "Anna", last: "Berg", email: "anna@acme.test", position: "Engineer", teamID: 10, team: "Backend"},
			emp{id: 2, first: "Bo", last: "Chen", email: "bo@acme.test", position: "Designer", teamID: 11, team: "Design"},
			emp{id: 3, first: "Dup", last: "One", email: "dup@acme.test"},
			emp{id: 4, first: "Dup", last: "Two", email: "dup@acme.test"},
			emp{id: 5, first: "Gone", last: "Away", email: "gone@acme.test", gone: true},
			emp{id: 6, first: "Taken", last: "Emp", email: "taken@acme.test"},
			emp{id: 7, first: "Free", last: "Pick", email: "free@acme.test", position: "Ops"},
		)
		anna := f.user(t, "anna", "  ANNA@Acme.Test ", store.RoleMember)
		bo := f.user(t, "Bo", "Bo@acme.test", store.RoleAdmin)
		dup := f.user(t, "dup", "dup@acme.test", store.RoleMember)
		gone := f.user(t, "gone", "gone@acme.test", store.RoleMember)
		taken := f.user(t, "taken", "taken@acme.test", store.RoleMember)
		other := f.user(t, "other", "x@acme.test", store.RoleMember)
		linkedAlready := f.user(t, "linked", "free2@acme.test", store.RoleMember)
		if err := st.UpdateUserFields(t.Context(), f.org, linkedAlready, map[string]any{"personio_id": 6}); err != nil {
			t.Fatal(err)
		}
		deact := f.user(t, "deact", "free@acme.test", store.RoleMember)
		if err := st.UpdateUserFields(t.Context(), f.org, deact, map[string]any{"status": store.StatusDeactivated}); err != nil {
			t.Fatal(err)
		}

		// Mapping: Backend → Engineering; Design unmapped.
		eng, misc := f.team(t, "Engineering"), f.team(t, "Misc")
		if err := st.AddTeamMember(t.Context(), &store.TeamMember{TeamID: misc, UserID: anna, OrgID: f.org, Source: "manual", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		tm := teammap.New(st, func() time.Time { return now }, nil)
		if _, err := tm.Save(t.Context(), f.owner, map[string]int64{"10": eng}); err != nil {
			t.Fatal(err)
		}

		res, err := f.svc.Candidates(t.Context(), f.owner)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Matches) != 2 || res.Matches[0].User.ID != anna || res.Matches[1].User.ID != bo {
			t.Fatalf("matches %+v", res.Matches)
		}
		pa := res.Matches[0].Preview
		if pa.Name != (linking.Change{Old: "anna", New: "Anna Berg"}) || pa.JobTitle.New != "Engineer" || pa.Team != "Engineering" || pa.Unmapped {
			t.Errorf("anna preview %+v", pa)
		}
		if pb := res.Matches[1].Preview; !pb.Unmapped || pb.Team != "" || pb.Unit != "Design" {
			t.Errorf("bo preview %+v", pb)
		}
		if len(res.Ambiguous) != 1 || res.Ambiguous[0].User.ID != dup || len(res.Ambiguous[0].Employees) != 2 {
			t.Fatalf("ambiguous %+v", res.Ambiguous)
		}
		// Owner, gone (removed employee), taken (employee linked elsewhere), other; not linked/deactivated users.
		noMatch := userIDs(res.NoMatch)
		for _, id := range []int64{gone, taken, other, f.owner.UserID} {
			if !slices.Contains(noMatch, id) {
				t.Errorf("user %d not in no-match %v", id, noMatch)
			}
		}
		if slices.Contains(noMatch, deact) || slices.Contains(noMatch, linkedAlready) || len(noMatch) != 4 {
			t.Errorf("no-match %v", noMatch)
		}

		// Manual search: unlinked live employees only.
		es, err := f.svc.SearchEmployees(t.Context(), f.owner, "PICK")
		if err != nil || len(es) != 1 || es[0].PersonioID != 7 {
			t.Fatalf("search: %v %+v", err, es)
		}
		if es, _ := f.svc.SearchEmployees(t.Context(), f.owner, "taken"); len(es) != 0 {
			t.Errorf("linked employee offered: %+v", es)
		}

		n, err := f.svc.Link(t.Context(), f.owner, []linking.Pair{{UserID: anna, PersonioID: 1}, {UserID: bo, PersonioID: 2}, {UserID: dup, PersonioID: 4}, {UserID: other, PersonioID: 7}})
		if err != nil || n != 4 {
			t.Fatalf("link: %d %v", n, err)
		}
		u := f.get(t, anna)
		if u.PersonioID == nil || *u.PersonioID != 1 || u.Name != "Anna Berg" || u.JobTitle != "Engineer" {
			t.Errorf("anna after link: %+v", u)
		}
		if got, want := f.teamsOf(t, anna), []string{fmt.Sprintf("%d:personio", eng), fmt.Sprintf("%d:manual", misc)}; !slices.Equal(sortStrings(got), sortStrings(want)) {
			t.Errorf("anna teams %v, want %v", got, want)
		}
		if got := f.teamsOf(t, bo); len(got) != 0 {
			t.Errorf("bo (unmapped) teams %v", got)
		}
		if u := f.get(t, other); u.PersonioID == nil || *u.PersonioID != 7 || u.JobTitle != "Ops" {
			t.Errorf("other after link: %+v", u)
		}
		if n := f.audits(t, "user.linked"); n != 4 {
			t.Errorf("%d user.linked audits", n)
		}
		res, err = f.svc.Candidates(t.Context(), f.owner)
		if err != nil || len(res.Matches) != 0 || len(res.Ambiguous) != 0 {
			t.Fatalf("after link: %v %+v", err, res)
		}
	})
}

func sortStrings(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestLinkRejectsInvalidPairsAndNonAdmins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "acme")
		g := newFixture(t, st, "globex")
		f.employees(t,
			emp{id: 1, first: "Anna", last: "Berg", email: "anna@acme.test"},
			emp{id: 2, first: "Bo", last: "Chen", email: "bo@acme.test"},
			emp{id: 3, first: "Gone", last: "Away", email: "gone@acme.test", gone: true},
		)
		anna := f.user(t, "anna", "anna@acme.test", store.RoleMember)
		bo := f.user(t, "bo", "bo@acme.test", store.RoleMember)
		if err := st.UpdateUserFields(t.Context(), f.org, bo, map[string]any{"personio_id": 2}); err != nil {
			t.Fatal(err)
		}
		stranger := g.user(t, "stranger", "s@globex.test", store.RoleMember)
		cases := map[string][]linking.Pair{
			"other org's user":        {{UserID: anna, PersonioID: 1}, {UserID: stranger, PersonioID: 1}},
			"already linked employee": {{UserID: anna, PersonioID: 2}},
			"already linked user":     {{UserID: bo, PersonioID: 1}},
			"removed employee":        {{UserID: anna, PersonioID: 3}},
			"unknown employee":        {{UserID: anna, PersonioID: 99}},
			"employee twice":          {{UserID: anna, PersonioID: 1}, {UserID: f.owner.UserID, PersonioID: 1}},
		}
		for name, pairs := range cases {
			_, err := f.svc.Link(t.Context(), f.owner, pairs)
			if fe := roster.FieldErrors(err); len(fe) == 0 {
				t.Errorf("%s: got %v, want a validation error", name, err)
			}
		}
		if u := f.get(t, anna); u.PersonioID != nil || u.Name != "anna" {
			t.Errorf("anna changed: %+v", u)
		}
		if n := f.audits(t, "user.linked"); n != 0 {
			t.Errorf("%d audits", n)
		}
		// Another org's admin cannot link this org's user.
		if _, err := g.svc.Link(t.Context(), g.owner, []linking.Pair{{UserID: anna, PersonioID: 1}}); roster.FieldErrors(err) == nil {
			t.Errorf("cross-org link: %v", err)
		}
		for _, role := range []string{store.RoleMember, store.RoleManager} {
			a := roster.Actor{UserID: anna, OrgID: f.org, Name: "x", Role: role}
			if _, err := f.svc.Candidates(t.Context(), a); !errors.Is(err, roster.ErrForbidden) {
				t.Errorf("%s candidates: %v", role, err)
			}
			if _, err := f.svc.SearchEmployees(t.Context(), a, ""); !errors.Is(err, roster.ErrForbidden) {
				t.Errorf("%s search: %v", role, err)
			}
			if _, err := f.svc.Link(t.Context(), a, []linking.Pair{{UserID: anna, PersonioID: 1}}); !errors.Is(err, roster.ErrForbidden) {
				t.Errorf("%s link: %v", role, err)
			}
		}
	})
}
