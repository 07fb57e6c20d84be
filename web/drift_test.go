package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// driftIDs lists the data-* id of every row of a drift section.
func driftIDs(r *resp, rowTestID, attr string) []string {
	var out []string
	r.find(`[data-testid="` + rowTestID + `"]`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr(attr)
		out = append(out, v)
	})
	return out
}

func hasID(ids []string, id any) bool {
	want := fmt.Sprint(id)
	for _, v := range ids {
		if v == want {
			return true
		}
	}
	return false
}

// driftFix posts a fix (CSRF token from the report) and expects 303 back
// to the report with a success flash containing flash.
func driftFix(t *testing.T, c *client, path, flash string, form url.Values) *resp {
	t.Helper()
	r := c.post("/settings/hr/drift", path, form)
	expectStatus(t, r, http.StatusSeeOther)
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/settings/hr/drift") {
		t.Fatalf("POST %s redirected to %q", path, loc)
	}
	page := c.get(loc)
	expectStatus(t, page, http.StatusOK)
	if f := page.testid("flash").Text(); !strings.Contains(f, flash) {
		t.Errorf("POST %s: flash %q, want %q", path, f, flash)
	}
	return page
}

// deleteTeamBypassingFKs deletes a team but leaves the mappings pointing to
// it (as data restored or written with foreign keys off would).
func deleteTeamBypassingFKs(t *testing.T, st *store.Store, orgID, teamID int64) {
	t.Helper()
	err := st.DB().WithContext(t.Context()).Connection(func(tx *gorm.DB) error {
		off, on := "PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON"
		if st.Dialect() == store.Postgres {
			off, on = "SET session_replication_role = replica", "SET session_replication_role = DEFAULT"
		}
		if err := tx.Exec(off).Error; err != nil {
			return err
		}
		defer tx.Exec(on)
		if err := tx.Exec("DELETE FROM team_members WHERE org_id = ? AND team_id = ?", orgID, teamID).Error; err != nil {
			return err
		}
		return tx.Exec("DELETE FROM teams WHERE org_id = ? AND id = ?", orgID, teamID).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func auditCount(t *testing.T, st *store.Store, orgID int64, action string) int64 {
	t.Helper()
	_, n, err := st.ListAudit(t.Context(), orgID, store.AuditFilter{Action: action, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDriftReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 40, Seed: 11})
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		orgID := a.orgID(t)
		connectSandbox(t, owner, sbURL)
		syncEmployees(t, owner)
		waitFirstImportMail(t, a, "olga@acme.test")
		ctx := t.Context()

		// Current employees with a unique email (no end date, to keep clear of today).
		count := map[string]int{}
		for _, e := range sb.Employees() {
			count[strings.ToLower(strings.TrimSpace(e.Email))]++
		}
		var cur []sandbox.Employee
		for _, e := range sb.Employees() {
			k := strings.ToLower(strings.TrimSpace(e.Email))
			if e.Status == "inactive" || e.TerminationDate != "" || e.LastWorkingDay != "" || k == "" || count[k] != 1 {
				continue
			}
			cur = append(cur, e)
		}
		if len(cur) < 4 {
			t.Fatalf("sandbox: only %d current employees with a unique email", len(cur))
		}
		e1, e2, e3 := cur[0], cur[1], cur[2]

		// The HR software tab links to the report.
		hr := owner.get("/settings/hr")
		if href, _ := hr.testid("drift-report-link").Attr("href"); href != "/settings/hr/drift" {
			t.Fatalf("HR tab: no link to the drift report")
		}

		// (a) A user no employee matches; the owner is one too.
		now := time.Now().UTC()
		stray := &store.User{OrgID: orgID, Email: "nobody@acme.test", Name: "No Body", Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, stray); err != nil {
			t.Fatal(err)
		}
		rep := owner.get("/settings/hr/drift")
		expectStatus(t, rep, http.StatusOK)
		users := driftIDs(rep, "drift-user-row", "data-user-id")
		if !hasID(users, stray.ID) || !hasID(users, a.userID("olga@acme.test")) || len(users) != 2 {
			t.Fatalf("unmatched users %v, want the owner and %d", users, stray.ID)
		}
		if got := rep.testid("count-users").Text(); got != "2" {
			t.Errorf("users count %q", got)
		}
		// (b) Every current employee is without a user yet (first page of 50).
		emps := driftIDs(rep, "drift-employee-row", "data-personio-id")
		for _, e := range []sandbox.Employee{e1, e2, e3} {
			if !hasID(emps, e.ID) {
				t.Fatalf("employee %d missing from %v", e.ID, emps)
			}
		}
		nEmps := len(emps)
		if rep.testid("drift-email-row").Length() != 0 || rep.testid("drift-overwrite-row").Length() != 0 || rep.testid("drift-mapping-row").Length() != 0 {
			t.Fatalf("unexpected drift right after the first import: %s", rep.testid("drift-emails").Text())
		}

		// Fix (a): link the stray user to e1 through the picker.
		pick := owner.get(fmt.Sprintf("/settings/hr/drift/users/%d/link?q=%s", stray.ID, url.QueryEscape(e1.LastName)))
		expectStatus(t, pick, http.StatusOK)
		if !hasID(driftIDs(pick, "drift-link-choice", "data-personio-id"), e1.ID) {
			t.Fatalf("picker does not offer %d: %s", e1.ID, pick.testid("drift-link").Text())
		}
		rep = driftFix(t, owner, fmt.Sprintf("/settings/hr/drift/users/%d/link", stray.ID), "is linked", url.Values{"personio_id": {itoa(int64(e1.ID))}})
		if u, _ := st.User(ctx, orgID, stray.ID); u.PersonioID == nil || *u.PersonioID != int64(e1.ID) || u.Name != e1.FirstName+" "+e1.LastName {
			t.Fatalf("stray user after link: %+v", u)
		}
		if hasID(driftIDs(rep, "drift-user-row", "data-user-id"), stray.ID) || hasID(driftIDs(rep, "drift-employee-row", "data-personio-id"), e1.ID) {
			t.Error("linked user or employee still listed")
		}
		// Linking to an employee that does not exist: 422, nothing linked.
		other := &store.User{OrgID: orgID, Email: "other@acme.test", Name: "Other One", Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, other); err != nil {
			t.Fatal(err)
		}
		r := owner.post("/settings/hr/drift", fmt.Sprintf("/settings/hr/drift/users/%d/link", other.ID), url.Values{"personio_id": {itoa(int64(e1.ID))}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("form-error").Text(), "already linked") {
			t.Errorf("link error %q", r.testid("form-error").Text())
		}

		// Fix (b): invite e2, exclude e3.
		driftFix(t, owner, fmt.Sprintf("/settings/hr/drift/employees/%d/invite", e2.ID), "is invited", nil)
		u2, err := st.UserByEmail(ctx, orgID, strings.ToLower(e2.Email))
		if err != nil || u2.PersonioID == nil || *u2.PersonioID != int64(e2.ID) || u2.Status != store.StatusInvited {
			t.Fatalf("invited user: %+v %v", u2, err)
		}
		rep = driftFix(t, owner, fmt.Sprintf("/settings/hr/drift/employees/%d/exclude", e3.ID), "is excluded", nil)
		if x, _ := st.ExcludedHREmployees(ctx, orgID, []int64{int64(e3.ID)}); !x[int64(e3.ID)] {
			t.Fatal("e3 not excluded")
		}
		emps = driftIDs(rep, "drift-employee-row", "data-personio-id")
		if hasID(emps, e2.ID) || hasID(emps, e3.ID) || len(emps) != nEmps-3 {
			t.Errorf("employees after the fixes: %d rows (was %d), e2/e3 listed: %v/%v", len(emps), nEmps, hasID(emps, e2.ID), hasID(emps, e3.ID))
		}

		// (c) e2's email changes in Personio; another user already has it.
		newEmail := "renamed." + strings.ToLower(e2.Email)
		if _, err := sb.Update(e2.ID, sandbox.EmployeeInput{Email: &newEmail}); err != nil {
			t.Fatal(err)
		}
		syncEmployees(t, owner)
		rep = owner.get("/settings/hr/drift")
		row := rep.find(fmt.Sprintf(`[data-testid="drift-email-row"][data-user-id="%d"]`, u2.ID))
		if row.Length() != 1 || strings.TrimSpace(row.Find(`[data-testid="roster-email"]`).Text()) != u2.Email ||
			strings.TrimSpace(row.Find(`[data-testid="personio-email"]`).Text()) != newEmail {
			t.Fatalf("email mismatch row: %q", row.Text())
		}
		if got := rep.testid("count-emails").Text(); got != "2" {
			t.Errorf("email mismatches %q, want the hand-linked user and the renamed one", got)
		}
		clash := &store.User{OrgID: orgID, Email: newEmail, Name: "Clash User", Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, clash); err != nil {
			t.Fatal(err)
		}
		emailFix := fmt.Sprintf("/settings/hr/drift/users/%d/use-personio-email", u2.ID)
		r = owner.post("/settings/hr/drift", emailFix, nil)
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("form-error").Text(), "already the email of Clash User") {
			t.Errorf("clash error %q", r.testid("form-error").Text())
		}
		if err := st.DeleteUser(ctx, orgID, clash.ID); err != nil {
			t.Fatal(err)
		}
		rep = driftFix(t, owner, emailFix, "now has their Personio email", nil)
		if u, _ := st.User(ctx, orgID, u2.ID); u.Email != newEmail {
			t.Fatalf("email %q, want %q", u.Email, newEmail)
		}
		// The stray user linked by hand keeps their own email: still a mismatch.
		if got := driftIDs(rep, "drift-email-row", "data-user-id"); len(got) != 1 || !hasID(got, stray.ID) {
			t.Errorf("email mismatches after the fix: %v (want only the hand-linked user %d)", got, stray.ID)
		}
		if auditCount(t, st, orgID, "user.email_from_personio") != 1 {
			t.Error("email change not audited")
		}

		// (d) Manual edits by SQL on both linked users.
		if err := st.DB().Exec("UPDATE users SET name = ?, job_title = ? WHERE org_id = ? AND id IN ?", "Hand Edited", "Chief Tinkerer", orgID, []int64{stray.ID, u2.ID}).Error; err != nil {
			t.Fatal(err)
		}
		rep = owner.get("/settings/hr/drift")
		if got := driftIDs(rep, "drift-overwrite-row", "data-user-id"); len(got) != 2 || !hasID(got, stray.ID) || !hasID(got, u2.ID) {
			t.Fatalf("overwrite rows %v", got)
		}
		name := rep.find(fmt.Sprintf(`[data-testid="drift-overwrite-row"][data-user-id="%d"] [data-testid="drift-change"][data-field="name"]`, stray.ID)).Text()
		if !strings.Contains(name, "Hand Edited") || !strings.Contains(name, e1.FirstName+" "+e1.LastName) {
			t.Errorf("name change %q", name)
		}
		title := rep.find(fmt.Sprintf(`[data-testid="drift-overwrite-row"][data-user-id="%d"] [data-testid="drift-change"][data-field="job title"]`, stray.ID)).Text()
		if !strings.Contains(title, "Chief Tinkerer") {
			t.Errorf("job title change %q", title)
		}
		rep = driftFix(t, owner, fmt.Sprintf("/settings/hr/drift/users/%d/apply", stray.ID), "Personio's values applied", nil)
		if got := driftIDs(rep, "drift-overwrite-row", "data-user-id"); len(got) != 1 || hasID(got, stray.ID) {
			t.Errorf("overwrite rows after apply: %v", got)
		}
		if u, _ := st.User(ctx, orgID, stray.ID); u.Name != e1.FirstName+" "+e1.LastName || u.JobTitle != e1.Position {
			t.Errorf("after apply: %q %q", u.Name, u.JobTitle)
		}
		if auditCount(t, st, orgID, "user.updated_from_personio") != 1 {
			t.Error("apply not audited")
		}
		rep = driftFix(t, owner, fmt.Sprintf("/settings/hr/drift/users/%d/exclude", u2.ID), "excluded from the sync", nil)
		if u, _ := st.User(ctx, orgID, u2.ID); u.Name != "Hand Edited" {
			t.Errorf("exclude changed the name to %q", u.Name)
		}
		if x, _ := st.ExcludedHREmployees(ctx, orgID, []int64{int64(e2.ID)}); !x[int64(e2.ID)] {
			t.Error("e2 not excluded")
		}
		if rep.testid("drift-overwrite-row").Length() != 0 {
			t.Errorf("overwrites still listed: %s", rep.testid("drift-overwrites").Text())
		}

		// (e) A mapping whose Roster team is deleted, one whose Personio unit is gone.
		settings, err := st.SyncSettings(ctx, orgID)
		if err != nil {
			t.Fatal(err)
		}
		source := store.TeamSourceTeam
		if settings.TeamSource == store.TeamSourceDepartment {
			source = store.TeamSourceDepartment
		}
		units, err := st.HRUnits(ctx, orgID, source)
		if err != nil || len(units) == 0 {
			t.Fatalf("units %v %v", units, err)
		}
		doomed, survivor := mustInt(createTeam(t, owner, "Doomed")), mustInt(createTeam(t, owner, "Survivor"))
		for _, m := range []store.TeamMapping{
			{OrgID: orgID, Source: source, PersonioKey: units[0].Key, PersonioName: units[0].Name, TeamID: doomed, CreatedAt: now, UpdatedAt: now},
			{OrgID: orgID, Source: source, PersonioKey: "987654321", PersonioName: "Ghost unit", TeamID: survivor, CreatedAt: now, UpdatedAt: now},
		} {
			if err := st.SaveTeamMapping(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		rep = owner.get("/settings/hr/drift")
		if rep.testid("drift-mapping-row").Length() != 1 || rep.testid("unit-gone").Length() != 1 {
			t.Fatalf("mapping rows before the team is deleted: %s", rep.testid("drift-mappings").Text())
		}
		deleteTeamBypassingFKs(t, st, orgID, doomed)
		rep = owner.get("/settings/hr/drift")
		if rep.testid("drift-mapping-row").Length() != 2 || rep.testid("team-deleted").Length() != 1 || rep.testid("count-mappings").Text() != "2" {
			t.Fatalf("mapping rows: %s", rep.testid("drift-mappings").Text())
		}
		ms, _ := st.TeamMappings(ctx, orgID, source)
		ids := map[string]int64{}
		for _, m := range ms {
			ids[m.PersonioKey] = m.ID
		}

		// Another organisation cannot touch these mappings.
		B, _ := a.createOrg("Beta", "owner@beta.test")
		r = B.post("/", fmt.Sprintf("/settings/hr/drift/mappings/%d/remove", ids["987654321"]), nil)
		expectStatus(t, r, http.StatusNotFound)
		r = B.post("/", fmt.Sprintf("/settings/hr/drift/mappings/%d/remap", ids[units[0].Key]), url.Values{"team_id": {itoa(survivor)}})
		expectStatus(t, r, http.StatusNotFound)

		// Remap the deleted team's mapping; remove the ghost unit's mapping.
		rep = driftFix(t, owner, fmt.Sprintf("/settings/hr/drift/mappings/%d/remap", ids[units[0].Key]), "mapped again", url.Values{"team_id": {itoa(survivor)}})
		if rep.testid("team-deleted").Length() != 0 || rep.testid("drift-mapping-row").Length() != 1 {
			t.Errorf("mappings after remap: %s", rep.testid("drift-mappings").Text())
		}
		rep = driftFix(t, owner, fmt.Sprintf("/settings/hr/drift/mappings/%d/remove", ids["987654321"]), "is removed", nil)
		if rep.testid("drift-mapping-row").Length() != 0 {
			t.Errorf("mappings still listed: %s", rep.testid("drift-mappings").Text())
		}
		ms, _ = st.TeamMappings(ctx, orgID, source)
		if len(ms) != 1 || ms[0].PersonioKey != units[0].Key || ms[0].TeamID != survivor {
			t.Errorf("mappings after the fixes: %+v", ms)
		}
		if auditCount(t, st, orgID, "hr.team_mapping_removed") != 1 || auditCount(t, st, orgID, "hr.teams_mapped") == 0 {
			t.Error("mapping fixes not audited")
		}

		// Without JavaScript the report and a fix work the same; with htmx the
		// fix answers an HX-Redirect.
		hx := owner.do(http.MethodPost, fmt.Sprintf("/settings/hr/drift/users/%d/apply", stray.ID),
			url.Values{"_csrf": {owner.csrf("/settings/hr/drift")}}, map[string]string{"HX-Request": "true"})
		expectStatus(t, hx, http.StatusOK)
		if hx.header.Get("HX-Redirect") == "" {
			t.Error("htmx fix: no HX-Redirect")
		}

		if dir := os.Getenv("ROSTER_HTML_DIR"); dir != "" && st.Dialect() == store.SQLite {
			// Craft one row of each kind again for the picture.
			_ = st.DB().Exec("UPDATE users SET job_title = ? WHERE org_id = ? AND id = ?", "Hand-edited title", orgID, stray.ID).Error
			_ = st.SaveTeamMapping(ctx, &store.TeamMapping{OrgID: orgID, Source: source, PersonioKey: "5550001", PersonioName: "Former R&D", TeamID: survivor, CreatedAt: now, UpdatedAt: now})
			page := owner.get("/settings/hr/drift")
			html := strings.ReplaceAll(page.body, `href="/static/`, `href="file:///work/main/static/`)
			html = strings.ReplaceAll(html, `src="/static/`, `src="file:///work/main/static/`)
			if err := os.WriteFile(filepath.Join(dir, "drift.html"), []byte(html), 0o644); err != nil {
				t.Fatal(err)
			}
			pick := owner.get(fmt.Sprintf("/settings/hr/drift/users/%d/link?q=a", other.ID))
			html = strings.ReplaceAll(pick.body, `href="/static/`, `href="file:///work/main/static/`)
			if err := os.WriteFile(filepath.Join(dir, "drift-link.html"), []byte(html), 0o644); err != nil {
				t.Fatal(err)
			}
			hrTab := owner.get("/settings/hr")
			html = strings.ReplaceAll(hrTab.body, `href="/static/`, `href="file:///work/main/static/`)
			if err := os.WriteFile(filepath.Join(dir, "hr-tab.html"), []byte(html), 0o644); err != nil {
				t.Fatal(err)
			}
		}

		// The report runs a fixed number of queries, whatever the size.
		var queries atomic.Int64
		countQuery := func(*gorm.DB) { queries.Add(1) }
		if err := st.DB().Callback().Query().After("gorm:query").Register("drift_test:count_query", countQuery); err != nil {
			t.Fatal(err)
		}
		if err := st.DB().Callback().Row().After("gorm:row").Register("drift_test:count_row", countQuery); err != nil {
			t.Fatal(err)
		}
		measure := func() int64 {
			queries.Store(0)
			expectStatus(t, owner.get("/settings/hr/drift"), http.StatusOK)
			return queries.Load()
		}
		small := measure()

		// Each section pages by 50: 50 more unmatched users make 52.
		for i := range 50 {
			u := &store.User{OrgID: orgID, Email: fmt.Sprintf("extra%02d@acme.test", i), Name: fmt.Sprintf("Extra %02d", i), Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		rep = owner.get("/settings/hr/drift")
		if n := rep.testid("drift-user-row").Length(); n != 50 || rep.testid("count-users").Text() != "52" {
			t.Fatalf("page 1: %d user rows, count %q", n, rep.testid("count-users").Text())
		}
		if big := measure(); big != small || small == 0 {
			t.Errorf("report queries: %d with 2 unmatched users, %d with 52", small, big)
		}
		t.Logf("GET /settings/hr/drift: %d queries (request total, session and layout included)", small)
		next, _ := rep.find(`[data-testid="pager-drift-users"] [data-testid="next-page"]`).Attr("href")
		if !strings.Contains(next, "users_page=2") {
			t.Fatalf("next page link %q", next)
		}
		rep = owner.get(next)
		if n := rep.testid("drift-user-row").Length(); n != 2 || rep.testid("drift-employee-row").Length() == 0 {
			t.Errorf("page 2: %d user rows, %d employee rows", n, rep.testid("drift-employee-row").Length())
		}
	})
}
