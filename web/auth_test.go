package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestFirstRunSetup(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		c := a.client()
		r := c.get("/")
		expectStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/setup" {
			t.Fatalf("first run redirects to %q, want /setup", loc)
		}
		if r := c.get("/login"); r.header.Get("Location") != "/setup" {
			t.Fatalf("login before setup should go to setup, got %d %q", r.status, r.header.Get("Location"))
		}

		bad := []struct {
			name  string
			form  url.Values
			field string
		}{
			{"empty org name", url.Values{"org_name": {"  "}, "timezone": {"Europe/Berlin"}, "owner_name": {"O"}, "email": {"o@acme.test"}, "password": {testPassword}}, "org_name"},
			{"unknown time zone", url.Values{"org_name": {"Acme"}, "timezone": {"Mars/Olympus"}, "owner_name": {"O"}, "email": {"o@acme.test"}, "password": {testPassword}}, "timezone"},
			{"invalid email", url.Values{"org_name": {"Acme"}, "timezone": {"Europe/Berlin"}, "owner_name": {"O"}, "email": {"not-an-email"}, "password": {testPassword}}, "email"},
			{"weak password", url.Values{"org_name": {"Acme"}, "timezone": {"Europe/Berlin"}, "owner_name": {"O"}, "email": {"o@acme.test"}, "password": {"short"}}, "password"},
			{"empty owner name", url.Values{"org_name": {"Acme"}, "timezone": {"Europe/Berlin"}, "owner_name": {""}, "email": {"o@acme.test"}, "password": {testPassword}}, "owner_name"},
		}
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				r := c.post("/setup", "/setup", tc.form)
				expectStatus(t, r, http.StatusUnprocessableEntity)
				if r.testid("error-"+tc.field).Length() != 1 {
					t.Fatalf("no error shown next to %s; body %.400s", tc.field, r.body)
				}
				if v, _ := r.find(`input[name="org_name"]`).Attr("value"); v != tc.form.Get("org_name") {
					t.Errorf("form lost the organisation name: %q", v)
				}
			})
		}
		if n, _ := a.store.CountOrganizations(t.Context()); n != 0 {
			t.Fatalf("invalid setups created %d organisations", n)
		}

		r = c.post("/setup", "/setup", url.Values{"org_name": {"Acme GmbH"}, "timezone": {"Europe/Berlin"}, "owner_name": {"Olga Owner"}, "email": {" Olga@Acme.test "}, "password": {testPassword}})
		expectStatus(t, r, http.StatusSeeOther)
		home := c.get("/")
		expectStatus(t, home, http.StatusOK)
		if got := home.testid("org-name").Text(); got != "Acme GmbH" {
			t.Errorf("org name in shell = %q", got)
		}
		if !strings.Contains(home.testid("flash").Text(), "ready") {
			t.Errorf("no welcome flash: %q", home.testid("flash").Text())
		}
		// Setup is one-time.
		if r := a.client().get("/setup"); r.header.Get("Location") != "/login" {
			t.Fatalf("second setup not redirected to login: %d", r.status)
		}
		// Email normalised: login works with other case.
		a.login("OLGA@acme.test", testPassword)
	})
}

func TestLoginLogoutAndThrottling(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		a.setupOrg("Acme", "olga@acme.test")
		c := a.client()
		r := c.post("/login", "/login", url.Values{"email": {"olga@acme.test"}, "password": {"wrong-password-1"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if r.testid("login-error").Length() != 1 {
			t.Fatal("no login error shown")
		}
		if v, _ := r.find(`input[name="email"]`).Attr("value"); v != "olga@acme.test" {
			t.Errorf("email not kept in form: %q", v)
		}

		owner := a.login("olga@acme.test", testPassword)
		expectStatus(t, owner.get("/users"), http.StatusOK)
		// Logout ends the session server-side: a replayed cookie no longer works.
		cookies := owner.http.Jar.Cookies(mustURL(a.ts.URL))
		r = owner.post("/", "/logout", nil)
		expectStatus(t, r, http.StatusSeeOther)
		if r := owner.get("/users"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Fatalf("after logout /users gave %d %q", r.status, r.header.Get("Location"))
		}
		replay := a.client()
		replay.http.Jar.SetCookies(mustURL(a.ts.URL), cookies)
		if r := replay.get("/users"); r.status != http.StatusSeeOther {
			t.Fatalf("replayed session cookie still works after logout: %d", r.status)
		}

		// Five failures for one email block it, even with the right password.
		for i := 0; i < 5; i++ {
			c.post("/login", "/login", url.Values{"email": {"olga@acme.test"}, "password": {"nope-nope-nope"}})
		}
		r = c.post("/login", "/login", url.Values{"email": {"olga@acme.test"}, "password": {testPassword}})
		expectStatus(t, r, http.StatusTooManyRequests)
		if !strings.Contains(r.testid("login-error").Text(), "Too many") {
			t.Errorf("throttle message missing: %q", r.testid("login-error").Text())
		}
	})
}

func TestSessionIDChangesOnLogin(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		a.setupOrg("Acme", "olga@acme.test")
		c := a.client()
		c.get("/login")
		before := sessionCookie(c, a)
		c.post("/login", "/login", url.Values{"email": {"olga@acme.test"}, "password": {testPassword}})
		first := sessionCookie(c, a)
		c.post("/", "/login", url.Values{"email": {"olga@acme.test"}, "password": {testPassword}})
		second := sessionCookie(c, a)
		if first == "" || first == before || first == second {
			t.Fatalf("session cookie not renewed on login: %q → %q → %q", before, first, second)
		}
	})
}

func TestCookieFlags(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		c := a.client()
		r := c.post("/setup", "/setup", url.Values{"org_name": {"Acme"}, "timezone": {"UTC"}, "owner_name": {"O"}, "email": {"o@acme.test"}, "password": {testPassword}})
		var found bool
		for _, sc := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(sc, "roster=") {
				found = true
				if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
					t.Errorf("session cookie flags: %s", sc)
				}
			}
		}
		if !found {
			t.Fatal("no session cookie set on setup")
		}
	})
}

func TestSignup(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		a.setupOrg("Acme", "olga@acme.test")
		if r := a.client().get("/signup"); r.status != http.StatusNotFound {
			t.Fatalf("signup closed by default, got %d", r.status)
		}
		open := newApp(t, a.store, appOpts{signupOpen: true})
		c := open.client()
		r := c.post("/signup", "/signup", url.Values{"org_name": {"Acme"}, "timezone": {"Europe/Paris"}, "owner_name": {"Bea"}, "email": {"bea@beta.test"}, "password": {testPassword}})
		expectStatus(t, r, http.StatusSeeOther)
		home := c.get("/")
		if got := home.testid("org-name").Text(); got != "Acme" {
			t.Fatalf("new org name %q", got)
		}
		org, err := a.store.OrganizationBySlug(t.Context(), "acme-2")
		if err != nil {
			t.Fatalf("second org with the same name gets slug acme-2: %v", err)
		}
		if org.TimeZone != "Europe/Paris" {
			t.Errorf("tz %s", org.TimeZone)
		}
	})
}

func sessionCookie(c *client, a *app) string {
	for _, ck := range c.http.Jar.Cookies(mustURL(a.ts.URL)) {
		if ck.Name == "roster" {
			return ck.Value
		}
	}
	return ""
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
