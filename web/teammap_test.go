package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// syncEmployees runs a full employee sync through the HR tab and waits for it.
func syncEmployees(t *testing.T, owner *client) {
	t.Helper()
	r := owner.do(http.MethodPost, "/settings/hr/sync-now", url.Values{"area": {"employees"}, "_csrf": {owner.csrf("/settings/hr")}}, map[string]string{"HX-Request": "true"})
	expectStatus(t, r, http.StatusOK)
	if to := r.header.Get("HX-Redirect"); strings.HasSuffix(to, "/preview") {
		// The first import runs as a preview: review, then apply.
		applyPreview(t, owner, waitPreview(t, owner, to))
		return
	}
	poll, _ := r.testid("run-progress").Attr("hx-get")
	if poll == "" {
		if st, _ := r.testid("run-progress").Attr("data-status"); st != "succeeded" {
			t.Fatalf("sync did not start: %.300s", r.body)
		}
		return
	}
	done := waitRun(t, owner, strings.TrimSuffix(poll, "/progress"))
	if st, _ := done.testid("run-progress").Attr("data-status"); st != "succeeded" {
		t.Fatalf("sync %s: %s", st, done.testid("run-summary").Text())
	}
}

// mapRows reads the Map teams table: Personio name → key, count and selected Roster team.
type mapRow struct {
	key, count, selected string
	unmapped             bool
}

func mapRows(t *testing.T, r *resp) map[string]mapRow {
	t.Helper()
	out := map[string]mapRow{}
	r.find(`[data-testid="team-map-row"]`).Each(func(_ int, s *goquery.Selection) {
		key, _ := s.Attr("data-personio-key")
		sel, _ := s.Find(`[data-testid="team-select"] option[selected]`).Attr("value")
		out[s.Find(`[data-testid="personio-team-name"]`).Text()] = mapRow{key: key, count: s.Find(`[data-testid="employee-count"]`).Text(),
			selected: sel, unmapped: s.Find(`[data-testid="unmapped"]`).Length() == 1}
	})
	return out
}

func teamNames(t *testing.T, st *store.Store, orgID int64) []string {
	t.Helper()
	ts, err := st.ListTeams(t.Context(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(ts))
	for _, tm := range ts {
		out = append(out, tm.Name)
	}
	return out
}

// userTeams returns "team name:source" of a user's memberships, sorted.
func userTeams(t *testing.T, st *store.Store, userID int64) []string {
	t.Helper()
	var rows []struct {
		Name, Source string
	}
	if err := st.DB().Table("team_members tm").Select("teams.name, tm.source").Joins("JOIN teams ON teams.id = tm.team_id").
		Where("tm.user_id = ?", userID).Order("teams.name").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Name+":"+r.Source)
	}
	return out
}

func TestMapTeams(t *testing.T) {
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 60, Seed: 11})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		orgID := a.orgID(t)

		// Before any sync: the tab is there, with an empty state.
		r := owner.get("/settings/hr/teams")
		expectStatus(t, r, http.StatusOK)
		if !strings.Contains(r.testid("empty-state").Text(), "Run a sync first") || r.testid("tab-map-teams").Length() != 1 {
			t.Fatalf("before sync: %.400s", r.testid("team-map").Text())
		}

		connectSandbox(t, owner, sbURL)
		syncEmployees(t, owner)

		// Every Personio team with its employee count, all unmapped.
		want := map[string]int{}
		byTeam := map[string][]int64{}
		for _, e := range sb.Employees() {
			if e.Team != "" {
				want[e.Team]++
				byTeam[e.Team] = append(byTeam[e.Team], int64(e.ID))
			}
		}
		page := owner.get("/settings/hr/teams")
		rows := mapRows(t, page)
		if len(rows) != len(want) || len(want) < 4 {
			t.Fatalf("%d rows for %d Personio teams", len(rows), len(want))
		}
		for name, n := range want {
			if row := rows[name]; row.count != fmt.Sprint(n) || !row.unmapped || row.selected != "0" {
				t.Errorf("row %s: %+v, want %d employees, unmapped", name, row, n)
			}
		}
		names := make([]string, 0, len(want))
		for name := range want {
			names = append(names, name)
		}
		slices.Sort(names)
		teamA, teamB, teamC := names[0], names[1], names[2]

		// Two linked users in teams A and B; the second also in a team added by hand.
		a.invite(owner, "u1@acme.test", "U One", "member")
		a.invite(owner, "u2@acme.test", "U Two", "member")
		u1, u2 := a.userID("u1@acme.test"), a.userID("u2@acme.test")
		for u, pid := range map[int64]int64{u1: byTeam[teamA][0], u2: byTeam[teamB][0]} {
			if err := st.UpdateUserFields(t.Context(), orgID, u, map[string]any{"personio_id": pid}); err != nil {
				t.Fatal(err)
			}
		}
		manual := createTeam(t, owner, "Handpicked")
		expectStatus(t, owner.post("/teams/"+manual, "/teams/"+manual+"/members", url.Values{"user_id": {itoa(u2)}}), http.StatusSeeOther)
		shared := createTeam(t, owner, "Shared")

		// Many-to-one: A and B both join Shared; saving moves both users at once.
		r = owner.post("/settings/hr/teams", "/settings/hr/teams", url.Values{"team_" + rows[teamA].key: {shared}, "team_" + rows[teamB].key: {shared}})
		expectStatus(t, r, http.StatusSeeOther)
		page = owner.get(r.header.Get("Location"))
		if f := page.testid("flash").Text(); !strings.Contains(f, "Saved. 2 users moved.") {
			t.Fatalf("flash %q", f)
		}
		rows = mapRows(t, page)
		if rows[teamA].selected != shared || rows[teamB].selected != shared || rows[teamA].unmapped || !rows[teamC].unmapped {
			t.Fatalf("after save: %+v", rows)
		}
		if got := userTeams(t, st, u1); !slices.Equal(got, []string{"Shared:personio"}) {
			t.Errorf("u1 teams %v", got)
		}
		if got := userTeams(t, st, u2); !slices.Equal(got, []string{"Handpicked:manual", "Shared:personio"}) {
			t.Errorf("u2 teams %v", got)
		}

		// Saving again (htmx) moves nobody.
		tok := owner.csrf("/settings/hr/teams")
		r = owner.do(http.MethodPost, "/settings/hr/teams", url.Values{"_csrf": {tok}, "team_" + rows[teamA].key: {shared}}, map[string]string{"HX-Request": "true"})
		if r.status != http.StatusOK || r.header.Get("HX-Redirect") != "/settings/hr/teams" {
			t.Fatalf("htmx save: %d %q", r.status, r.header.Get("HX-Redirect"))
		}
		if f := owner.get("/settings/hr/teams").testid("flash").Text(); !strings.Contains(f, "Saved. 0 users moved.") {
			t.Errorf("flash %q", f)
		}

		// Another organisation's team is refused and nothing changes.
		otherOwner, _ := a.createOrg("Beta", "owner@beta.test")
		foreign := createTeam(t, otherOwner, "Beta team")
		before := snapshot(t, st, orgID)
		r = owner.post("/settings/hr/teams", "/settings/hr/teams", url.Values{"team_" + rows[teamA].key: {foreign}, "team_" + rows[teamC].key: {shared}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if r.testid("error-team_"+rows[teamA].key).Length() != 1 || strings.Contains(r.body, "Beta team") {
			t.Fatalf("422 page: %.500s", r.testid("team-map").Text())
		}
		if after := snapshot(t, st, orgID); after != before || !mapRows(t, owner.get("/settings/hr/teams"))[teamC].unmapped {
			t.Fatal("a refused save changed something")
		}

		// Create one team in place, then all unmapped at once.
		r = owner.post("/settings/hr/teams", "/settings/hr/teams/create", url.Values{"personio_key": {rows[teamC].key}})
		expectStatus(t, r, http.StatusSeeOther)
		if f := owner.get("/settings/hr/teams").testid("flash").Text(); !strings.Contains(f, "1 team created") {
			t.Errorf("create flash %q", f)
		}
		r = owner.post("/settings/hr/teams", "/settings/hr/teams/create", url.Values{"personio_key": {"no-such-team"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		page = owner.get("/settings/hr/teams")
		if page.testid("create-all-unmapped").Length() != 1 {
			t.Fatal("no Create all unmapped button")
		}
		r = owner.post("/settings/hr/teams", "/settings/hr/teams/create-all", nil)
		expectStatus(t, r, http.StatusSeeOther)
		page = owner.get("/settings/hr/teams")
		if page.find(`[data-testid="unmapped"]`).Length() != 0 || page.testid("create-all-unmapped").Length() != 0 {
			t.Fatal("unmapped teams left after Create all unmapped")
		}
		got := teamNames(t, st, orgID)
		for _, name := range names[2:] {
			if !slices.Contains(got, name) {
				t.Errorf("no Roster team %q in %v", name, got)
			}
		}
		if len(got) != len(names)-2+2 { // A and B share "Shared"; plus "Handpicked"
			t.Errorf("teams %v", got)
		}
		for name, row := range mapRows(t, page) {
			if name == teamA || name == teamB {
				continue
			}
			if row.selected == "0" || row.selected == shared {
				t.Errorf("%s mapped to %s", name, row.selected)
			}
		}
		r = owner.post("/settings/hr/teams", "/settings/hr/teams/create-all", nil)
		expectStatus(t, r, http.StatusSeeOther)
		if again := teamNames(t, st, orgID); !slices.Equal(again, got) {
			t.Errorf("second Create all unmapped: %v, was %v", again, got)
		}
		if f := owner.get("/settings/hr/teams").testid("flash").Text(); !strings.Contains(f, "already mapped") {
			t.Errorf("second create-all flash %q", f)
		}

		// Members and managers are refused.
		for _, role := range []string{"member", "manager"} {
			c := a.acceptAs(a.invite(owner, role+"@acme.test", role, role), role)
			if r := c.get("/settings/hr/teams"); r.status != http.StatusForbidden {
				t.Errorf("%s GET: %d", role, r.status)
			}
			for _, p := range []string{"/settings/hr/teams", "/settings/hr/teams/create", "/settings/hr/teams/create-all"} {
				r := c.do(http.MethodPost, p, url.Values{"_csrf": {c.csrf("/")}, "personio_key": {rows[teamA].key}, "team_" + rows[teamA].key: {"0"}}, nil)
				if r.status != http.StatusForbidden {
					t.Errorf("%s POST %s: %d", role, p, r.status)
				}
			}
		}
		if r := owner.get("/settings/hr/teams"); mapRows(t, r)[teamA].selected != shared {
			t.Error("a refused request changed the mapping")
		}

		// Department source: the page lists Personio departments instead.
		settings, err := st.SyncSettings(t.Context(), orgID)
		if err != nil {
			t.Fatal(err)
		}
		settings.TeamSource = store.TeamSourceDepartment
		if err := st.SaveSyncSettings(t.Context(), settings); err != nil {
			t.Fatal(err)
		}
		depts := map[string]int{}
		for _, e := range sb.Employees() {
			if e.Department != "" {
				depts[e.Department]++
			}
		}
		page = owner.get("/settings/hr/teams")
		drows := mapRows(t, page)
		if len(drows) != len(depts) || !strings.Contains(page.testid("team-map").Text(), "Personio department") {
			t.Fatalf("%d department rows for %d departments", len(drows), len(depts))
		}
		for name, n := range depts {
			if row := drows[name]; row.count != fmt.Sprint(n) || !row.unmapped {
				t.Errorf("department %s: %+v, want %d employees, unmapped", name, row, n)
			}
		}
	})
}
