package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/rosterhq/roster/internal/browsertest"
	"github.com/rosterhq/roster/internal/store"
)

// TestBrowserNotifications shows the bell's badge in the top bar, refreshes
// it through htmx, opens the notification centre, follows a notification's
// link, marks everything read, and finally sees a locked user's session end
// with the reason on the login page.
func TestBrowserNotifications(t *testing.T) {
	dir := t.TempDir()
	base := startRoster(t, map[string]string{"ROSTER_DATA_DIR": dir})
	b := newSession(t, base, "notifications")
	ctx, id, must := b.ctx, bt.TestID, b.must
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	eval := b.eval
	b.setup("Acme GmbH", "Olga Owner", "olga@acme.test", "browser-pass-123")
	if v := eval("badge hidden", `String(document.querySelector('[data-testid=bell-count]').checkVisibility())`); v != "false" {
		t.Fatal("badge visible with no notifications")
	}

	st, err := store.Open(store.Options{SQLitePath: filepath.Join(dir, "roster.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	owners, err := st.UsersByEmailAllOrgs(context.Background(), "olga@acme.test")
	if err != nil || len(owners) != 1 {
		t.Fatalf("owner: %v", err)
	}
	olga := owners[0]
	now := time.Now().UTC()
	add := func(kind, title, body, link string, ago time.Duration, read bool) {
		t.Helper()
		n := &store.Notification{OrgID: olga.OrgID, UserID: olga.ID, Kind: kind, Title: title, Body: body, Link: link, CreatedAt: now.Add(-ago)}
		if read {
			at := now.Add(-ago / 2)
			n.ReadAt = &at
		}
		if _, err := st.AddNotification(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	add("first_import", "First import finished", "42 employees were imported from Personio.", "/settings/hr", 50*time.Hour, true)
	add("deactivated", "Ben Keller was deactivated", "Ben left the company in Personio on 31 October 2026. His sessions were ended and his teams updated.", "/users?status=deactivated", 26*time.Hour, true)
	add("safeguard", "Safeguard held 12 deactivations", "More people than usual left Personio in one sync. Review them before they are deactivated.", "/settings/hr", 3*time.Hour, false)
	add("new_hire", "New hire: Ada Lovelace", "Ada Lovelace starts on 1 December 2026. They were invited automatically (ada@acme.test). They can log in from 1 December 2026.", "/users?q=Ada", 40*time.Minute, false)

	// The polled fragment brings the count in without a reload.
	must("badge refresh", chromedp.Evaluate[chromedp.Void](`htmx.ajax('GET', '/notifications/count', {target: '#bell-badge', swap: 'outerHTML'})`),
		chromedp.Poll[chromedp.Void](`(() => { const b = document.querySelector('[data-testid=bell-count]'); return b && b.checkVisibility() && b.textContent.trim() === '2' })()`))
	add("health", "Personio sync failing", "The last 3 syncs failed: Personio refused the credentials.", "", 5*time.Minute, false)
	must("reload", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css(id("bell-count"))))
	if s := eval("badge", `document.querySelector('[data-testid=bell-count]').textContent`); s != "3" {
		t.Fatalf("badge %q, want 3", s)
	}
	bt.Screenshot(ctx, t, "60-bell")

	must("open the centre", chromedp.Click(css(id("bell"))), chromedp.WaitVisible(css(id("notifications"))))
	if n := eval("items", `String(document.querySelectorAll('[data-testid=notification]').length)`); n != "5" {
		t.Fatalf("%s notifications listed", n)
	}
	if n := eval("unread", `String(document.querySelectorAll('.notification-item.is-unread').length)`); n != "3" {
		t.Fatalf("%s unread", n)
	}
	bt.Screenshot(ctx, t, "61-notifications")

	must("open the new hire", chromedp.Click(css(`[data-testid=notification]:nth-child(2) [data-testid=notification-open]`)),
		chromedp.WaitVisible(css(id("users-filters"))))
	if p := eval("landed", `location.pathname + location.search`); p != "/users?q=Ada" {
		t.Fatalf("opened %q", p)
	}
	if s := eval("badge after open", `document.querySelector('[data-testid=bell-count]').textContent`); s != "2" {
		t.Fatalf("badge %q after opening one", s)
	}
	must("read all", chromedp.Click(css(id("bell"))), chromedp.WaitVisible(css(id("read-all"))),
		chromedp.Click(css(id("read-all"))), chromedp.WaitVisible(css(id("flash"))))
	if s := eval("flash", `document.querySelector('[data-testid=flash]').textContent`); s != "All notifications marked as read" {
		t.Fatalf("flash %q", s)
	}
	if v := eval("badge hidden", `String(document.querySelector('[data-testid=bell-count]').checkVisibility())`); v != "false" {
		t.Fatal("badge still visible after read all")
	}

	// Locked while logged in: the next request ends on the login page.
	if err := st.UpdateUserFields(context.Background(), olga.OrgID, olga.ID, map[string]any{"locked_at": time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	must("locked", chromedp.Navigate(base+"/teams"), chromedp.WaitVisible(css(id("login-page"))))
	if s := eval("reason", `document.querySelector('[data-testid=flash]').textContent`); s != "Your account is locked. Ask an admin of your organisation." {
		t.Fatalf("login page says %q", s)
	}
	bt.Screenshot(ctx, t, "62-login-locked")
}
