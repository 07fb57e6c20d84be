package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func init() {
	for _, k := range []string{"GET /notifications", "GET /notifications/count", "POST /notifications/read-all", "POST /notifications/:id/read"} {
		routeRoles[k] = []string{"member", "manager"}
	}
}

// user loads the user of email (one organisation).
func (a *app) user(email string) *store.User {
	a.t.Helper()
	u, err := a.store.User(context.Background(), a.orgOf(email), a.userID(email))
	if err != nil {
		a.t.Fatal(err)
	}
	return u
}

func (a *app) orgOf(email string) int64 {
	a.t.Helper()
	us, err := a.store.UsersByEmailAllOrgs(context.Background(), email)
	if err != nil || len(us) != 1 {
		a.t.Fatalf("user %s: %v (%d found)", email, err, len(us))
	}
	return us[0].OrgID
}

// notifyUser adds a notification for the user of email and returns its id.
func (a *app) notifyUser(email, kind, title, body, link string, at time.Time) int64 {
	a.t.Helper()
	u := a.user(email)
	n := &store.Notification{OrgID: u.OrgID, UserID: u.ID, Kind: kind, Title: title, Body: body, Link: link, CreatedAt: at}
	if _, err := a.store.AddNotification(context.Background(), n); err != nil {
		a.t.Fatal(err)
	}
	return n.ID
}

// badge reads the bell's badge of a page: its text and whether it shows.
func badge(t *testing.T, r *resp) (string, bool) {
	t.Helper()
	b := r.testid("bell-count")
	if b.Length() != 1 {
		t.Fatalf("want one bell badge, found %d; body %.400s", b.Length(), r.body)
	}
	_, hidden := b.Attr("hidden")
	return strings.TrimSpace(b.Text()), !hidden
}

func expectBadge(t *testing.T, r *resp, want string) {
	t.Helper()
	expectStatus(t, r, http.StatusOK)
	text, shown := badge(t, r)
	if want == "" {
		if shown {
			t.Fatalf("badge shown with %q, want hidden", text)
		}
		return
	}
	if !shown || text != want {
		t.Fatalf("badge %q (shown %v), want %q", text, shown, want)
	}
}

func TestNotificationBell(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		link := a.invite(owner, "mia@acme.test", "Mia Member", "member")
		member := a.acceptAs(link, "Mia Member")

		// Every logged-in user has the bell, linking to the centre; hidden at 0.
		for _, c := range []*client{owner, member} {
			r := c.get("/")
			expectBadge(t, r, "")
			if href, _ := r.testid("bell").Attr("href"); href != "/notifications" {
				t.Fatalf("bell links to %q", href)
			}
			if get, _ := r.testid("bell-count").Attr("hx-get"); get != "/notifications/count" {
				t.Fatalf("badge polls %q", get)
			}
			if trig, _ := r.testid("bell-count").Attr("hx-trigger"); trig != "every 30s" {
				t.Fatalf("badge trigger %q", trig)
			}
		}

		now := time.Now().UTC()
		a.notifyUser("olga@acme.test", "new_hire", "New hire: Ada Lovelace", "Ada starts on 1 December 2026.", "/users", now)
		expectBadge(t, owner.get("/"), "1")
		expectBadge(t, owner.get("/teams"), "1")
		// Through the use case too (what the lifecycle calls).
		olga := a.user("olga@acme.test")
		if n, err := a.srv.Notify.NotifyAdmins(context.Background(), olga.OrgID, notify.Note{Kind: notify.KindSafeguard,
			Title: "Safeguard stopped deactivations", DedupeKey: "safeguard:1"}); err != nil || n != 1 {
			t.Fatalf("notify admins: %d %v", n, err)
		}
		expectBadge(t, owner.get("/"), "2")
		// The member's count is their own.
		expectBadge(t, member.get("/"), "")

		// The polled fragment is the badge alone.
		r := owner.get("/notifications/count")
		expectStatus(t, r, http.StatusOK)
		if strings.Contains(r.body, "<html") || strings.Contains(r.body, "sidebar") {
			t.Fatalf("count endpoint returned a page: %.300s", r.body)
		}
		body := strings.TrimSpace(r.body)
		if !strings.HasPrefix(body, "<span") || !strings.HasSuffix(body, "</span>") {
			t.Fatalf("count endpoint is not just the badge: %q", body)
		}
		if text, shown := badge(t, r); text != "2" || !shown {
			t.Fatalf("fragment badge %q shown %v", text, shown)
		}
		rh := owner.do(http.MethodGet, "/notifications/count", nil, map[string]string{"HX-Request": "true"})
		if text, _ := badge(t, rh); text != "2" {
			t.Fatalf("htmx fragment badge %q", text)
		}
		// A hidden badge keeps polling (the element is replaced, so must keep the trigger).
		r = member.get("/notifications/count")
		if text, shown := badge(t, r); text != "0" || shown {
			t.Fatalf("member fragment %q shown %v", text, shown)
		}
		if trig, _ := r.testid("bell-count").Attr("hx-trigger"); trig != "every 30s" {
			t.Fatal("hidden badge stops polling")
		}

		// Many unread: capped display.
		for i := range 100 {
			a.notifyUser("mia@acme.test", "health", fmt.Sprintf("Note %d", i), "", "", now)
		}
		expectBadge(t, member.get("/"), "99+")

		// Anonymous visitors are sent to the login.
		anon := a.client()
		if r := anon.get("/notifications/count"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Fatalf("anonymous count: %d %q", r.status, r.header.Get("Location"))
		}
	})
}

func TestNotificationCentre(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		link := a.invite(owner, "mia@acme.test", "Mia Member", "member")
		member := a.acceptAs(link, "Mia Member")

		// Empty state.
		r := member.get("/notifications")
		expectStatus(t, r, http.StatusOK)
		if r.testid("empty-state").Length() != 1 || r.testid("notification").Length() != 0 {
			t.Fatalf("no empty state: %.400s", r.body)
		}
		if r.testid("read-all").Length() != 0 {
			t.Fatal("mark all as read offered with nothing unread")
		}

		base := time.Now().UTC().Add(-time.Hour)
		oldID := a.notifyUser("olga@acme.test", "first_import", "First import finished", "42 employees imported.", "", base)
		hireID := a.notifyUser("olga@acme.test", "new_hire", "New hire: Ada Lovelace", "Ada starts on 1 December 2026.", "/users?q=Ada", base.Add(time.Minute))
		evilID := a.notifyUser("olga@acme.test", "health", "Sync failing", "Personio refused the credentials.", "https://evil.example/phish", base.Add(2*time.Minute))
		slashID := a.notifyUser("olga@acme.test", "health", "Scheme-relative", "", "//evil.example/x", base.Add(3*time.Minute))

		r = owner.get("/notifications")
		expectStatus(t, r, http.StatusOK)
		items := r.testid("notification")
		if items.Length() != 4 {
			t.Fatalf("%d notifications listed, want 4", items.Length())
		}
		// Newest first, unread highlighted, kind tag, title, body, time.
		wantOrder := []string{"Scheme-relative", "Sync failing", "New hire: Ada Lovelace", "First import finished"}
		for i, w := range wantOrder {
			if got := strings.TrimSpace(items.Eq(i).Find(`[data-testid="notification-title"]`).Text()); got != w {
				t.Fatalf("item %d is %q, want %q", i, got, w)
			}
			if !items.Eq(i).HasClass("is-unread") {
				t.Fatalf("item %d not highlighted as unread", i)
			}
		}
		hire := items.Eq(2)
		if k := strings.TrimSpace(hire.Find(`[data-testid="notification-kind"]`).Text()); k != "New hire" {
			t.Fatalf("kind tag %q", k)
		}
		if b := hire.Find(`[data-testid="notification-body"]`).Text(); b != "Ada starts on 1 December 2026." {
			t.Fatalf("body %q", b)
		}
		if w := hire.Find(`[data-testid="notification-when"]`).Text(); w == "" || w == "—" {
			t.Fatalf("time %q", w)
		}
		if hire.Find(`[data-testid="notification-open"]`).Length() != 1 {
			t.Fatal("no Open action on a notification with a link")
		}
		if items.Eq(0).Find(`[data-testid="notification-open"]`).Length() != 0 || items.Eq(1).Find(`[data-testid="notification-open"]`).Length() != 0 {
			t.Fatal("an external link is offered as Open")
		}
		if r.testid("read-all").Length() != 1 {
			t.Fatal("no Mark all as read")
		}

		// Opening follows the local link and marks it read.
		r = owner.post("/notifications", fmt.Sprintf("/notifications/%d/read", hireID), nil)
		expectStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/users?q=Ada" {
			t.Fatalf("open redirects to %q, want /users?q=Ada", loc)
		}
		r = owner.get("/notifications")
		expectBadge(t, r, "3")
		if r.testid("notification").Eq(2).HasClass("is-unread") {
			t.Fatal("opened notification still unread")
		}
		// Again: still follows the link, stays read.
		r = owner.post("/notifications", fmt.Sprintf("/notifications/%d/read", hireID), nil)
		if loc := r.header.Get("Location"); loc != "/users?q=Ada" {
			t.Fatalf("reopen redirects to %q", loc)
		}

		// External and scheme-relative links never redirect out (open redirect).
		for _, id := range []int64{evilID, slashID} {
			r = owner.post("/notifications", fmt.Sprintf("/notifications/%d/read", id), nil)
			expectStatus(t, r, http.StatusSeeOther)
			if loc := r.header.Get("Location"); loc != "/notifications" {
				t.Fatalf("notification %d redirects to %q, want /notifications", id, loc)
			}
		}
		expectBadge(t, owner.get("/"), "1")

		// Another user's notification: 404, and it stays unread.
		r = member.post("/notifications", fmt.Sprintf("/notifications/%d/read", oldID), nil)
		expectStatus(t, r, http.StatusNotFound)
		// Another organisation's: 404.
		other, _ := a.createOrg("Globex", "gina@globex.test")
		r = other.post("/notifications", fmt.Sprintf("/notifications/%d/read", oldID), nil)
		expectStatus(t, r, http.StatusNotFound)
		r = owner.post("/notifications", "/notifications/999999/read", nil)
		expectStatus(t, r, http.StatusNotFound)
		r = owner.post("/notifications", "/notifications/abc/read", nil)
		expectStatus(t, r, http.StatusNotFound)
		expectBadge(t, owner.get("/"), "1")
		// Without the CSRF token: refused.
		r = owner.do(http.MethodPost, fmt.Sprintf("/notifications/%d/read", oldID), url.Values{}, nil)
		expectStatus(t, r, http.StatusForbidden)

		// Mark all as read: 303 back with the flash; badge hidden, nothing highlighted.
		a.notifyUser("olga@acme.test", "approval", "Approve the new team", "", "/teams", time.Now().UTC())
		expectBadge(t, owner.get("/"), "2")
		r = owner.post("/notifications", "/notifications/read-all", nil)
		expectStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/notifications" {
			t.Fatalf("read-all redirects to %q", loc)
		}
		r = owner.get("/notifications")
		expectBadge(t, r, "")
		if f := strings.TrimSpace(r.testid("flash").Text()); f != "All notifications marked as read" {
			t.Fatalf("flash %q", f)
		}
		if r.find(".notification-item.is-unread").Length() != 0 || r.testid("notification").Length() != 5 {
			t.Fatalf("after read-all: %d unread of %d", r.find(".notification-item.is-unread").Length(), r.testid("notification").Length())
		}
		if r.testid("read-all").Length() != 0 {
			t.Fatal("mark all as read still offered")
		}
		// The member's own list was untouched by the owner's read-all.
		a.notifyUser("mia@acme.test", "out_of_office", "Olga is out of office", "", "", time.Now().UTC())
		expectStatus(t, owner.post("/notifications", "/notifications/read-all", nil), http.StatusSeeOther)
		expectBadge(t, member.get("/"), "1")

		// A notification without a link: Mark as read returns to the list.
		noLink := a.user("mia@acme.test")
		ns, _, err := a.store.Notifications(context.Background(), noLink.OrgID, noLink.ID, true, 10, 0)
		if err != nil || len(ns) != 1 {
			t.Fatalf("member notifications: %v %d", err, len(ns))
		}
		r = member.get("/notifications")
		if r.testid("notification-read").Length() != 1 {
			t.Fatal("no Mark as read on an unread notification without link")
		}
		r = member.post("/notifications", fmt.Sprintf("/notifications/%d/read", ns[0].ID), nil)
		expectStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/notifications" {
			t.Fatalf("no-link notification redirects to %q", loc)
		}
		expectBadge(t, member.get("/"), "")
	})
}

func TestNotificationCentrePagination(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		base := time.Now().UTC().Add(-time.Hour)
		for i := range 30 {
			a.notifyUser("olga@acme.test", "health", fmt.Sprintf("Note %02d", i), "", "", base.Add(time.Duration(i)*time.Second))
		}
		r := owner.get("/notifications")
		if n := r.testid("notification").Length(); n != 25 {
			t.Fatalf("page 1 has %d", n)
		}
		if first := strings.TrimSpace(r.testid("notification-title").First().Text()); first != "Note 29" {
			t.Fatalf("first is %q", first)
		}
		next, ok := r.testid("next-page").Attr("href")
		if !ok {
			t.Fatal("no next page")
		}
		r = owner.get(next)
		if n := r.testid("notification").Length(); n != 5 {
			t.Fatalf("page 2 has %d", n)
		}
		if last := strings.TrimSpace(r.testid("notification-title").Last().Text()); last != "Note 00" {
			t.Fatalf("last is %q", last)
		}
		// htmx pagination swaps the list only.
		r = owner.do(http.MethodGet, next, nil, map[string]string{"HX-Request": "true"})
		if strings.Contains(r.body, "<html") || r.testid("notifications").Length() != 1 || r.testid("notification").Length() != 5 {
			t.Fatalf("htmx page is not the list fragment: %.300s", r.body)
		}
	})
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

const (
	lockedMsg = "Your account is locked. Ask an admin of your organisation."
	accessMsg = "Your access opens on Tuesday 1 December 2026."
)

func loginError(t *testing.T, c *client, email, password string, status int) string {
	t.Helper()
	r := c.post("/login", "/login", url.Values{"email": {email}, "password": {password}})
	expectStatus(t, r, status)
	return strings.TrimSpace(r.testid("login-error").Text())
}

// expectSessionEnded checks that c's next request goes to the login, which
// says why (msg, when not "").
func expectSessionEnded(t *testing.T, c *client, msg string) {
	t.Helper()
	r := c.get("/")
	expectStatus(t, r, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/login" {
		t.Fatalf("ended session goes to %q, want /login", loc)
	}
	if msg != "" {
		r = c.get("/login")
		expectStatus(t, r, http.StatusOK)
		if f := strings.TrimSpace(r.testid("flash").Text()); f != msg {
			t.Fatalf("login page says %q, want %q", f, msg)
		}
	}
	// The session is gone for good, not only for one request.
	if r := c.get("/notifications"); r.status != http.StatusSeeOther {
		t.Fatalf("ended session still serves /notifications: %d", r.status)
	}
}

func TestLoginGateLocked(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		link := a.invite(owner, "mia@acme.test", "Mia Member", "member")
		member := a.acceptAs(link, "Mia Member")
		expectStatus(t, member.get("/"), http.StatusOK)

		// Locked (last working day passed): the live session stops at once.
		u := a.user("mia@acme.test")
		if err := a.store.UpdateUserFields(context.Background(), u.OrgID, u.ID, map[string]any{"locked_at": time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		expectSessionEnded(t, member, lockedMsg)

		// Login: the lock is told only after a correct password.
		c := a.client()
		if msg := loginError(t, c, "mia@acme.test", testPassword, http.StatusUnprocessableEntity); msg != lockedMsg {
			t.Fatalf("locked login says %q", msg)
		}
		if msg := loginError(t, c, "mia@acme.test", "wrong-password-1", http.StatusUnprocessableEntity); msg != "The email or password is not correct." {
			t.Fatalf("wrong password of a locked user says %q", msg)
		}
		if r := c.get("/"); r.status != http.StatusSeeOther {
			t.Fatalf("refused login left a session: %d", r.status)
		}
		// Unlocked again: in.
		if err := a.store.UpdateUserFields(context.Background(), u.OrgID, u.ID, map[string]any{"locked_at": nil}); err != nil {
			t.Fatal(err)
		}
		back := a.login("mia@acme.test", testPassword)
		expectStatus(t, back.get("/"), http.StatusOK)
	})
}

func TestLoginGateDeactivatedSessionEnds(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		link := a.invite(owner, "mia@acme.test", "Mia Member", "member")
		a.acceptAs(link, "Mia Member")
		member := a.login("mia@acme.test", testPassword)
		expectStatus(t, member.get("/notifications"), http.StatusOK)

		edit := fmt.Sprintf("/users/%d", a.userID("mia@acme.test"))
		expectStatus(t, owner.post(edit, edit+"/deactivate", nil), http.StatusSeeOther)
		expectSessionEnded(t, member, "")
		if msg := loginError(t, a.client(), "mia@acme.test", testPassword, http.StatusUnprocessableEntity); msg != "The email or password is not correct." {
			t.Fatalf("deactivated login says %q", msg)
		}
	})
}

func TestLoginGateAccessFrom(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		// 30 November 2026, 22:30 in Berlin.
		clk := &clock{t: time.Date(2026, 11, 30, 21, 30, 0, 0, time.UTC)}
		a := newApp(t, st, appOpts{now: clk.Now})
		owner := a.setupOrg("Acme", "olga@acme.test")
		link := a.invite(owner, "mia@acme.test", "Mia Member", "member")
		member := a.acceptAs(link, "Mia Member")
		expectStatus(t, member.get("/"), http.StatusOK)

		// Access from the hire date, 1 December (Berlin): the session stops.
		u := a.user("mia@acme.test")
		if err := a.store.UpdateUserFields(context.Background(), u.OrgID, u.ID, map[string]any{"access_from": "2026-12-01"}); err != nil {
			t.Fatal(err)
		}
		expectSessionEnded(t, member, accessMsg)

		c := a.client()
		if msg := loginError(t, c, "mia@acme.test", testPassword, http.StatusUnprocessableEntity); msg != accessMsg {
			t.Fatalf("early login says %q", msg)
		}
		if msg := loginError(t, c, "mia@acme.test", "wrong-password-1", http.StatusUnprocessableEntity); msg != "The email or password is not correct." {
			t.Fatalf("wrong password says %q", msg)
		}
		// 23:59 in Berlin on 30 November: still closed, though UTC is the same day.
		clk.Set(time.Date(2026, 11, 30, 22, 59, 0, 0, time.UTC))
		if msg := loginError(t, c, "mia@acme.test", testPassword, http.StatusUnprocessableEntity); msg != accessMsg {
			t.Fatalf("login one minute early says %q", msg)
		}
		// 00:00 on 1 December in Berlin (still 30 November in UTC): open.
		clk.Set(time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC))
		in := a.login("mia@acme.test", testPassword)
		r := in.get("/")
		expectStatus(t, r, http.StatusOK)
		if name := strings.TrimSpace(r.testid("current-user").Text()); name != "Mia Member" {
			t.Fatalf("logged in as %q", name)
		}
		// Later days too.
		clk.Set(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
		expectStatus(t, in.get("/notifications"), http.StatusOK)
	})
}

func TestLoginGateAccessFromOnInvitation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		clk := &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
		a := newApp(t, st, appOpts{now: clk.Now})
		owner := a.setupOrg("Acme", "olga@acme.test")
		link := a.invite(owner, "mia@acme.test", "Mia Member", "member")
		// An invitation sent ahead of the hire date: the password can be
		// set, but no session starts before the access opens.
		u := a.user("mia@acme.test")
		if err := a.store.UpdateUserFields(context.Background(), u.OrgID, u.ID, map[string]any{"access_from": "2026-12-01"}); err != nil {
			t.Fatal(err)
		}
		path := strings.TrimPrefix(link, "http://roster.test")
		c := a.client()
		r := c.post(path, path, url.Values{"name": {"Mia Member"}, "new_password": {testPassword}})
		expectStatus(t, r, http.StatusOK)
		if msg := r.testid("message-page").Text(); !strings.Contains(msg, "Your password is set") || !strings.Contains(msg, accessMsg) {
			t.Fatalf("accept page says %q", msg)
		}
		if r := c.get("/"); r.status != http.StatusSeeOther {
			t.Fatalf("session started before access opened: %d", r.status)
		}
		clk.Set(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
		expectStatus(t, a.login("mia@acme.test", testPassword).get("/"), http.StatusOK)
	})
}
