package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// snapshot captures an organisation's state to prove a request changed nothing.
func snapshot(t *testing.T, st *store.Store, orgID int64) string {
	t.Helper()
	ctx := context.Background()
	users, _, err := st.ListUsers(ctx, orgID, store.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	teams, err := st.ListTeams(ctx, orgID)
	if err != nil {
		t.Fatal(err)
	}
	audit, _, err := st.ListAudit(ctx, orgID, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, u := range users {
		fmt.Fprintf(&b, "u%d %s %s %s %s %s|", u.ID, u.Email, u.Name, u.Role, u.Status, u.JobTitle)
	}
	for _, tm := range teams {
		fmt.Fprintf(&b, "t%d %s %v %v %d|", tm.ID, tm.Name, ptr(tm.ManagerID), ptr(tm.ApproverID), tm.Members)
	}
	fmt.Fprintf(&b, "audit %d", len(audit))
	return b.String()
}

func ptr(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// fillPath substitutes route parameters with the given ids.
func fillPath(route string, teamID, userID int64) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		switch {
		case p == ":id" && i > 0 && parts[i-1] == "teams":
			parts[i] = itoa(teamID)
		case p == ":id" || p == ":userID" || p == ":personioID":
			parts[i] = itoa(userID)
		}
	}
	return strings.Join(parts, "/")
}

// orgFixture is an organisation with a team, a member and an invited user.
type orgFixture struct {
	owner             *client
	org               *store.Organization
	teamID, memberID  int64
	invitedID, ownerI int64
}

func buildOrg(t *testing.T, a *app, first bool, name, domain string) orgFixture {
	t.Helper()
	var f orgFixture
	ownerEmail := "owner@" + domain
	if first {
		f.owner = a.setupOrg(name, ownerEmail)
		f.org, _ = a.store.OrganizationBySlug(t.Context(), strings.ToLower(name))
	} else {
		f.owner, f.org = a.createOrg(name, ownerEmail)
	}
	f.teamID = mustInt(createTeam(t, f.owner, "Team "+name))
	a.acceptAs(a.invite(f.owner, "member@"+domain, "Member "+name, "member", itoa(f.teamID)), "Member "+name)
	a.invite(f.owner, "invited@"+domain, "Invited "+name, "member")
	f.memberID, f.invitedID, f.ownerI = a.userID("member@"+domain), a.userID("invited@"+domain), a.userID(ownerEmail)
	return f
}

func mustInt(s string) int64 {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		panic(err)
	}
	return n
}

func TestTenantIsolation(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		A := buildOrg(t, a, true, "Alpha", "alpha.test")
		B := buildOrg(t, a, false, "Beta", "beta.test")
		before := snapshot(t, a.store, B.org.ID)

		formFor := map[string]url.Values{
			"/users/:id":         {"name": {"Hijacked"}, "role": {"admin"}},
			"/teams/:id":         {"name": {"Hijacked"}},
			"/teams/:id/members": {"user_id": {itoa(A.memberID)}},
		}
		checked := 0
		for _, r := range a.srv.Echo().Routes() {
			if !strings.Contains(r.Path, ":id") && !strings.Contains(r.Path, ":userID") && !strings.Contains(r.Path, ":personioID") {
				continue
			}
			for _, target := range []int64{B.memberID, B.invitedID, B.ownerI} {
				path := fillPath(r.Path, B.teamID, target)
				var res *resp
				if r.Method == http.MethodGet {
					res = A.owner.get(path)
				} else {
					form := url.Values{}
					for k, v := range formFor[r.Path] {
						form[k] = v
					}
					form.Set("_csrf", A.owner.csrf("/"))
					res = A.owner.do(r.Method, path, form, nil)
				}
				if res.status != http.StatusNotFound {
					t.Errorf("%s %s (organisation B's id) answered %d, want 404", r.Method, path, res.status)
				}
				if strings.Contains(res.body, "Beta") || strings.Contains(res.body, "beta.test") {
					t.Errorf("%s %s leaked organisation B's data", r.Method, path)
				}
				checked++
			}
		}
		if checked < 30 {
			t.Fatalf("only %d id routes checked", checked)
		}

		// B's ids in query strings and form fields.
		if res := A.owner.get("/users?team=" + itoa(B.teamID)); res.find(`[data-testid="user-row"]`).Length() != 0 || strings.Contains(res.body, "beta.test") {
			t.Error("team filter with B's team id showed users")
		}
		if res := A.owner.get("/users/export?format=json&team=" + itoa(B.teamID)); strings.Contains(res.body, "beta.test") {
			t.Error("export with B's team id leaked B's users")
		}
		bad := []struct {
			path, page string
			form       url.Values
		}{
			{"/users/invite", "/users/invite", url.Values{"email": {"new@alpha.test"}, "name": {"N"}, "role": {"member"}, "team_ids": {itoa(B.teamID)}}},
			{fmt.Sprintf("/users/%d", A.memberID), "/", url.Values{"name": {"M"}, "role": {"member"}, "team_ids": {itoa(B.teamID)}}},
			{fmt.Sprintf("/teams/%d", A.teamID), "/", url.Values{"name": {"T"}, "manager_id": {itoa(B.memberID)}}},
			{fmt.Sprintf("/teams/%d/members", A.teamID), "/", url.Values{"user_id": {itoa(B.memberID)}}},
		}
		for _, b := range bad {
			res := A.owner.post(b.page, b.path, b.form)
			if res.status != http.StatusUnprocessableEntity {
				t.Errorf("POST %s with B's ids in the form: %d, want 422", b.path, res.status)
			}
		}
		// An invitation token is global, but B's audit and users never show up in A's pages.
		for _, p := range []string{"/", "/users", "/teams", "/audit", "/users/export?format=csv"} {
			if res := A.owner.get(p); strings.Contains(res.body, "beta.test") || strings.Contains(res.body, "Team Beta") {
				t.Errorf("%s shows organisation B's data", p)
			}
		}
		if after := snapshot(t, a.store, B.org.ID); after != before {
			t.Fatalf("organisation B changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}

func TestEveryUnsafeRouteRequiresCSRF(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		A := buildOrg(t, a, true, "Alpha", "alpha.test")
		before := snapshot(t, a.store, A.org.ID)
		n := 0
		for _, r := range a.srv.Echo().Routes() {
			switch r.Method {
			case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			default:
				continue
			}
			path := fillPath(strings.Replace(r.Path, ":token", "sometoken", 1), A.teamID, A.memberID)
			form := url.Values{"name": {"Changed"}, "role": {"admin"}, "email": {"x@alpha.test"}, "user_id": {itoa(A.ownerI)}, "org_name": {"X"}, "timezone": {"UTC"}, "owner_name": {"X"}, "password": {testPassword}}
			res := A.owner.do(r.Method, path, form, nil)
			if res.status != http.StatusForbidden {
				t.Errorf("%s %s without CSRF token answered %d, want 403", r.Method, path, res.status)
			}
			res = A.owner.do(r.Method, path, form, map[string]string{"X-CSRF-Token": "forged"})
			if res.status != http.StatusForbidden {
				t.Errorf("%s %s with a forged CSRF token answered %d, want 403", r.Method, path, res.status)
			}
			n++
		}
		if n < 15 {
			t.Fatalf("only %d unsafe routes found", n)
		}
		if after := snapshot(t, a.store, A.org.ID); after != before {
			t.Fatalf("state changed by requests without CSRF:\nbefore %s\nafter  %s", before, after)
		}
		// The logged-in session survived (logout without token did nothing).
		expectStatus(t, A.owner.get("/users"), http.StatusOK)
	})
}

// publicRoutes need no login ("METHOD path"); TestRolesOnEveryRoute skips
// them.
var publicRoutes = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true,
	"GET /setup": true, "POST /setup": true, "GET /signup": true, "POST /signup": true,
	"GET /login": true, "POST /login": true, "POST /logout": true, "GET /dev/mailbox": true,
}

// routeRoles lists the roles besides admins that may use a route ("METHOD
// path" → roles); a route not listed is for admins and owners only. A
// feature's test file registers its own routes in an init function.
var routeRoles = map[string][]string{
	"GET /":          {"member", "manager"},
	"GET /teams":     {"member", "manager"},
	"GET /teams/:id": {"member", "manager"},
}

func TestRolesOnEveryRoute(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		A := buildOrg(t, a, true, "Alpha", "alpha.test")
		manager := a.acceptAs(a.invite(A.owner, "mgr@alpha.test", "Mgr", "manager"), "Mgr")
		admin := a.acceptAs(a.invite(A.owner, "adm@alpha.test", "Adm", "admin"), "Adm")
		member := a.login("member@alpha.test", testPassword)
		for _, r := range a.srv.Echo().Routes() {
			if r.Method != http.MethodGet && r.Method != http.MethodPost {
				continue
			}
			key := r.Method + " " + r.Path
			if publicRoutes[key] || strings.HasPrefix(r.Path, "/static") || strings.HasPrefix(r.Path, "/invitations") {
				continue
			}
			roles := routeRoles[key]
			path := fillPath(r.Path, A.teamID, A.invitedID)
			if r.Path == "/users/export" {
				path += "?format=csv"
			}
			for _, who := range []struct {
				name    string
				c       *client
				allowed bool
			}{
				{"member", member, slices.Contains(roles, "member")},
				{"manager", manager, slices.Contains(roles, "manager")},
				{"admin", admin, true},
				{"owner", A.owner, true},
			} {
				var res *resp
				if r.Method == http.MethodGet {
					res = who.c.get(path)
				} else {
					res = who.c.do(http.MethodPost, path, url.Values{"_csrf": {who.c.csrf("/")}}, nil)
				}
				if who.allowed && res.status == http.StatusForbidden {
					t.Errorf("%s was refused %s %s", who.name, r.Method, path)
				}
				if !who.allowed && res.status != http.StatusForbidden {
					t.Errorf("%s got %d on %s %s, want 403", who.name, res.status, r.Method, path)
				}
			}
		}
		// Anonymous visitors are sent to login.
		if res := a.client().get("/users"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/login") {
			t.Fatalf("anonymous /users: %d %s", res.status, res.header.Get("Location"))
		}
	})
}

func TestOpsEndpointsAndHeaders(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		c := a.client()
		for _, p := range []string{"/healthz", "/readyz"} {
			if r := c.get(p); r.status != http.StatusOK {
				t.Errorf("%s: %d", p, r.status)
			}
		}
		c.get("/setup")
		m := c.get("/metrics")
		if m.status != http.StatusOK || !strings.Contains(m.body, "roster_http_requests_total") || !strings.Contains(m.body, "go_goroutines") {
			t.Fatalf("metrics: %d %.200s", m.status, m.body)
		}
		r := c.get("/setup")
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
		} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s = %q", h, got)
			}
		}
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP %q", csp)
		}
		if strings.Contains(r.body, "<script>") {
			t.Error("inline script on the page")
		}
		if r.header.Get("X-Request-Id") == "" {
			t.Error("no request id header")
		}
		if r := c.get("/static/vendor/htmx.min.js"); r.status != http.StatusOK {
			t.Errorf("htmx not served: %d", r.status)
		}
		owner := a.setupOrg("Acme", "o@acme.test")
		if r := owner.get("/nope"); r.status != http.StatusNotFound || r.testid("error-page").Length() != 1 {
			t.Errorf("404 page: %d", r.status)
		}
	})
}
