package hrinvite_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/hrinvite"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

var now = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

type emp struct {
	id                int64
	email, team, cc   string
	status, term, lwd string
	outOfScope, gone  bool
	teamID            int64
	hire, picture     string
	supervisor        int64
}

type fixture struct {
	st    *store.Store
	svc   *hrinvite.Service
	mb    *mail.Mailbox
	org   int64
	owner roster.Actor
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	o := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	u := &store.User{OrgID: o.ID, Email: "owner@acme.test", Name: "Owner", Role: store.RoleOwner, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	mb := mail.NewMailbox()
	clock := func() time.Time { return now }
	acc := accounts.New(accounts.Options{Store: st, Mailer: mb, BaseURL: "http://roster.test", BcryptCost: 4, Now: clock})
	return &fixture{st: st, svc: hrinvite.New(st, acc, clock, nil), mb: mb, org: o.ID,
		owner: roster.Actor{UserID: u.ID, OrgID: o.ID, Name: "Owner", Role: store.RoleOwner}}
}

func (f *fixture) employees(t *testing.T, es ...emp) {
	t.Helper()
	rows := make([]store.HREmployee, 0, len(es))
	for _, e := range es {
		status := e.status
		if status == "" {
			status = "active"
		}
		ccs, names := "[]", ""
		if e.cc != "" {
			ccs, names = fmt.Sprintf(`[{"id":1,"name":%q,"percentage":100}]`, e.cc), "|"+e.cc+"|"
		}
		r := store.HREmployee{OrgID: f.org, PersonioID: e.id, FirstName: "E", LastName: fmt.Sprint(e.id), Email: strings.ToLower(e.email) /* the mirror lower-cases */, Status: status,
			Position: "Engineer", TeamID: e.teamID, TeamName: e.team, CostCenters: ccs, CostCenterNames: names, TerminationDate: e.term, LastWorkingDay: e.lwd,
			Custom: "{}", Warnings: "[]", InScope: !e.outOfScope, FirstSeenAt: now, LastSyncedAt: now, SearchText: strings.ToLower(fmt.Sprintf("e %d %s", e.id, e.email))}
		if e.gone {
			r.RemovedAt = &now
		}
		r.HireDate, r.ProfilePictureURL = e.hire, e.picture
		if e.supervisor != 0 {
			r.SupervisorID = &e.supervisor
		}
		rows = append(rows, r)
	}
	if err := f.st.UpsertHREmployees(t.Context(), rows); err != nil {
		t.Fatal(err)
	}
}

func ids(p *hrinvite.Page) []int64 {
	out := []int64{}
	for _, r := range p.Rows {
		out = append(out, r.Employee.PersonioID)
	}
	slices.Sort(out)
	return out
}

func TestListAndInvite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := t.Context()
		f.employees(t,
			emp{id: 1, email: "one@acme.test", teamID: 10, team: "Backend", cc: "R&D"},
			emp{id: 2, email: "two@acme.test", teamID: 11, team: "Sales", cc: "Sales"},
			emp{id: 3, teamID: 10, team: "Backend", cc: "R&D"},                                   // no email
			emp{id: 4, email: "four@acme.test", status: "inactive", teamID: 10, team: "Backend"}, // left
			emp{id: 5, email: "five@acme.test", term: "2025-03-03", teamID: 10, team: "Backend"}, // terminated yesterday
			emp{id: 6, email: "six@acme.test", lwd: "2025-03-04", teamID: 10, team: "Backend"},   // last day today: still here
			emp{id: 7, email: "seven@acme.test", gone: true},
			emp{id: 8, email: "OWNER@acme.test"}, // a user has the email
			emp{id: 9, email: "nine@acme.test", outOfScope: true},
		)
		team := &store.Team{OrgID: f.org, Name: "Engineering", CreatedAt: now, UpdatedAt: now}
		if err := st.CreateTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveTeamMapping(ctx, &store.TeamMapping{OrgID: f.org, Source: store.TeamSourceTeam, PersonioKey: "10", PersonioName: "Backend", TeamID: team.ID, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}

		p, err := f.svc.List(ctx, f.owner, hrinvite.Filter{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(p); !slices.Equal(got, []int64{1, 2, 3, 6}) || p.Total != 4 {
			t.Fatalf("invitable %v (total %d)", got, p.Total)
		}
		for _, r := range p.Rows {
			switch r.Employee.PersonioID {
			case 1:
				if r.Team != "Engineering" || r.Unmapped || r.NoEmail {
					t.Errorf("row 1 %+v", r)
				}
			case 2:
				if !r.Unmapped {
					t.Errorf("row 2 not unmapped")
				}
			case 3:
				if !r.NoEmail {
					t.Errorf("row 3 has an email")
				}
			}
		}
		p, _ = f.svc.List(ctx, f.owner, hrinvite.Filter{Unit: "Backend", CostCenter: "R&D"}, 1)
		if got := ids(p); !slices.Equal(got, []int64{1, 3}) {
			t.Errorf("filtered %v", got)
		}
		p, _ = f.svc.List(ctx, f.owner, hrinvite.Filter{Query: "TWO"}, 1)
		if got := ids(p); !slices.Equal(got, []int64{2}) {
			t.Errorf("search %v", got)
		}

		// Members and managers may not.
		for _, role := range []string{store.RoleMember, store.RoleManager} {
			a := f.owner
			a.Role = role
			if _, err := f.svc.Invite(ctx, a, []int64{1}); !errors.Is(err, roster.ErrForbidden) {
				t.Errorf("%s invite: %v", role, err)
			}
			if _, err := f.svc.List(ctx, a, hrinvite.Filter{}, 1); !errors.Is(err, roster.ErrForbidden) {
				t.Errorf("%s list: %v", role, err)
			}
		}

		// Any ineligible employee fails the whole call.
		for _, bad := range []int64{3, 4, 5, 7, 8, 9, 99} {
			_, err := f.svc.Invite(ctx, f.owner, []int64{1, bad})
			if fe := roster.FieldErrors(err); fe[fmt.Sprintf("employee_%d", bad)] == "" {
				t.Errorf("invite %d: %v", bad, err)
			}
		}
		if n := len(f.mb.Messages()); n != 0 {
			t.Fatalf("%d mails after refused invites", n)
		}

		n, err := f.svc.Invite(ctx, f.owner, []int64{1, 2})
		if err != nil || n != 2 {
			t.Fatalf("invite: %d %v", n, err)
		}
		linked, _ := st.LinkedUsers(ctx, f.org, []int64{1, 2})
		u1 := linked[1]
		if u1.Status != store.StatusInvited || u1.Role != store.RoleMember || u1.Email != "one@acme.test" || u1.Name != "E 1" || u1.JobTitle != "Engineer" {
			t.Errorf("user 1 %+v", u1)
		}
		teams, _ := st.TeamsOfUsers(ctx, f.org, []int64{u1.ID, linked[2].ID})
		if len(teams[u1.ID]) != 1 || teams[u1.ID][0].ID != team.ID || len(teams[linked[2].ID]) != 0 {
			t.Errorf("teams %v", teams)
		}
		msgs := f.mb.Messages()
		if len(msgs) != 2 || !strings.HasPrefix(msgs[0].Link, "http://roster.test/invitations/") {
			t.Errorf("mails %+v", msgs)
		}

		// Twice is impossible.
		if _, err := f.svc.Invite(ctx, f.owner, []int64{1}); roster.FieldErrors(err)["employee_1"] == "" {
			t.Errorf("second invite: %v", err)
		}

		// All matching: only 6 is left that can be invited (3 has no email).
		n, err = f.svc.InviteAllMatching(ctx, f.owner, hrinvite.Filter{Unit: "Backend"})
		if err != nil || n != 1 {
			t.Fatalf("invite all: %d %v", n, err)
		}
		if _, err := f.svc.InviteAllMatching(ctx, f.owner, hrinvite.Filter{Unit: "Backend"}); roster.FieldErrors(err) == nil {
			t.Errorf("nothing left to invite: %v", err)
		}
		p, _ = f.svc.List(ctx, f.owner, hrinvite.Filter{}, 1)
		if got := ids(p); !slices.Equal(got, []int64{3}) {
			t.Errorf("left %v", got)
		}
	})
}

// TestInviteGivesEveryPersonioField: an employee invited via HR gets at once
// every field Personio manages, as a new hire invited automatically does:
// dates, cost center, picture, access from a hire date ahead (with "access
// from hire date"), the mapped team and the user linked to the supervisor as
// manager (who becomes a manager).
func TestInviteGivesEveryPersonioField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := t.Context()
		f.employees(t,
			emp{id: 20, email: "boss@acme.test", teamID: 10, team: "Backend"},
			emp{id: 21, email: "new@acme.test", teamID: 10, team: "Backend", cc: "R&D", supervisor: 20,
				hire: "2025-03-20", lwd: "2025-12-31", term: "2026-01-31", picture: "https://img.test/21.png"},
			emp{id: 22, email: "old@acme.test", teamID: 11, team: "Sales", hire: "2024-01-10", supervisor: 21},
			emp{id: 23, email: "later@acme.test", teamID: 10, team: "Backend", hire: "2025-04-01"},
		)
		boss := &store.User{OrgID: f.org, Email: "boss@acme.test", Name: "Boss", Role: store.RoleMember, Status: store.StatusActive,
			PersonioID: ptr(int64(20)), CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, boss); err != nil {
			t.Fatal(err)
		}
		team := &store.Team{OrgID: f.org, Name: "Engineering", CreatedAt: now, UpdatedAt: now}
		if err := st.CreateTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveTeamMapping(ctx, &store.TeamMapping{OrgID: f.org, Source: store.TeamSourceTeam, PersonioKey: "10", PersonioName: "Backend", TeamID: team.ID, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		settings := func(accessFromHire bool) {
			s, err := st.SyncSettings(ctx, f.org)
			if err != nil {
				t.Fatal(err)
			}
			s.AccessFromHireDate = accessFromHire
			if err := st.SaveSyncSettings(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		settings(true)

		if n, err := f.svc.Invite(ctx, f.owner, []int64{21, 22}); err != nil || n != 2 {
			t.Fatalf("invite: %d %v", n, err)
		}
		linked, err := st.LinkedUsers(ctx, f.org, []int64{21, 22})
		if err != nil {
			t.Fatal(err)
		}
		u := linked[21]
		got := map[string][2]string{
			"name":             {u.Name, "E 21"},
			"job title":        {u.JobTitle, "Engineer"},
			"hire date":        {u.HireDate, "2025-03-20"},
			"last working day": {u.LastWorkingDay, "2025-12-31"},
			"termination date": {u.TerminationDate, "2026-01-31"},
			"cost center":      {u.CostCenter, "R&D"},
			"picture":          {u.PictureURL, "https://img.test/21.png"},
			"access from":      {u.AccessFrom, "2025-03-20"},
		}
		for field, v := range got {
			if v[0] != v[1] {
				t.Errorf("invited user's %s %q, want %q", field, v[0], v[1])
			}
		}
		if u.ManagerID == nil || *u.ManagerID != boss.ID || u.ManagerSource != store.SourcePersonio {
			t.Errorf("invited user's manager %v (%q), want %d from Personio", u.ManagerID, u.ManagerSource, boss.ID)
		}
		if b, _ := st.User(ctx, f.org, boss.ID); b.Role != store.RoleManager {
			t.Errorf("supervisor's role %s, want manager", b.Role)
		}
		// 22 is supervised by 21, invited in the same call; hired long ago:
		// no access date; its Personio team is unmapped: no team.
		old := linked[22]
		if old.HireDate != "2024-01-10" || old.AccessFrom != "" {
			t.Errorf("user 22: hire date %q access from %q", old.HireDate, old.AccessFrom)
		}
		if old.ManagerID == nil || *old.ManagerID != u.ID {
			t.Errorf("user 22's manager %v, want %d", old.ManagerID, u.ID)
		}
		teams, _ := st.TeamsOfUsers(ctx, f.org, []int64{u.ID, old.ID})
		if len(teams[u.ID]) != 1 || teams[u.ID][0].ID != team.ID || len(teams[old.ID]) != 0 {
			t.Errorf("teams %v", teams)
		}

		// Without "access from hire date", a hire date ahead gives no access date.
		settings(false)
		if _, err := f.svc.Invite(ctx, f.owner, []int64{23}); err != nil {
			t.Fatal(err)
		}
		later, _ := st.LinkedUsers(ctx, f.org, []int64{23})
		if l := later[23]; l.HireDate != "2025-04-01" || l.AccessFrom != "" {
			t.Errorf("user 23: hire date %q access from %q", l.HireDate, l.AccessFrom)
		}
	})
}

func ptr[T any](v T) *T { return &v }
