package web_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/web"
)

// TestSessionsSurviveSecretKeyRotation: while ROSTER_SECRET_KEY_PREVIOUS
// holds the old key, a session cookie signed with it still authenticates;
// new cookies are signed with the new key; without the old key the old
// cookie no longer works.
func TestSessionsSurviveSecretKeyRotation(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "owner@acme.test") // signed with the old key (newApp's zero key)
		base, _ := url.Parse(a.ts.URL)
		oldCookies := owner.http.Jar.Cookies(base)
		if len(oldCookies) == 0 {
			t.Fatal("no session cookie after setup")
		}
		oldKey, newKey := a.srv.SecretKey, bytes.Repeat([]byte{0x5a}, 32)

		serve := func(current, previous []byte) *httptest.Server {
			d := a.srv.Deps
			d.SecretKey, d.SecretKeyPrevious = current, previous
			srv, err := web.New(d)
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv.Handler())
			t.Cleanup(ts.Close)
			return ts
		}
		dashboard := func(ts *httptest.Server, cookies []*http.Cookie) *http.Response {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/", nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}

		rotating := serve(newKey, oldKey)
		if res := dashboard(rotating, oldCookies); res.StatusCode != http.StatusOK {
			t.Fatalf("old-key session during rotation: status %d (location %q), want 200", res.StatusCode, res.Header.Get("Location"))
		}

		// A login during the rotation gets a cookie signed with the new key:
		// it works on a process that has only the new key.
		c := a.client()
		rot := &app{t: t, store: a.store, srv: a.srv, ts: rotating, mailbox: a.mailbox, acc: a.acc, outbox: a.outbox}
		c.a = rot
		r := c.post("/login", "/login", url.Values{"email": {"owner@acme.test"}, "password": {testPassword}})
		expectStatus(t, r, http.StatusSeeOther)
		rotURL, _ := url.Parse(rotating.URL)
		newCookies := c.http.Jar.Cookies(rotURL)

		newOnly := serve(newKey, nil)
		if res := dashboard(newOnly, newCookies); res.StatusCode != http.StatusOK {
			t.Fatalf("new-key session on a process with only the new key: status %d", res.StatusCode)
		}
		// Once ROSTER_SECRET_KEY_PREVIOUS is removed, old cookies end.
		res := dashboard(newOnly, oldCookies)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("old-key session after the rotation: status %d location %q, want a redirect to /login", res.StatusCode, res.Header.Get("Location"))
		}
		// The old process (old key only) does not accept cookies signed with the new key.
		if res := dashboard(a.ts, newCookies); res.StatusCode == http.StatusOK {
			t.Fatal("a cookie signed with the new key authenticated with the old key only")
		}
	})
}
