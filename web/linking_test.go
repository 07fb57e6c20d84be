package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func TestLinkExistingEmployees(t *testing.T) {
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 60, Seed: 11})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		orgID := a.orgID(t)
		connectSandbox(t, owner, sbURL)
		syncEmployees(t, owner)

		// Sandbox employees: unique emails, and the one duplicate-email pair.
		count := map[string]int{}
		for _, e := range sb.Employees() {
			if e.Email != "" {
				count[strings.ToLower(strings.TrimSpace(e.Email))]++
			}
		}
		var uniq []sandbox.Employee
		dupEmail := ""
		for _, e := range sb.Employees() {
			k := strings.ToLower(strings.TrimSpace(e.Email))
			switch {
			case k == "":
			case count[k] == 1:
				uniq = append(uniq, e)
			case count[k] == 2:
				dupEmail = k
			}
		}
		if len(uniq) < 3 || dupEmail == "" {
			t.Fatalf("sandbox: %d unique emails, duplicate %q", len(uniq), dupEmail)
		}
		e1, e2, e3 := uniq[0], uniq[1], uniq[2]

		// One user invited with a shouting email, one created with a padded
		// mixed-case email, one sharing the duplicate email, one without a match.
		a.invite(owner, " "+strings.ToUpper(e1.Email)+" ", "Invited One", "member")
		u1 := a.userID(strings.ToLower(e1.Email))
		now := time.Now().UTC()
		mk := func(email, name string) int64 {
			u := &store.User{OrgID: orgID, Email: email, Name: name, Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateUser(t.Context(), u); err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		u2 := mk("  "+strings.ToUpper(e2.Email[:1])+e2.Email[1:]+" ", "Created Two")
		u3 := mk(dupEmail, "Dup User")
		u4 := mk("nobody@acme.test", "No Body")

		page := owner.get("/settings/hr/link")
		expectStatus(t, page, http.StatusOK)
		if page.testid("tab-link-users").Length() != 1 {
			t.Fatal("no Link users tab")
		}
		matched := map[string]string{}
		page.find(`[data-testid="link-matches"] [data-testid="link-match"]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-user-id")
			v, _ := s.Find(`[data-testid="link-check"][checked]`).Attr("value")
			matched[id] = v
		})
		if len(matched) != 2 || matched[fmt.Sprint(u1)] != fmt.Sprintf("%d:%d", u1, e1.ID) || matched[fmt.Sprint(u2)] != fmt.Sprintf("%d:%d", u2, e2.ID) {
			t.Fatalf("matches %v", matched)
		}
		if got := page.find(`[data-testid="link-match"][data-user-id="` + fmt.Sprint(u2) + `"] [data-testid="preview-name"]`).Text(); !strings.Contains(got, e2.FirstName+" "+e2.LastName) {
			t.Errorf("preview name %q", got)
		}
		amb := page.find(`[data-testid="link-ambiguous-row"][data-user-id="` + fmt.Sprint(u3) + `"] [data-testid="pick-select"] option`)
		if amb.Length() != 3 {
			t.Errorf("ambiguous options %d: %s", amb.Length(), amb.Text())
		}
		noMatch := []string{}
		page.find(`[data-testid="link-nomatch-row"]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-user-id")
			noMatch = append(noMatch, id)
		})
		if !slices.Contains(noMatch, fmt.Sprint(u4)) {
			t.Errorf("no-match rows %v", noMatch)
		}

		// The search fragment offers unlinked employees by name.
		sr := owner.do(http.MethodGet, "/settings/hr/link/search?user="+fmt.Sprint(u4)+"&q="+url.QueryEscape(strings.ToUpper(e3.LastName)), nil, map[string]string{"HX-Request": "true"})
		expectStatus(t, sr, http.StatusOK)
		if !strings.Contains(sr.body, fmt.Sprintf(`value="%d"`, e3.ID)) || strings.Contains(sr.body, "<html") {
			t.Fatalf("search fragment: %.400s", sr.body)
		}

		// Save: both matches, and the hand-picked employee for the no-match user.
		r := owner.post("/settings/hr/link", "/settings/hr/link", url.Values{
			"link":                     {matched[fmt.Sprint(u1)], matched[fmt.Sprint(u2)]},
			fmt.Sprintf("pick_%d", u3): {""},
			fmt.Sprintf("pick_%d", u4): {fmt.Sprint(e3.ID)},
		})
		expectStatus(t, r, http.StatusSeeOther)
		if f := owner.get(r.header.Get("Location")).testid("flash").Text(); !strings.Contains(f, "3 users linked.") {
			t.Errorf("flash %q", f)
		}
		for id, pid := range map[int64]int{u1: e1.ID, u2: e2.ID, u4: e3.ID} {
			u, err := st.User(t.Context(), orgID, id)
			if err != nil || u.PersonioID == nil || *u.PersonioID != int64(pid) {
				t.Errorf("user %d: %+v %v, want linked to %d", id, u, err, pid)
			}
		}
		if u, _ := st.User(t.Context(), orgID, u2); u.Name != e2.FirstName+" "+e2.LastName || u.JobTitle != e2.Position {
			t.Errorf("u2 not updated: %q %q", u.Name, u.JobTitle)
		}
		if u, _ := st.User(t.Context(), orgID, u3); u.PersonioID != nil {
			t.Errorf("ambiguous user linked without a choice")
		}

		// The HR employees page shows them as linked.
		emps := owner.get("/settings/hr/employees?linked=yes")
		expectStatus(t, emps, http.StatusOK)
		if n := emps.testid("linked-user").Length(); n != 3 {
			t.Errorf("%d linked employees shown: %s", n, emps.testid("linked-user").Text())
		}

		// Linking an already linked employee again: 422, nothing changed.
		r = owner.post("/settings/hr/link", "/settings/hr/link", url.Values{fmt.Sprintf("pick_%d", u3): {fmt.Sprint(e1.ID)}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("form-error").Text(), "already linked") {
			t.Errorf("error %q", r.testid("form-error").Text())
		}
		if u, _ := st.User(t.Context(), orgID, u3); u.PersonioID != nil {
			t.Errorf("u3 linked after an invalid save")
		}

		// Members and managers may not.
		m := a.acceptAs(a.invite(owner, "mia@acme.test", "Mia", "manager"), "Mia")
		for _, p := range []string{"/settings/hr/link", "/settings/hr/link/search?q=a"} {
			if r := m.get(p); r.status != http.StatusForbidden {
				t.Errorf("manager GET %s: %d", p, r.status)
			}
		}
	})
}
