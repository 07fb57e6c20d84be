package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/rosterhq/roster/internal/browsertest"
	"github.com/rosterhq/roster/internal/sandbox"
)

// session is one chromium tab driving Roster at base. Each step gets 30 s;
// a failing step saves the screenshot failure-<name> and fails the test.
type session struct {
	t          *testing.T
	ctx        context.Context
	base, name string
}

func newSession(t *testing.T, base, name string) *session {
	t.Helper()
	return &session{t: t, ctx: bt.New(t, 180*time.Second), base: base, name: name}
}

// must runs the actions of one step.
func (s *session) must(step string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		bt.Screenshot(s.ctx, s.t, "failure-"+s.name)
		s.t.Fatalf("%s: %v", step, err)
	}
}

// eval returns the string a JavaScript expression evaluates to, trimmed.
func (s *session) eval(step, expr string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		bt.Screenshot(s.ctx, s.t, "failure-"+s.name)
		s.t.Fatalf("%s: %v", step, err)
	}
	return strings.TrimSpace(v)
}

// setup fills the first-run setup form (time zone Europe/Berlin) and
// waits for the app shell.
func (s *session) setup(org, owner, email, password string) {
	s.t.Helper()
	s.must("setup", chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.CSS(bt.TestID("setup-form"))),
		fill(`input[name="org_name"]`, org), chromedp.SetValue(chromedp.CSS(`input[name="timezone"]`), "Europe/Berlin"),
		fill(`input[name="owner_name"]`, owner), fill(`input[name="email"]`, email), fill(`input[name="password"]`, password),
		chromedp.Click(chromedp.CSS(bt.TestID("setup-submit"))), chromedp.WaitVisible(chromedp.CSS(bt.TestID("sidebar"))))
}

// startSandbox starts a small Personio sandbox (20 employees, seed 5, no
// rate limits) for the length of the test.
func startSandbox(t *testing.T) (*sandbox.Server, string) {
	t.Helper()
	opts := sandbox.DefaultOptions()
	opts.Employees, opts.Seed, opts.RateLimit = 20, 5, false
	sb := sandbox.New(opts)
	url, err := sb.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return sb, url
}

// applyPreview clicks Apply on the preview page the session shows and
// reloads it until the preview is applied.
func (s *session) applyPreview(base string) {
	s.t.Helper()
	path := s.eval("preview url", `location.pathname`)
	s.must("apply preview", chromedp.Click(chromedp.CSS(bt.TestID("preview-apply"))), chromedp.WaitVisible(chromedp.CSS(bt.TestID("preview-status"))))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		s.must("preview page", chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(bt.TestID("preview-status"))))
		switch st := s.eval("preview status", `document.querySelector('[data-testid=preview-status]').dataset.status`); st {
		case "applied":
			return
		case "applying":
		default:
			s.t.Fatalf("preview %s: %s", st, s.eval("explain", `(document.querySelector('[data-testid=preview-explain]') || {textContent: ''}).textContent`))
		}
	}
	s.t.Fatal("preview not applied within 30s")
}
