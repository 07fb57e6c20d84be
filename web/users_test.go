package web_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

func TestInviteAcceptFlow(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		team := createTeam(t, owner, "Platform")

		// Bad input: clear messages, nothing stored.
		for _, tc := range []struct {
			form  url.Values
			field string
		}{
			{url.Values{"email": {"nope"}, "name": {"X"}, "role": {"member"}}, "email"},
			{url.Values{"email": {"olga@acme.test"}, "name": {"X"}, "role": {"member"}}, "email"},
			{url.Values{"email": {"x@acme.test"}, "name": {""}, "role": {"member"}}, "name"},
			{url.Values{"email": {"x@acme.test"}, "name": {"X"}, "role": {"emperor"}}, "role"},
		} {
			r := owner.post("/users/invite", "/users/invite", tc.form)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if r.testid("error-"+tc.field).Length() != 1 {
				t.Fatalf("%v: no error next to %s", tc.form, tc.field)
			}
		}
		if len(a.mailbox.Messages()) != 0 {
			t.Fatal("invalid invites sent mail")
		}

		link := a.invite(owner, " Max.Mustermann@Acme.test ", "Max Mustermann", "member", team)
		list := owner.get("/users?status=invited")
		row := list.find(`[data-testid="user-row"][data-email="max.mustermann@acme.test"]`)
		if row.Length() != 1 || strings.TrimSpace(row.Find(`[data-testid="user-status"]`).Text()) != "invited" {
			t.Fatalf("invited user not listed as invited: %.500s", list.testid("users-table").Text())
		}
		// Accept: weak password refused, then success.
		path := strings.TrimPrefix(link, "http://roster.test")
		c := a.client()
		r := c.post(path, path, url.Values{"name": {"Max"}, "new_password": {"123"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if r.testid("error-new_password").Length() != 1 {
			t.Fatal("weak password error missing")
		}
		member := a.acceptAs(link, "Max M.")
		home := member.get("/")
		expectStatus(t, home, http.StatusOK)
		if !strings.Contains(home.testid("member-dashboard").Text(), "Platform") {
			t.Errorf("member dashboard does not show the team: %q", home.testid("member-dashboard").Text())
		}
		// One-time link.
		if r := a.client().get(path); r.status != http.StatusNotFound {
			t.Fatalf("used invitation link still valid: %d", r.status)
		}
		list = owner.get("/users?q=max")
		if s := strings.TrimSpace(list.find(`[data-testid="user-status"]`).First().Text()); s != "active" {
			t.Fatalf("accepted user status %q", s)
		}
		// Members may not manage users.
		if r := member.get("/users"); r.status != http.StatusForbidden {
			t.Fatalf("member on /users: %d", r.status)
		}
	})
}

func TestResendAndRevokeInvitation(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		first := a.invite(owner, "ivy@acme.test", "Ivy", "member")
		id := a.userID("ivy@acme.test")
		r := owner.post(fmt.Sprintf("/users/%d", id), fmt.Sprintf("/users/%d/resend", id), nil)
		expectStatus(t, r, http.StatusSeeOther)
		msgs := a.mailbox.Messages()
		if len(msgs) != 2 || msgs[0].Link == first {
			t.Fatalf("resend did not send a new link (%d mails)", len(msgs))
		}
		if r := a.client().get(strings.TrimPrefix(first, "http://roster.test")); r.status != http.StatusNotFound {
			t.Fatalf("old link still valid after resend: %d", r.status)
		}
		r = owner.post(fmt.Sprintf("/users/%d", id), fmt.Sprintf("/users/%d/revoke", id), nil)
		expectStatus(t, r, http.StatusSeeOther)
		if r := a.client().get(strings.TrimPrefix(msgs[0].Link, "http://roster.test")); r.status != http.StatusNotFound {
			t.Fatalf("revoked link still valid: %d", r.status)
		}
		if owner.get("/users?q=ivy").find(`[data-testid="user-row"]`).Length() != 0 {
			t.Fatal("revoked user still listed")
		}
	})
}

func TestUsersSearchFilterPaginationAndFragment(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		ctx := t.Context()
		org, _ := a.store.OrganizationBySlug(ctx, "acme")
		team := &store.Team{OrgID: org.ID, Name: "Sales"}
		if err := a.store.CreateTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 60; i++ {
			u := &store.User{OrgID: org.ID, Email: fmt.Sprintf("user%02d@acme.test", i), Name: fmt.Sprintf("User %02d", i), Role: store.RoleMember, Status: store.StatusActive}
			if i%3 == 0 {
				u.Role, u.Status = store.RoleManager, store.StatusDeactivated
			}
			if err := a.store.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if i < 7 {
				if err := a.store.AddTeamMember(ctx, &store.TeamMember{TeamID: team.ID, UserID: u.ID, OrgID: org.ID, Source: "manual"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		rows := func(r *resp) int { return r.find(`[data-testid="user-row"]`).Length() }
		if r := owner.get("/users"); rows(r) != 25 || r.testid("pager").Length() != 1 {
			t.Fatalf("first page has %d rows", rows(r))
		}
		if r := owner.get("/users?page=3"); rows(r) != 11 { // 61 users: 25+25+11
			t.Fatalf("page 3 has %d rows", rows(r))
		}
		if r := owner.get("/users?q=user+1"); rows(r) != 10 {
			t.Fatalf("search 'user 1' found %d", rows(r))
		}
		if r := owner.get("/users?q=USER05%40ACME"); rows(r) != 1 {
			t.Fatalf("email search found %d", rows(r))
		}
		if r := owner.get("/users?status=deactivated&role=manager"); rows(r) != 20 {
			t.Fatalf("status+role filter found %d", rows(r))
		}
		if r := owner.get("/users?team=" + strconv.FormatInt(team.ID, 10)); rows(r) != 7 {
			t.Fatalf("team filter found %d", rows(r))
		}
		if r := owner.get("/users?q=nobody-here"); r.testid("empty-state").Length() != 1 {
			t.Fatal("no empty state")
		}
		// htmx (not boosted): only the table fragment; boosted: the full page.
		frag := owner.do(http.MethodGet, "/users?q=user", nil, map[string]string{"HX-Request": "true"})
		if strings.Contains(frag.body, "<html") || frag.testid("users-table").Length() != 1 || frag.testid("sidebar").Length() != 0 {
			t.Fatalf("htmx request did not get the fragment: %.300s", frag.body)
		}
		if !strings.Contains(strings.Join(frag.header.Values("Vary"), ","), "HX-Request") {
			t.Error("Vary: HX-Request missing")
		}
		boosted := owner.do(http.MethodGet, "/users", nil, map[string]string{"HX-Request": "true", "HX-Boosted": "true"})
		if boosted.testid("sidebar").Length() != 1 {
			t.Fatal("boosted request did not get the full page")
		}
	})
}

func TestEditDeactivateReactivate(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		t1, t2 := createTeam(t, owner, "Ops"), createTeam(t, owner, "Web")
		member := a.acceptAs(a.invite(owner, "mia@acme.test", "Mia", "member", t1), "Mia")
		id := a.userID("mia@acme.test")
		edit := fmt.Sprintf("/users/%d", id)

		r := owner.post(edit, edit, url.Values{"name": {""}, "role": {"member"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if r.testid("error-name").Length() != 1 {
			t.Fatal("empty name accepted")
		}
		r = owner.post(edit, edit, url.Values{"name": {"Mia Meyer"}, "job_title": {"Engineer"}, "role": {"manager"}, "team_ids": {t2}})
		expectStatus(t, r, http.StatusSeeOther)
		page := owner.get(edit)
		if page.testid("user-name").Text() != "Mia Meyer" {
			t.Fatalf("name not saved: %q", page.testid("user-name").Text())
		}
		if v, _ := page.find(`select[name="role"] option[selected]`).Attr("value"); v != "manager" {
			t.Errorf("role %q", v)
		}
		if !page.find(`input[name="team_ids"][value="`+t2+`"]`).Is("[checked]") || page.find(`input[name="team_ids"][value="`+t1+`"]`).Is("[checked]") {
			t.Error("teams not replaced")
		}
		// The member's live session ends at deactivation.
		expectStatus(t, member.get("/"), http.StatusOK)
		r = owner.post(edit, edit+"/deactivate", nil)
		expectStatus(t, r, http.StatusSeeOther)
		if r := member.get("/"); r.status != http.StatusSeeOther {
			t.Fatalf("deactivated user's session still works: %d", r.status)
		}
		r = member.post("/login", "/login", url.Values{"email": {"mia@acme.test"}, "password": {testPassword}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		// Data kept; reactivation lets them back in.
		if s := strings.TrimSpace(owner.get(edit).testid("user-status").First().Text()); s != "deactivated" {
			t.Fatalf("status %q", s)
		}
		expectStatus(t, owner.post(edit, edit+"/reactivate", nil), http.StatusSeeOther)
		a.login("mia@acme.test", testPassword)
		// An owner cannot deactivate themself, nor demote the last owner.
		oid := a.userID("olga@acme.test")
		self := fmt.Sprintf("/users/%d", oid)
		r = owner.post(self, self, url.Values{"name": {"Olga"}, "role": {"admin"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("error-role").Text(), "at least one active owner") {
			t.Errorf("last owner demotion message: %q", r.testid("error-role").Text())
		}
	})
}

func TestAdminCannotTouchOwners(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		admin := a.acceptAs(a.invite(owner, "adam@acme.test", "Adam", "admin"), "Adam")
		oid := a.userID("olga@acme.test")
		p := fmt.Sprintf("/users/%d", oid)
		expectStatus(t, admin.post(p, p+"/deactivate", nil), http.StatusSeeOther)
		if s := strings.TrimSpace(owner.get(p).testid("user-status").First().Text()); s != "active" {
			t.Fatalf("admin deactivated the owner: %s", s)
		}
		r := admin.post("/users/invite", "/users/invite", url.Values{"email": {"o2@acme.test"}, "name": {"O2"}, "role": {"owner"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
	})
}

func TestExportCSVAndJSON(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		team := createTeam(t, owner, "Finance")
		a.invite(owner, "eve@acme.test", "=HYPERLINK(\"http://evil\")", "member", team)

		r := owner.get("/users/export?format=csv")
		expectStatus(t, r, http.StatusOK)
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv headers: %v", r.header)
		}
		recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil || len(recs) != 3 {
			t.Fatalf("csv rows %d: %v", len(recs), err)
		}
		var eve []string
		for _, rec := range recs {
			if rec[1] == "eve@acme.test" {
				eve = rec
			}
		}
		if eve == nil || !strings.HasPrefix(eve[2], "'=") || eve[6] != "Finance" || eve[4] != "invited" {
			t.Fatalf("eve's row (formula must be neutralised): %q", eve)
		}

		r = owner.get("/users/export?format=json&status=invited")
		var users []struct {
			Email string   `json:"email"`
			Teams []string `json:"teams"`
		}
		if err := json.Unmarshal([]byte(r.body), &users); err != nil {
			t.Fatalf("json: %v; %.300s", err, r.body)
		}
		if len(users) != 1 || users[0].Email != "eve@acme.test" || users[0].Teams[0] != "Finance" {
			t.Fatalf("json export %+v", users)
		}
		if r := owner.get("/users/export?format=xml"); r.status != http.StatusBadRequest {
			t.Fatalf("unknown format: %d", r.status)
		}
	})
}

// createTeam creates a team through the UI and returns its id.
func createTeam(t *testing.T, c *client, name string) string {
	t.Helper()
	r := c.post("/teams", "/teams", url.Values{"name": {name}})
	expectStatus(t, r, http.StatusSeeOther)
	loc := r.header.Get("Location")
	return strings.TrimPrefix(loc, "/teams/")
}
