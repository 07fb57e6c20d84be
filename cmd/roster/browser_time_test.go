package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/internal/auth"
	bt "github.com/rosterhq/roster/internal/browsertest"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
)

// TestBrowserTrackTimeConfirmPush: with time pushing on (only confirmed
// entries), a member tracks time with the timer and by hand, her manager
// confirms one entry, the admin's Sync Now › Time tracking pushes it, and
// it is in the Personio sandbox; the API log's outbox lists it.
func TestBrowserTrackTimeConfirmPush(t *testing.T) {
	sb, sbURL := startSandbox(t)
	dir := t.TempDir()
	base := startRoster(t, map[string]string{"ROSTER_DATA_DIR": dir})
	b := newSession(t, base, "time")
	ctx, id, must := b.ctx, bt.TestID, b.must
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	eval := b.eval
	const pw = "browser-pass-123"
	login := func(who, email string) {
		t.Helper()
		must("log out before "+who, chromedp.Navigate(base+"/"), chromedp.WaitVisible(css(id("logout"))),
			chromedp.Click(css(id("logout"))), chromedp.WaitVisible(css(id("login-form"))))
		must("log in as "+who,
			fill(`input[name="email"]`, email), fill(`input[name="password"]`, pw),
			chromedp.Click(css(id("login-submit"))), chromedp.WaitVisible(css(id("sidebar"))))
	}

	must("setup", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css(id("setup-form"))),
		fill(`input[name="org_name"]`, "Acme GmbH"), chromedp.SetValue(css(`input[name="timezone"]`), "Europe/Berlin"),
		fill(`input[name="owner_name"]`, "Olga Owner"), fill(`input[name="email"]`, "olga@acme.test"), fill(`input[name="password"]`, pw),
		chromedp.Click(css(id("setup-submit"))), chromedp.WaitVisible(css(id("sidebar"))))
	// Connect the sandbox; the settings step turns time pushing on.
	must("connect the sandbox", chromedp.Navigate(base+"/settings/hr/connect/credentials"), chromedp.WaitVisible(css(id("credentials-form"))),
		chromedp.SetValue(css(`input[name="base_url"]`), sbURL), chromedp.SetValue(css(`input[name="client_id"]`), sandbox.FullClientID),
		chromedp.SetValue(css(`input[name="client_secret"]`), sandbox.FullClientSecret),
		chromedp.Click(css(id("check-credentials"))), chromedp.WaitVisible(css(id("attribute-table"))),
		chromedp.Click(css(id("wizard-next"))), chromedp.WaitVisible(css(id("sync-settings-form"))),
		chromedp.Evaluate[chromedp.Void](`(() => { document.querySelector('input[name=time_push]').checked = true;
			document.querySelector('input[name=time_only_confirmed]').checked = true;
			// A click by script: the button sits at the end of a long form
			// that may still be laying out on a loaded machine.
			document.querySelector('[data-testid=settings-save]').click() })()`),
		chromedp.WaitVisible(css(id("wizard-finish"))),
		chromedp.Click(css(id("wizard-finish"))), chromedp.WaitVisible(css(id("hr-connection"))))

	// Ada (employee 1002) reports to Mia (1003).
	st, err := store.Open(store.Options{SQLitePath: filepath.Join(dir, "roster.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	bg := context.Background()
	owners, err := st.UsersByEmailAllOrgs(bg, "olga@acme.test")
	if err != nil || len(owners) != 1 {
		t.Fatalf("owner: %v", err)
	}
	orgID := owners[0].OrgID
	if set, err := st.SyncSettings(bg, orgID); err != nil || !set.TimePush || !set.TimeOnlyConfirmed {
		t.Fatalf("settings after the wizard: %+v %v", set, err)
	}
	hash, err := auth.Hasher{Cost: 4}.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	mk := func(email, name, role string, pid int64, manager *int64) *store.User {
		u := &store.User{OrgID: orgID, Email: email, Name: name, Role: role, Status: store.StatusActive, PasswordHash: hash,
			PersonioID: &pid, ManagerID: manager, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(bg, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	mia := mk("mia@acme.test", "Mia Manager", store.RoleManager, 1003, nil)
	mk("ada@acme.test", "Ada Member", store.RoleMember, 1002, &mia.ID)

	// A day last year on which Ada has no attendance in Personio.
	day := ""
	for d := now.AddDate(-1, 0, 0); day == ""; d = d.AddDate(0, 0, -1) {
		s := d.Format(time.DateOnly)
		free := true
		for _, p := range sb.AttendancePeriods() {
			if p.PersonID == 1002 && p.AttributionDate == s {
				free = false
			}
		}
		if free {
			day = s
		}
	}

	login("Ada", "ada@acme.test")
	must("time page", chromedp.Navigate(base+"/time"), chromedp.WaitVisible(css(id("timer-start"))))
	must("start timer", chromedp.SendKeys(css(`[data-testid="timer-form"] input[name="comment"]`), "Inbox zero"),
		chromedp.Click(css(id("timer-start"))), chromedp.WaitVisible(css(id("timer-running"))))
	must("stop timer", chromedp.Click(css(id("timer-stop"))), chromedp.WaitVisible(css(id("timer-start"))),
		chromedp.WaitVisible(css(`[data-testid="time-entry"]`)))
	// A wrong entry first: the form explains it.
	must("invalid entry", chromedp.Navigate(base+"/time?week="+day), chromedp.WaitVisible(css(id("time-form"))),
		chromedp.SetValue(css(`[data-testid="time-form"] input[name="day"]`), day),
		chromedp.SetValue(css(`[data-testid="time-form"] input[name="start"]`), "09:00"),
		chromedp.SetValue(css(`[data-testid="time-form"] input[name="end"]`), "10:00"),
		chromedp.SetValue(css(`[data-testid="time-form"] input[name="break"]`), "90"),
		chromedp.Click(css(id("time-add-submit"))), chromedp.WaitVisible(css(id("error-break"))))
	bt.Screenshot(ctx, t, "80-time-error")
	must("add entry", chromedp.SetValue(css(`[data-testid="time-form"] input[name="end"]`), "17:30"),
		chromedp.SetValue(css(`[data-testid="time-form"] input[name="break"]`), "30"),
		chromedp.SendKeys(css(`[data-testid="time-form"] input[name="comment"]`), "Quarterly planning"),
		chromedp.SendKeys(css(`[data-testid="time-form"] input[name="project"]`), "Atlas"),
		chromedp.Click(css(id("time-add-submit"))), chromedp.WaitVisible(css(id("flash"))),
		chromedp.WaitVisible(css(`[data-testid="time-entry"]`)))
	if total := eval("week total", `document.querySelector('[data-testid=week-total]').textContent`); total != "8:00 h" {
		t.Fatalf("week total %q", total)
	}
	bt.Screenshot(ctx, t, "81-time-week")

	login("Mia", "mia@acme.test")
	must("review", chromedp.Navigate(base+"/time/review"), chromedp.WaitVisible(css(id("review-row"))))
	bt.Screenshot(ctx, t, "82-time-review")
	must("confirm", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('[data-testid=review-row]')]
			.find(r => r.textContent.includes('Quarterly planning')).querySelector('[data-testid=review-confirm]').click()`),
		chromedp.WaitVisible(css(id("flash"))))
	if f := eval("confirm flash", `document.querySelector('[data-testid=flash]').textContent`); !strings.Contains(f, "confirmed") {
		t.Fatalf("flash %q", f)
	}

	login("Olga", "olga@acme.test")
	must("sync now time tracking", chromedp.Navigate(base+"/settings/hr"), chromedp.WaitVisible(css(id("sync-now-timetracking"))),
		chromedp.Click(css(id("sync-now-timetracking"))),
		chromedp.WaitVisible(css(`[data-testid="run-progress"][data-status="succeeded"]`)))
	if s := eval("summary", `document.querySelector('[data-testid=run-summary]').textContent`); !strings.Contains(s, "1 pushed") {
		t.Fatalf("run summary %q", s)
	}
	bt.Screenshot(ctx, t, "83-time-sync-now")

	// In the sandbox: exactly the confirmed entry, once.
	res, err := http.Get(sbURL + "/sandbox/attendance-periods")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var periods []sandbox.AttendancePeriod
	if err := json.NewDecoder(res.Body).Decode(&periods); err != nil {
		t.Fatalf("decode /sandbox/attendance-periods: %v", err)
	}
	var ours []sandbox.AttendancePeriod
	for _, p := range periods {
		if p.PersonID == 1002 && (strings.Contains(p.Comment, "Quarterly planning") || strings.Contains(p.Comment, "Inbox zero")) {
			ours = append(ours, p)
		}
	}
	if len(ours) != 1 || ours[0].AttributionDate != day || ours[0].Status != "CONFIRMED" ||
		ours[0].Comment != "Quarterly planning · Project: Atlas · Break: 30 min" {
		t.Fatalf("in the sandbox: %+v", ours)
	}
	must("outbox", chromedp.Navigate(base+"/settings/hr/api-log?tab=outbox"), chromedp.WaitVisible(css(id("outbox-row"))))
	if pid := eval("outbox personio id", `document.querySelector('[data-testid=outbox-personio-id]').textContent`); pid != ours[0].ID {
		t.Fatalf("outbox shows %q, sandbox has %q", pid, ours[0].ID)
	}
	bt.Screenshot(ctx, t, "84-api-log-outbox")

	login("Ada", "ada@acme.test")
	must("ada sees it pushed", chromedp.Navigate(base+"/time?week="+day), chromedp.WaitVisible(css(id("entry-push"))))
	bt.Screenshot(ctx, t, "85-time-pushed")
	t.Logf("pushed as attendance period %s", ours[0].ID)
}
