package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	bt "github.com/rosterhq/roster/internal/browsertest"
	"github.com/rosterhq/roster/internal/store"
)

// portrait draws a round, coloured "photo" for the picture server.
func portrait(c color.RGBA) []byte {
	const n = 96
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			dx, dy := x-n/2, y-n/2
			switch {
			case dx*dx+(dy+12)*(dy+12) < 18*18: // head
				img.Set(x, y, color.RGBA{250, 224, 196, 255})
			case dy > 14 && dx*dx+(dy-48)*(dy-48) < 40*40: // shoulders
				img.Set(x, y, color.RGBA{c.R / 2, c.G / 2, c.B / 2, 255})
			default:
				img.Set(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// seedOrgChart adds a company of ~170 people under the owner: 5 heads,
// 4 leads each, 7 people per lead, and a line 6 levels deep ending in Zara
// Deepest (who has 3 reports); plus a reporting loop and a person whose
// manager is deactivated. Some people have a picture URL on pictures.
func seedOrgChart(t *testing.T, st *store.Store, orgID, ownerID int64, pictures string) {
	t.Helper()
	ctx := context.Background()
	n := 0
	add := func(name, title, status string, manager int64, withPicture bool) int64 {
		t.Helper()
		n++
		u := &store.User{OrgID: orgID, Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + fmt.Sprintf("%d@acme.test", n),
			Role: store.RoleMember, Status: status, JobTitle: title, HireDate: fmt.Sprintf("20%02d-%02d-01", 15+n%10, 1+n%12)}
		if manager != 0 {
			u.ManagerID = &manager
		}
		if withPicture {
			u.PictureURL = fmt.Sprintf("%s/p/%d.png", pictures, n%6)
		}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	if err := st.UpdateUserFields(ctx, orgID, ownerID, map[string]any{"job_title": "Chief Executive Officer", "hire_date": "2015-04-01", "picture_url": pictures + "/p/0.png"}); err != nil {
		t.Fatal(err)
	}
	first := []string{"Ada", "Ben", "Cleo", "Dario", "Elif", "Finn", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Luca", "Mara", "Nils", "Olive", "Paul"}
	last := []string{"Schmidt", "Keller", "Novak", "Rossi", "Yilmaz", "Berg", "Lund", "Moreau", "Silva", "Weber"}
	depts := []string{"Engineering", "Sales", "Operations", "Finance", "People"}
	var lead0 int64
	for d, dept := range depts {
		head := add(first[d]+" "+last[d], "VP "+dept, store.StatusActive, ownerID, true)
		for l := range 4 {
			lead := add(first[(d*4+l+5)%16]+" "+last[(d+l+3)%10], dept+" Lead", store.StatusActive, head, l%2 == 0)
			if d == 0 && l == 0 {
				lead0 = lead
			}
			for p := range 7 {
				add(first[(d*7+l*3+p)%16]+" "+last[(d*3+l+p)%10], dept+" Specialist", store.StatusActive, lead, p%3 == 0)
			}
		}
	}
	mgr := lead0
	for i, title := range []string{"Staff Engineer", "Senior Engineer", "Engineer", "Junior Engineer"} {
		mgr = add(fmt.Sprintf("Deep Level%d", i+1), title, store.StatusActive, mgr, i%2 == 1)
	}
	zara := add("Zara Deepest", "Platform Engineer", store.StatusActive, mgr, true)
	// Zara is linked to Personio: her profile marks the synced fields.
	if err := st.UpdateUserFields(ctx, orgID, zara, map[string]any{"personio_id": int64(9001), "manager_source": store.SourcePersonio,
		"cost_center": "CC-410 Platform", "last_working_day": "2027-03-31"}); err != nil {
		t.Fatal(err)
	}
	team := &store.Team{OrgID: orgID, Name: "Platform"}
	if err := st.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	if err := st.AddTeamMember(ctx, &store.TeamMember{TeamID: team.ID, UserID: zara, OrgID: orgID, Source: "personio"}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		add(fmt.Sprintf("Zara Report%d", i+1), "Working Student", store.StatusActive, zara, i == 0)
	}
	loopA := add("Loop Anna", "Analyst", store.StatusActive, 0, false)
	loopB := add("Loop Bert", "Analyst", store.StatusActive, loopA, false)
	if err := st.UpdateUserFields(ctx, orgID, loopA, map[string]any{"manager_id": loopB}); err != nil {
		t.Fatal(err)
	}
	gone := add("Gone Gabi", "Former VP", store.StatusDeactivated, ownerID, false)
	otto := add("Otto Orphaned", "Consultant", store.StatusActive, gone, false)
	// A picture that cannot be fetched: the card keeps the initials.
	if err := st.UpdateUserFields(ctx, orgID, otto, map[string]any{"picture_url": pictures + "/p/missing.png"}); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserOrgChart opens the org chart of a seeded company, searches a
// person six levels down, opens the chart on them, expands and collapses
// their reports (loaded through htmx), and opens their profile.
func TestBrowserOrgChart(t *testing.T) {
	var hits atomic.Int32
	colors := []color.RGBA{{72, 95, 199, 255}, {47, 158, 143, 255}, {194, 86, 58, 255}, {122, 79, 194, 255}, {59, 130, 181, 255}, {184, 69, 122, 255}}
	pics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/p/%d.png", &i); err != nil || i < 0 || i >= len(colors) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(portrait(colors[i]))
	}))
	defer pics.Close()

	dir := t.TempDir()
	base := startRoster(t, map[string]string{"ROSTER_DATA_DIR": dir})
	b := newSession(t, base, "org")
	ctx, id, must := b.ctx, bt.TestID, b.must
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	eval := b.eval
	b.setup("Acme Org GmbH", "Olga Owner", "olga@acme.test", "browser-pass-123")

	st, err := store.Open(store.Options{SQLitePath: filepath.Join(dir, "roster.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	owners, err := st.UsersByEmailAllOrgs(context.Background(), "olga@acme.test")
	if err != nil || len(owners) != 1 {
		t.Fatalf("owner: %v", err)
	}
	seedOrgChart(t, st, owners[0].OrgID, owners[0].ID, pics.URL)

	must("org chart", chromedp.Click(css(id("nav-org"))), chromedp.WaitVisible(css(id("org-tree"))),
		chromedp.WaitVisible(css(id("org-anomalies"))))
	if n := eval("first level", `String(document.querySelectorAll('[data-testid=org-tree] > [data-testid=org-node]').length)`); n != "3" {
		t.Fatalf("first level has %s people, want 3 (Olga, the loop, the orphan)", n)
	}
	if n := eval("rendered cards", `String(document.querySelectorAll('[data-testid=org-card]').length)`); n != "3" {
		t.Fatalf("%s cards rendered at first, want only the first level", n)
	}
	must("expand Olga", chromedp.Click(css(`[data-testid=org-card][data-name="Olga Owner"] [data-testid=org-card-reports]`)),
		chromedp.WaitVisible(css(`[data-testid=org-card][data-name="Ada Schmidt"]`)))
	must("picture loaded", chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector('[data-testid=org-card][data-name="Olga Owner"] img'); return i && i.complete && i.naturalWidth > 0 })()`))
	must("broken picture", chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector('[data-testid=org-card][data-name="Otto Orphaned"] img'); return i && i.complete && i.naturalWidth === 0 })()`))
	if c := eval("fallback", `getComputedStyle(document.querySelector('[data-testid=org-card][data-name="Otto Orphaned"] img'), '::after').content`); c != `"OO"` {
		t.Fatalf("a broken picture shows %s over it, want the initials", c)
	}
	must("open the anomalies", chromedp.Click(css(`[data-testid=org-anomalies] > summary`)), chromedp.WaitVisible(css(id("org-anomaly"))))
	bt.Screenshot(ctx, t, "30-org-chart")

	must("search", fill(id("org-search-input"), "zara dee"), chromedp.WaitVisible(css(`[data-testid=org-search-result]`)))
	if s := eval("result", `document.querySelector('[data-testid=org-search-result]').textContent`); !strings.Contains(s, "Zara Deepest") || !strings.Contains(s, "Deep Level4") {
		t.Fatalf("search result %q", s)
	}
	bt.Screenshot(ctx, t, "31-org-search")
	must("open on Zara", chromedp.Click(css(`[data-testid=org-search-result] [data-testid=org-search-open]`)),
		chromedp.WaitVisible(css(`[data-testid=org-card][data-highlighted][data-name="Zara Deepest"]`)))
	if p := eval("path", `[...document.querySelectorAll('[data-testid=org-path-item]')].map(a => a.textContent).join(' > ')`); !strings.HasPrefix(p, "Olga Owner > Ada Schmidt > ") || !strings.HasSuffix(p, "Deep Level4 > Zara Deepest") {
		t.Fatalf("path %q", p)
	}
	bt.Screenshot(ctx, t, "32-org-path")

	zara := `[data-testid=org-card][data-name="Zara Deepest"]`
	must("expand Zara", chromedp.Click(css(zara+` [data-testid=org-card-reports]`)),
		chromedp.WaitVisible(css(`[data-testid=org-card][data-name="Zara Report1"]`)))
	if n := eval("reports", `String(document.querySelectorAll('[data-testid=org-card][data-name^="Zara Report"]').length)`); n != "3" {
		t.Fatalf("Zara's reports: %s", n)
	}
	bt.Screenshot(ctx, t, "33-org-expanded")
	// A closed <details> keeps its content laid out (content-visibility), so
	// ask the element itself whether it is shown.
	must("collapse Zara", chromedp.Click(css(zara+` [data-testid=org-card-reports]`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector('[data-testid=org-card][data-name="Zara Report1"]').checkVisibility()`))
	must("profile", chromedp.Click(css(zara+` [data-testid=org-card-name]`)), chromedp.WaitVisible(css(id("profile"))))
	if s := eval("profile manager", `document.querySelector('[data-testid=profile-manager]').textContent`); !strings.Contains(s, "Deep Level4") {
		t.Fatalf("profile manager %q", s)
	}
	if n := eval("chart gone", `String(document.querySelectorAll('[data-testid=org-tree]').length)`); n != "0" {
		t.Fatal("the profile opened inside the chart instead of replacing the page")
	}
	bt.Screenshot(ctx, t, "34-profile")
	// Without JavaScript, expanding goes to a page of the person's reports.
	must("reports page", chromedp.Navigate(base+"/org/"+eval("zara id", `location.pathname.split('/')[2]`)+"/reports"),
		chromedp.WaitVisible(css(id("org-reports-title"))))
	bt.Screenshot(ctx, t, "35-org-reports-page")
	if hits.Load() == 0 {
		t.Fatal("no picture was fetched")
	}
	fmt.Fprintf(testWriter{t}, "screenshots in %s\n", bt.Dir())
}
