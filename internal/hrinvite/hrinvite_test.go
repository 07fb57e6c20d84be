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
