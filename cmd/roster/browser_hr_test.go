package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/rosterhq/roster/internal/browsertest"
)

// TestBrowserConnectSandbox connects the bundled sandbox through the wizard.
func TestBrowserConnectSandbox(t *testing.T) {
	sandboxAddr := freePort(t)
	base := startRoster(t, map[string]string{"ROSTER_SANDBOX": "on", "ROSTER_SANDBOX_ADDR": sandboxAddr})
	b := newSession(t, base, "hr")
	ctx, id, must := b.ctx, bt.TestID, b.must
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.setup("Sandbox Corp", "Hanna HR", "hanna@sandbox.test", "browser-pass-123")
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

	// Sync Now on the first import computes a preview: its page polls
	// until the preview is ready; nothing is imported before Apply.
	must("first import preview", chromedp.Click(css(id("sync-now-employees"))),
		chromedp.WaitVisible(css(`[data-testid="preview-status"][data-status="ready"]`)))
	if n := b.eval("new employees tab", `document.querySelector('[data-testid=preview-kind-employee_new]').textContent`); !strings.Contains(n, "120") {
		t.Fatalf("new employees tab %q", n)
	}
	bt.Screenshot(ctx, t, "15a-first-import-preview")
	// Apply; the preview page follows the apply until it has ended.
	b.applyPreview(base)
	bt.Screenshot(ctx, t, "15b-first-import-applied")
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
	text := func(step, expr string) string {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		v, err := chromedp.Run(stepCtx, chromedp.Evaluate[string](expr))
		if err != nil {
			bt.Screenshot(ctx, t, "failure-hr")
			t.Fatalf("%s: %v", step, err)
		}
		return strings.TrimSpace(v)
	}

	// Link: a user invited by hand under an employee's address, typed with
	// capitals and spaces, is offered for linking and linked.
	must("invite via HR page", chromedp.Navigate(base+"/users/invite-hr"), chromedp.WaitVisible(css(id("invite-hr-form"))))
	linkEmail := text("employee email", `document.querySelector('[data-testid=invite-hr-row] .has-text-grey').textContent`)
	if !strings.Contains(linkEmail, "@") {
		t.Fatalf("employee email %q", linkEmail)
	}
	must("invite by hand", chromedp.Navigate(base+"/users/invite"), chromedp.WaitVisible(css(id("invite-form"))),
		fill(`input[name="email"]`, "  "+strings.ToUpper(linkEmail)+" "), fill(`input[name="name"]`, "Hand Invited"),
		chromedp.Click(css(id("invite-submit"))), chromedp.WaitVisible(css(id("flash"))))
	must("link users", chromedp.Navigate(base+"/settings/hr/link"), chromedp.WaitVisible(css(id("tab-link-users"))),
		chromedp.WaitVisible(css(id("link-match"))))
	bt.Screenshot(ctx, t, "20-link-users")
	if n := text("matches", `String(document.querySelectorAll('[data-testid=link-match]').length)`); n != "1" {
		t.Fatalf("link matches = %s, want 1", n)
	}
	must("link save", chromedp.Click(css(id("link-save"))), chromedp.WaitVisible(css(id("flash"))))
	if f := text("link flash", `document.querySelector('[data-testid=flash]').textContent`); !strings.Contains(f, "1 user linked") {
		t.Fatalf("link flash %q", f)
	}

	// A change in Personio, previewed as a partial sync and applied, shows
	// in the linked user's lineage with its run.
	pid, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => { const r = await fetch('/settings/hr/employees?q=' + encodeURIComponent(`+jsString(strings.ToLower(strings.TrimSpace(linkEmail)))+`));
		const d = new DOMParser().parseFromString(await r.text(), 'text/html');
		return d.querySelector('[data-testid=hr-employee-row]').dataset.personioId })()`, chromedp.EvalAwaitPromise))
	if err != nil || pid == "" {
		t.Fatalf("Personio id of %s: %q %v", linkEmail, pid, err)
	}
	sandboxPatch(t, sandboxAddr, pid, `{"position": "Head of Previews"}`)
	must("preview partial", chromedp.Navigate(base+"/settings/hr"), chromedp.WaitVisible(css(id("preview-partial"))),
		chromedp.Click(css(id("preview-partial"))), chromedp.WaitVisible(css(`[data-testid="preview-status"][data-status="ready"]`)))
	must("field changes", chromedp.Click(css(id("preview-kind-user_field"))), chromedp.WaitVisible(css(`[data-testid=preview-item][data-kind=user_field]`)))
	row := text("previewed change", `document.querySelector('[data-testid=preview-item][data-kind=user_field]').textContent`)
	if !strings.Contains(row, "Head of Previews") || !strings.Contains(strings.ToLower(row), strings.ToLower(strings.TrimSpace(linkEmail))) {
		t.Fatalf("previewed change %q", row)
	}
	userPath := text("user link", `document.querySelector('[data-testid=preview-item][data-kind=user_field] a').getAttribute('href')`)
	bt.Screenshot(ctx, t, "20a-preview-partial")
	b.applyPreview(base)
	must("lineage", chromedp.Navigate(base+userPath+"/lineage"), chromedp.WaitVisible(css(`[data-testid="lineage-row"]`)))
	lineage := text("lineage", `[...document.querySelectorAll('[data-testid=lineage-row]')].map(r => r.textContent.replace(/\s+/g, ' ')).join('\n')`)
	if !strings.Contains(lineage, "Head of Previews") || !strings.Contains(lineage, "run") {
		t.Fatalf("lineage after the applied preview:\n%s", lineage)
	}
	bt.Screenshot(ctx, t, "20b-user-lineage")

	// Invite via HR with a cost center and a team filter: only matching
	// employees are listed; the one selected gets the invitation email.
	must("invite via HR", chromedp.Navigate(base+"/users/invite-hr"), chromedp.WaitVisible(css(id("invite-hr-form"))))
	if strings.Contains(text("linked gone", `document.querySelector('[data-testid=invite-hr-table]').textContent`), linkEmail) {
		t.Fatalf("the linked employee %s is still offered for invite", linkEmail)
	}
	cc := text("cost center", `[...document.querySelectorAll('#cost_center option')].map(o => o.value).find(v => v !== '') || ''`)
	if cc == "" {
		t.Fatal("no cost center to filter by")
	}
	// The filter replaces the table; wait for the one that says it applied
	// this filter, not the rows still on screen from before.
	must("filter cost center", chromedp.SetValue(css(`#cost_center`), cc), chromedp.Click(css(id("invite-hr-filter"))),
		chromedp.WaitVisible(css(`[data-testid=invite-hr-table][data-cost-center=`+jsString(cc)+`] [data-testid=invite-hr-row]`)))
	unit := text("first unit", `document.querySelector('[data-testid=invite-hr-row] td:nth-child(4)').textContent`)
	teamValue := text("team option", `[...document.querySelectorAll('#unit option')].find(o => o.textContent.trim() === `+jsString(unit)+`)?.value || ''`)
	if teamValue == "" {
		t.Fatalf("no team option for %q", unit)
	}
	must("filter team", chromedp.SetValue(css(`#unit`), teamValue), chromedp.Click(css(id("invite-hr-filter"))),
		chromedp.WaitVisible(css(`[data-testid=invite-hr-table][data-team=`+jsString(teamValue)+`][data-cost-center=`+jsString(cc)+`] [data-testid=invite-hr-row]`)))
	units := text("units", `[...document.querySelectorAll('[data-testid=invite-hr-row] td:nth-child(4)')].map(td => td.textContent.trim()).join('|')`)
	for _, u := range strings.Split(units, "|") {
		if u != unit {
			t.Fatalf("team filter %q shows a row of %q (%s)", unit, u, units)
		}
	}
	bt.Screenshot(ctx, t, "21-invite-via-hr-filtered")
	inviteEmail := text("invitee", `(() => { const r = [...document.querySelectorAll('[data-testid=invite-hr-row]')].find(r => !r.querySelector('[data-testid=no-email]'));
		document.querySelectorAll('[data-testid=invite-hr-check]').forEach(c => { c.checked = false });
		r.querySelector('[data-testid=invite-hr-check]').checked = true;
		return r.querySelector('.has-text-grey').textContent })()`)
	must("invite selected", chromedp.Click(css(id("invite-hr-selected"))), chromedp.WaitVisible(css(id("flash"))))
	if f := text("invite flash", `document.querySelector('[data-testid=flash]').textContent`); !strings.Contains(f, "1 invitation sent") {
		t.Fatalf("invite flash %q", f)
	}
	must("mailbox", chromedp.Navigate(base+"/dev/mailbox"), chromedp.WaitVisible(css(`[data-testid="mail"][data-to="`+inviteEmail+`"]`)))
	bt.Screenshot(ctx, t, "22-mailbox-invite-via-hr")
}

// sandboxPatch changes an employee through the sandbox's control API.
func sandboxPatch(t *testing.T, addr, id, body string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, "http://"+addr+"/sandbox/employees/"+id, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sandbox PATCH employee %s: %s", id, res.Status)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
