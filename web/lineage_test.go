package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// lineageFixture is a linked user whose employee the status filter leaves
// out of scope, with 25 lineage rows from a sync run (one page is 20).
func lineageFixture(t *testing.T, a *app) (o *leaverOrg, userID, runID int64) {
	t.Helper()
	ctx := context.Background()
	o = newLeaverOrg(t, a)
	userID = o.linked(501, "Lena Lineage", "onboarding", "")
	err := a.store.DB().Model(&store.HREmployee{}).Where("org_id = ? AND personio_id = ?", o.orgID, 501).
		Updates(map[string]any{"in_scope": false, "scope_reason": "status"}).Error
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.store.SyncSettings(ctx, o.orgID)
	if err != nil {
		t.Fatal(err)
	}
	s.FilterStatuses = `["active"]`
	if err := a.store.SaveSyncSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	run := &store.SyncRun{OrgID: o.orgID, Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerCLI, Status: store.RunSucceeded,
		StartedAt: now, HeartbeatAt: now, FinishedAt: &now}
	if err := a.store.DB().Create(run).Error; err != nil {
		t.Fatal(err)
	}
	linkCtx := store.WithLineageOrigin(ctx, store.LineageOrigin{Source: "linked by Olga Owner"})
	if err := a.store.RecordLineage(linkCtx, o.orgID, "", now.Add(-48*time.Hour), []store.LineageChange{
		{UserID: userID, Field: "name", Old: "Lena", New: "Lena Lineage"},
	}); err != nil {
		t.Fatal(err)
	}
	runCtx := store.WithLineageOrigin(ctx, store.LineageOrigin{RunID: &run.ID, Source: "Personio sync"})
	for i := 1; i < 24; i++ {
		c := []store.LineageChange{{UserID: userID, Field: "job_title", Old: fmt.Sprintf("Engineer %d", i-1), New: fmt.Sprintf("Engineer %d", i)}}
		if err := a.store.RecordLineage(runCtx, o.orgID, "", now.Add(time.Duration(i-30)*time.Minute), c); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.store.RecordLineage(runCtx, o.orgID, "", now, []store.LineageChange{
		{UserID: userID, Field: store.LineageTeam, Old: "Alpha", New: "Beta"},
	}); err != nil {
		t.Fatal(err)
	}
	return o, userID, run.ID
}

// TestUserLineageSection: the admin user page shows why the user is out of
// scope (the status filter, in words) and the newest 20 changes, with a
// link to their run; the fragment pages through the older ones; an
// excluded employee says by whom.
func TestUserLineageSection(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		o, userID, runID := lineageFixture(t, a)
		path := fmt.Sprintf("/users/%d", userID)

		r := o.owner.get(path)
		expectStatus(t, r, http.StatusOK)
		sc := r.testid("lineage-scope")
		if st, _ := sc.Attr("data-state"); st != "out_of_scope" {
			t.Fatalf("scope state %q, want out_of_scope", st)
		}
		if f := strings.TrimSpace(r.testid("lineage-scope-filter").Text()); f != "filter: status" {
			t.Errorf("scope filter %q, want filter: status", f)
		}
		if ex := r.testid("lineage-scope-explanation").Text(); !strings.Contains(ex, `"onboarding"`) || !strings.Contains(ex, `"active"`) {
			t.Errorf("explanation %q does not name the employee's status and what the filter keeps", ex)
		}
		rows := r.testid("lineage-row")
		if rows.Length() != 20 {
			t.Fatalf("%d lineage rows on the user page, want 20 (one page)", rows.Length())
		}
		first := rows.First()
		if f, _ := first.Attr("data-field"); f != "team" || strings.TrimSpace(first.Find(`[data-testid="lineage-new"]`).Text()) != "Beta" {
			t.Errorf("newest row is %q → %q, want team → Beta", f, first.Find(`[data-testid="lineage-new"]`).Text())
		}
		if href, _ := first.Find(`[data-testid="lineage-run-link"]`).Attr("href"); href != fmt.Sprintf("/settings/hr/runs/%d", runID) {
			t.Errorf("run link %q, want /settings/hr/runs/%d", href, runID)
		}
		older, ok := r.testid("lineage-older").Attr("hx-get")
		if !ok {
			t.Fatal("no link to the older changes")
		}

		// The htmx fragment: the table alone, the 5 older rows, the link's
		// origin where there is no run.
		f := o.owner.do(http.MethodGet, older, nil, map[string]string{"HX-Request": "true"})
		expectStatus(t, f, http.StatusOK)
		if f.testid("lineage-scope").Length() != 0 || f.find("nav.navbar").Length() != 0 {
			t.Error("the fragment carries more than the lineage table")
		}
		if n := f.testid("lineage-row").Length(); n != 5 {
			t.Fatalf("%d rows on page 2, want 5", n)
		}
		last := f.testid("lineage-row").Last()
		if run := strings.TrimSpace(last.Find(`[data-testid="lineage-run"]`).Text()); run != "linked by Olga Owner" {
			t.Errorf("oldest row's origin %q, want linked by Olga Owner", run)
		}
		if f.testid("lineage-older").Length() != 0 || f.testid("lineage-newer").Length() != 1 {
			t.Error("page 2 should link to newer changes only")
		}
		// Without htmx, the same URL is a page of its own (works without JS).
		p := o.owner.get(older)
		expectStatus(t, p, http.StatusOK)
		if p.testid("lineage-scope").Length() != 1 || p.testid("lineage-row").Length() != 5 {
			t.Error("the lineage page without htmx lacks the scope or the rows")
		}

		// Excluded: the user page says so and by whom.
		ownerID := a.userID("olga@acme.test")
		if _, err := a.store.ExcludeHREmployee(context.Background(), &store.HRExclusion{OrgID: o.orgID, PersonioID: 501, ExcludedByID: &ownerID}); err != nil {
			t.Fatal(err)
		}
		r = o.owner.get(path)
		if st, _ := r.testid("lineage-scope").Attr("data-state"); st != "excluded" {
			t.Fatalf("scope state %q after excluding, want excluded", st)
		}
		if ex := r.testid("lineage-excluded").Text(); !strings.Contains(ex, "Olga Owner") {
			t.Errorf("exclusion note %q does not name the admin", ex)
		}
		if dir := os.Getenv("ROSTER_HTML_DIR"); dir != "" {
			if err := os.WriteFile(dir, []byte(r.body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestUserLineageTenantIsolation: another organisation's admin gets 404
// for the lineage of a user of this one, and sees none of it; a member
// cannot open it.
func TestUserLineageTenantIsolation(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		o, userID, _ := lineageFixture(t, a)
		other, _ := a.createOrg("Globex", "gina@globex.test")
		for _, hx := range []map[string]string{nil, {"HX-Request": "true"}} {
			r := other.do(http.MethodGet, fmt.Sprintf("/users/%d/lineage?page=1", userID), nil, hx)
			expectStatus(t, r, http.StatusNotFound)
			if strings.Contains(r.body, "Lena") || strings.Contains(r.body, "Engineer 2") {
				t.Error("another organisation's admin saw the lineage")
			}
		}
		link := a.invite(o.owner, "mo@acme.test", "Mo Member", "member")
		member := a.acceptAs(link, "Mo Member")
		r := member.get(fmt.Sprintf("/users/%d/lineage", userID))
		if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Errorf("a member opening the lineage got %d, want 403 or 404", r.status)
		}
		if strings.Contains(r.body, "Engineer 2") {
			t.Error("a member saw the lineage")
		}
	})
}
