package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/rosterhq/roster/internal/browsertest"
)

// TestBrowserConnectSandbox connects the bundled sandbox through the wizard.
func TestBrowserConnectSandbox(t *testing.T) {
	base := startRoster(t, map[string]string{"ROSTER_SANDBOX": "on", "ROSTER_SANDBOX_ADDR": freePort(t)})
	ctx := bt.New(t, 180*time.Second)
	id := bt.TestID
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	must := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(stepCtx, actions...); err != nil {
			bt.Screenshot(ctx, t, "failure-hr")
			t.Fatalf("%s: %v", step, err)
		}
	}
	must("setup", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css(id("setup-form"))),
		fill(`input[name="org_name"]`, "Sandbox Corp"), chromedp.SetValue(css(`input[name="timezone"]`), "Europe/Berlin"),
		fill(`input[name="owner_name"]`, "Hanna HR"), fill(`input[name="email"]`, "hanna@sandbox.test"), fill(`input[name="password"]`, "browser-pass-123"),
		chromedp.Click(css(id("setup-submit"))), chromedp.WaitVisible(css(id("sidebar"))))
	must("hr tab", chromedp.Click(css(id("nav-hr"))), chromedp.WaitVisible(css(id("connect-hr"))))
	bt.Screenshot(ctx, t, "10-hr-not-connected")
	must("provider", chromedp.Click(css(id("connect-hr"))), chromedp.WaitVisible(css(id("wizard-provider"))))
	must("credentials", chromedp.Click(css(id("wizard-next"))), chromedp.WaitVisible(css(id("credentials-form"))))
	// A wrong secret is explained on the form.
	// "Use the sandbox" is a link; navigate to it so the next wait cannot match the page before it.
	must("wrong secret", chromedp.WaitVisible(css(id("use-sandbox"))), chromedp.Navigate(base+"/settings/hr/connect/credentials?sandbox=1"),
		chromedp.WaitVisible(css(id("credentials-form"))),
		chromedp.SetValue(css(`input[name="client_secret"]`), "nope"),
		chromedp.Click(css(id("check-credentials"))), chromedp.WaitVisible(css(id("error-client_secret"))))
	bt.Screenshot(ctx, t, "11-credentials-error")
	must("use sandbox", chromedp.Navigate(base+"/settings/hr/connect/credentials?sandbox=1"), chromedp.WaitVisible(css(id("credentials-form"))),
		chromedp.Click(css(id("check-credentials"))), chromedp.WaitVisible(css(id("attribute-table"))))
	bt.Screenshot(ctx, t, "12-check")
	must("settings", chromedp.Click(css(id("wizard-next"))), chromedp.WaitVisible(css(id("sync-settings-form"))))
	bt.Screenshot(ctx, t, "13-settings")
	must("save settings", chromedp.Click(css(id("settings-save"))), chromedp.WaitVisible(css(id("wizard-finish"))),
		chromedp.Click(css(id("wizard-finish"))), chromedp.WaitVisible(css(id("hr-connection"))))
	status, err := chromedp.Run(ctx, chromedp.Text(css(id("hr-status"))))
	if err != nil || strings.TrimSpace(status) != "connected" {
		t.Fatalf("status %q %v", status, err)
	}
	bt.Screenshot(ctx, t, "14-hr-connected")

	// Sync Now: the progress bar updates without reload until the run finishes.
	must("sync now", chromedp.Click(css(id("sync-now-employees"))), chromedp.WaitVisible(css(`[data-testid="run-progress"]`)),
		chromedp.WaitVisible(css(`[data-testid="run-progress"][data-status="succeeded"]`)))
	summary, err := chromedp.Run(ctx, chromedp.Text(css(id("run-summary"))))
	if err != nil || !strings.Contains(summary, "120 employees") {
		t.Fatalf("run summary %q %v", summary, err)
	}
	must("reload tab", chromedp.Navigate(base+"/settings/hr"), chromedp.WaitVisible(css(`[data-testid="run-row"]`)))
	bt.Screenshot(ctx, t, "15-hr-synced")
	must("employees", chromedp.Navigate(base+"/settings/hr/employees"), chromedp.WaitVisible(css(`[data-testid="hr-employee-row"]`)))
	bt.Screenshot(ctx, t, "16-hr-employees")
	must("api log", chromedp.Navigate(base+"/settings/hr/api-log"), chromedp.WaitVisible(css(`[data-testid="api-call-row"]`)))
	bt.Screenshot(ctx, t, "17-api-log")
	must("map teams", chromedp.Navigate(base+"/settings/hr/teams"), chromedp.WaitVisible(css(`[data-testid="team-map-row"]`)))
	bt.Screenshot(ctx, t, "18-map-teams")
	must("create all unmapped", chromedp.Click(css(id("create-all-unmapped"))), chromedp.WaitNotPresent(css(id("unmapped"))))
	bt.Screenshot(ctx, t, "19-map-teams-mapped")
	must("link users", chromedp.Navigate(base+"/settings/hr/link"), chromedp.WaitVisible(css(id("tab-link-users"))))
	bt.Screenshot(ctx, t, "20-link-users")
	must("invite via HR", chromedp.Navigate(base+"/users/invite-hr"), chromedp.WaitVisible(css(id("invite-hr-form"))))
	bt.Screenshot(ctx, t, "21-invite-via-hr")
}
