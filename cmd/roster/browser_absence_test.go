package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/internal/absencesync"
	"github.com/rosterhq/roster/internal/auth"
	bt "github.com/rosterhq/roster/internal/browsertest"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
)

// TestBrowserAbsenceRequestApprovePush: with Roster leading absences (only
// approved ones pushed), a member requests an absence, her manager approves
// it, the admin's Sync Now pushes it, and it is in the Personio sandbox.
func TestBrowserAbsenceRequestApprovePush(t *testing.T) {
	sb, sbURL := startSandbox(t)
	dir := t.TempDir()
	base := startRoster(t, map[string]string{"ROSTER_DATA_DIR": dir})
	b := newSession(t, base, "absence")
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

	b.setup("Acme GmbH", "Olga Owner", "olga@acme.test", pw)
	must("connect the sandbox", chromedp.Navigate(base+"/settings/hr/connect/credentials"), chromedp.WaitVisible(css(id("credentials-form"))),
		chromedp.SetValue(css(`input[name="base_url"]`), sbURL), chromedp.SetValue(css(`input[name="client_id"]`), sandbox.FullClientID),
		chromedp.SetValue(css(`input[name="client_secret"]`), sandbox.FullClientSecret),
		chromedp.Click(css(id("check-credentials"))), chromedp.WaitVisible(css(id("attribute-table"))),
		chromedp.Click(css(id("wizard-next"))), chromedp.WaitVisible(css(id("sync-settings-form"))),
		chromedp.Click(css(id("settings-save"))), chromedp.WaitVisible(css(id("wizard-finish"))),
		chromedp.Click(css(id("wizard-finish"))), chromedp.WaitVisible(css(id("hr-connection"))))

	// Ada (employee 1002) reports to Mia (1003). The HR settings form has no
	// absence fields yet, so the leading system is set in the database.
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
	hash, err := auth.Hasher{Cost: 4}.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	mk := func(email, name string, pid int64, manager *int64) *store.User {
		u := &store.User{OrgID: orgID, Email: email, Name: name, Role: store.RoleMember, Status: store.StatusActive, PasswordHash: hash,
			PersonioID: &pid, ManagerID: manager, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(bg, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	mia := mk("mia@acme.test", "Mia Manager", 1003, nil)
	mk("ada@acme.test", "Ada Member", 1002, &mia.ID)
	set, err := st.SyncSettings(bg, orgID)
	if err != nil {
		t.Fatal(err)
	}
	set.AbsencesLeading, set.AbsencesOnlyApproved = absencesync.LeadingRoster, true
	if err := st.SaveSyncSettings(bg, set); err != nil {
		t.Fatal(err)
	}

	must("categories from Personio", chromedp.Navigate(base+"/settings/absence-categories"), chromedp.WaitVisible(css(id("create-missing"))),
		chromedp.Click(css(id("create-missing"))), chromedp.WaitVisible(css(id("flash"))))
	bt.Screenshot(ctx, t, "70-absence-categories")

	// A week next year on which Ada has nothing in Personio.
	d := time.Date(now.Year()+1, 3, 1, 0, 0, 0, 0, time.UTC)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	var start, end string
	for i := 0; i < 40 && start == ""; i, d = i+1, d.AddDate(0, 0, 7) {
		s, e := d.Format(time.DateOnly), d.AddDate(0, 0, 4).Format(time.DateOnly)
		free := true
		for _, to := range sb.TimeOffs(1002) {
			if to.StartDate <= e && to.EndDate >= s {
				free = false
			}
		}
		if free {
			start, end = s, e
		}
	}

	login("Ada", "ada@acme.test")
	must("request", chromedp.Navigate(base+"/absences"), chromedp.WaitVisible(css(id("absence-form"))),
		chromedp.SetValue(css(`input[name="start_date"]`), start), chromedp.SetValue(css(`input[name="end_date"]`), end),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('select[name=category_id]');
			s.value = [...s.options].find(o => o.textContent.trim() === 'Paid vacation').value })()`),
		chromedp.SetValue(css(`textarea[name="comment"]`), "Hiking in the Alps"),
		chromedp.Click(css(id("absence-submit"))), chromedp.WaitVisible(css(id("flash"))),
		chromedp.WaitVisible(css(`[data-testid="absence-row"][data-status="pending"]`)))
	bt.Screenshot(ctx, t, "71-absence-requested")

	login("Mia", "mia@acme.test")
	must("approve", chromedp.Navigate(base+"/approvals"), chromedp.WaitVisible(css(id("approval-row"))))
	bt.Screenshot(ctx, t, "72-approvals")
	must("approve click", chromedp.Click(css(`[data-testid="approval-row"] [data-testid="approve"]`)), chromedp.WaitVisible(css(id("flash"))))
	if f := eval("approved flash", `document.querySelector('[data-testid=flash]').textContent`); !strings.Contains(f, "approved") {
		t.Fatalf("flash %q", f)
	}

	// The admin's Sync Now (the first import: a preview) lists the
	// absence to push; its apply pushes what is due.
	login("Olga", "olga@acme.test")
	must("sync now", chromedp.Navigate(base+"/settings/hr"), chromedp.WaitVisible(css(id("sync-now-all"))),
		chromedp.Click(css(id("sync-now-all"))),
		chromedp.WaitVisible(css(`[data-testid="preview-status"][data-status="ready"]`)))
	must("absences to push", chromedp.Click(css(id("preview-kind-absence_push"))),
		chromedp.WaitVisible(css(`[data-testid=preview-item][data-kind=absence_push]`)))
	if row := eval("absence push", `document.querySelector('[data-testid=preview-item][data-kind=absence_push]').textContent`); !strings.Contains(row, "Ada Member") || !strings.Contains(row, start) {
		t.Fatalf("previewed push %q", row)
	}
	bt.Screenshot(ctx, t, "73-preview-absence-push")
	b.applyPreview(base)
	var pushed []sandbox.TimeOff
	for _, to := range sb.TimeOffs(1002) {
		if to.CreatedBy == "API" {
			pushed = append(pushed, to)
		}
	}
	if len(pushed) != 1 || pushed[0].StartDate != start || pushed[0].EndDate != end || pushed[0].Status != "approved" ||
		pushed[0].Comment != "Hiking in the Alps" || pushed[0].TimeOffTypeID != sb.TimeOffTypeIDs()["Paid vacation"] {
		t.Fatalf("in the sandbox: %+v", pushed)
	}
	login("Ada", "ada@acme.test")
	must("ada sees it approved", chromedp.Navigate(base+"/absences"),
		chromedp.WaitVisible(css(`[data-testid="absence-row"][data-status="approved"]`)))
	bt.Screenshot(ctx, t, "73-absence-approved")
	t.Logf("pushed as time-off %d", pushed[0].ID)
}
