package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/rosterhq/roster/internal/browsertest"
)

// syncBuffer is a goroutine-safe writer for the server's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// startRoster runs the whole program (`roster serve`) on a free port with a
// fresh SQLite database and returns its base URL.
func startRoster(t *testing.T, extra map[string]string) string {
	t.Helper()
	addr := freePort(t)
	base := "http://" + addr
	env := map[string]string{
		"ROSTER_ADDR": addr, "ROSTER_BASE_URL": base, "ROSTER_DATA_DIR": t.TempDir(),
		"ROSTER_ENV": "dev", "ROSTER_SANDBOX": "off", "ROSTER_LOG_LEVEL": "warn",
	}
	for k, v := range extra {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), out, errOut)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("roster serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("roster did not shut down within 30s")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "Roster is running") {
		select {
		case err := <-done:
			t.Fatalf("roster exited: %v\n%s", err, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("roster did not start: %s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return base
}

func fill(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), value)
}

// TestBrowserSetupInviteAccept walks setup → login → invite → accept from the
// dev mailbox → the user is active, and screenshots the main pages.
func TestBrowserSetupInviteAccept(t *testing.T) {
	base := startRoster(t, nil)
	ctx := bt.New(t, 180*time.Second)
	id := bt.TestID
	const pw = "browser-pass-123"

	must := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(stepCtx, actions...); err != nil {
			bt.Screenshot(ctx, t, "failure")
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	must("open setup", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(id("setup-form"))))
	must("fill setup", fill(`input[name="org_name"]`, "Acme Browser GmbH"), chromedp.SetValue(chromedp.CSS(`input[name="timezone"]`), "Europe/Berlin"),
		fill(`input[name="owner_name"]`, "Olga Owner"), fill(`input[name="email"]`, "olga@acme.test"), fill(`input[name="password"]`, pw))
	bt.Screenshot(ctx, t, "01-setup")
	must("submit setup", chromedp.Click(chromedp.CSS(id("setup-submit"))), chromedp.WaitVisible(chromedp.CSS(id("sidebar"))))

	must("log out", chromedp.Click(chromedp.CSS(id("logout"))), chromedp.WaitVisible(chromedp.CSS(id("login-form"))))
	must("log in", fill(`input[name="email"]`, "olga@acme.test"), fill(`input[name="password"]`, pw))
	bt.Screenshot(ctx, t, "02-login")
	must("submit login", chromedp.Click(chromedp.CSS(id("login-submit"))), chromedp.WaitVisible(chromedp.CSS(id("dashboard-stats"))))
	bt.Screenshot(ctx, t, "03-dashboard")

	must("create team", chromedp.Navigate(base+"/teams"), chromedp.WaitVisible(chromedp.CSS(id("team-create-form"))),
		fill(id("team-name-input"), "Platform"), chromedp.Click(chromedp.CSS(id("team-create"))), chromedp.WaitVisible(chromedp.CSS(id("team-title"))))
	must("teams list", chromedp.Navigate(base+"/teams"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="team-row"]`)))
	bt.Screenshot(ctx, t, "04-teams")

	must("invite", chromedp.Navigate(base+"/users/invite"), chromedp.WaitVisible(chromedp.CSS(id("invite-form"))),
		fill(`input[name="email"]`, "max@acme.test"), fill(`input[name="name"]`, "Max Mustermann"),
		chromedp.Click(chromedp.CSS(`input[name="team_ids"]`)), chromedp.Click(chromedp.CSS(id("invite-submit"))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-row"][data-email="max@acme.test"]`)))
	if s := text(`[data-testid="user-row"][data-email="max@acme.test"] [data-testid="user-status"]`); s != "invited" {
		t.Fatalf("status after invite: %q", s)
	}
	bt.Screenshot(ctx, t, "05-users")

	must("log out owner", chromedp.Click(chromedp.CSS(id("logout"))), chromedp.WaitVisible(chromedp.CSS(id("login-form"))))
	must("mailbox", chromedp.Navigate(base+"/dev/mailbox"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="mail"][data-to="max@acme.test"]`)))
	if s := text(`[data-testid="mail"][data-to="max@acme.test"] [data-testid="mail-subject"]`); !strings.Contains(s, "Acme Browser GmbH") {
		t.Fatalf("invitation subject %q", s)
	}
	bt.Screenshot(ctx, t, "06-mailbox")
	must("open invitation", chromedp.Click(chromedp.CSS(`[data-testid="mail"][data-to="max@acme.test"] `+id("mail-link"))), chromedp.WaitVisible(chromedp.CSS(id("accept-form"))),
		fill(`input[name="new_password"]`, pw))
	bt.Screenshot(ctx, t, "07-accept")
	must("accept", chromedp.Click(chromedp.CSS(id("accept-submit"))), chromedp.WaitVisible(chromedp.CSS(id("member-dashboard"))))
	if s := text(id("member-dashboard")); !strings.Contains(s, "Platform") {
		t.Fatalf("member dashboard: %q", s)
	}

	must("owner again", chromedp.Click(chromedp.CSS(id("logout"))), chromedp.WaitVisible(chromedp.CSS(id("login-form"))),
		fill(`input[name="email"]`, "olga@acme.test"), fill(`input[name="password"]`, pw), chromedp.Click(chromedp.CSS(id("login-submit"))),
		chromedp.WaitVisible(chromedp.CSS(id("dashboard-stats"))), chromedp.Navigate(base+"/users?q=max"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-row"][data-email="max@acme.test"]`)))
	if s := text(`[data-testid="user-row"][data-email="max@acme.test"] [data-testid="user-status"]`); s != "active" {
		t.Fatalf("accepted user is %q, want active", s)
	}
	// Live search through htmx swaps only the table.
	must("htmx search", chromedp.Navigate(base+"/users"), chromedp.WaitVisible(chromedp.CSS(id("users-search"))),
		fill(id("users-search"), "olga"), chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="user-row"][data-email="max@acme.test"]`)))
	fmt.Fprintf(testWriter{t}, "screenshots in %s\n", bt.Dir())
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
