package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// chartFixture is an organisation with a deep reporting line and every kind
// of anomaly:
//
//	Olga Owner ─ Mona Manager ─ Mel Member ─ Dora Deep
//	           └ Nick Other
//	Solo Sam (a second root), Cy One ⇄ Cy Two (a loop),
//	Otto Orphan → Gone Gary (deactivated), Lea Lost → a user of another organisation.
type chartFixture struct {
	owner, mona, mel, nick, dora, other *client
	ids                                 map[string]int64
	orgID                               int64
}

func addUser(t *testing.T, st *store.Store, orgID int64, name, email, status string, manager int64) int64 {
	t.Helper()
	u := &store.User{OrgID: orgID, Name: name, Email: email, Role: store.RoleMember, Status: status, JobTitle: "Engineer"}
	if manager != 0 {
		u.ManagerID = &manager
	}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func setManager(t *testing.T, st *store.Store, orgID, id, manager int64, extra map[string]any) {
	t.Helper()
	f := map[string]any{"manager_id": manager}
	for k, v := range extra {
		f[k] = v
	}
	if err := st.UpdateUserFields(context.Background(), orgID, id, f); err != nil {
		t.Fatal(err)
	}
}

func newChartFixture(t *testing.T, a *app) *chartFixture {
	t.Helper()
	f := &chartFixture{ids: map[string]int64{}}
	f.owner = a.setupOrg("Acme", "olga@acme.test")
	f.ids["olga"] = a.userID("olga@acme.test")
	us, _ := a.store.UsersByEmailAllOrgs(context.Background(), "olga@acme.test")
	f.orgID = us[0].OrgID
	for _, p := range []struct{ key, email, name, role string }{
		{"mona", "mona@acme.test", "Mona Manager", "manager"},
		{"mel", "mel@acme.test", "Mel Member", "member"},
		{"nick", "nick@acme.test", "Nick Other", "member"},
		{"dora", "dora@acme.test", "Dora Deep", "member"},
	} {
		c := a.acceptAs(a.invite(f.owner, p.email, p.name, p.role), p.name)
		f.ids[p.key] = a.userID(p.email)
		switch p.key {
		case "mona":
			f.mona = c
		case "mel":
			f.mel = c
		case "nick":
			f.nick = c
		case "dora":
			f.dora = c
		}
	}
	st, org := a.store, f.orgID
	setManager(t, st, org, f.ids["mona"], f.ids["olga"], map[string]any{"job_title": "Head of Engineering"})
	setManager(t, st, org, f.ids["nick"], f.ids["olga"], map[string]any{"job_title": "Sales Lead"})
	setManager(t, st, org, f.ids["mel"], f.ids["mona"], map[string]any{"job_title": "Team Lead"})
	setManager(t, st, org, f.ids["dora"], f.ids["mel"], map[string]any{"job_title": "Platform Engineer", "personio_id": int64(4242),
		"manager_source": "personio", "hire_date": "2021-03-01", "cost_center": "CC-7", "last_working_day": "2027-06-30"})
	f.ids["solo"] = addUser(t, st, org, "Solo Sam", "sam@acme.test", store.StatusActive, 0)
	f.ids["cy1"] = addUser(t, st, org, "Cy One", "cy1@acme.test", store.StatusActive, 0)
	f.ids["cy2"] = addUser(t, st, org, "Cy Two", "cy2@acme.test", store.StatusActive, f.ids["cy1"])
	setManager(t, st, org, f.ids["cy1"], f.ids["cy2"], nil)
	f.ids["gary"] = addUser(t, st, org, "Gone Gary", "gary@acme.test", store.StatusDeactivated, 0)
	f.ids["otto"] = addUser(t, st, org, "Otto Orphan", "otto@acme.test", store.StatusActive, f.ids["gary"])
	f.other, _ = a.createOrg("Globex", "boss@globex.test")
	f.ids["boss"] = a.userID("boss@globex.test")
	f.ids["lea"] = addUser(t, st, org, "Lea Lost", "lea@acme.test", store.StatusActive, f.ids["boss"])
	return f
}

func cardNames(sel *goquery.Selection) []string {
	var out []string
	sel.Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-name", ""))
	})
	return out
}

// firstLevel lists the names on the chart's first level.
func firstLevel(r *resp) []string {
	return cardNames(r.find(`[data-testid="org-tree"] > [data-testid="org-node"] > .org-branch > summary [data-testid="org-card"], ` +
		`[data-testid="org-tree"] > [data-testid="org-node"] > .is-leaf [data-testid="org-card"]`))
}

func TestOrgChartFirstLevelAndAnomalies(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		f := newChartFixture(t, a)
		r := f.mel.get("/org")
		expectStatus(t, r, http.StatusOK)
		got := firstLevel(r)
		want := []string{"Cy One", "Lea Lost", "Olga Owner", "Otto Orphan", "Solo Sam"}
		if !slices.Equal(got, want) {
			t.Fatalf("first level %v, want %v", got, want)
		}
		// Only the first level is rendered: reports load lazily.
		for _, deep := range []string{"Mona Manager", "Mel Member", "Dora Deep", "Cy Two"} {
			if r.find(`[data-testid="org-card"][data-name="`+deep+`"]`).Length() != 0 {
				t.Fatalf("%s rendered on the first level", deep)
			}
		}
		olga := r.find(`[data-testid="org-node"][data-id="` + itoa(f.ids["olga"]) + `"]`)
		if txt := olga.Find(`[data-testid="org-card-reports"]`).First().Text(); txt != "2 reports" {
			t.Fatalf("Olga's report count %q", txt)
		}
		if hx, _ := olga.Find("details").Attr("hx-get"); hx != "/org/"+itoa(f.ids["olga"])+"/reports" {
			t.Fatalf("lazy load URL %q", hx)
		}
		// Anomalies panel: every kind, with links.
		kinds := map[string]string{}
		r.testid("org-anomaly").Each(func(_ int, s *goquery.Selection) { kinds[s.AttrOr("data-kind", "")] = s.Text() })
		for k, name := range map[string]string{"cycle": "Cy Two", "deactivated_manager": "Gone Gary", "missing_manager": "Lea Lost", "several_roots": "Solo Sam"} {
			if !strings.Contains(kinds[k], name) {
				t.Fatalf("anomaly %s: %q does not mention %s (all: %v)", k, kinds[k], name, kinds)
			}
		}
		if r.find(`[data-testid="org-anomaly"] a[href="/org?focus=`+itoa(f.ids["otto"])+`#person-`+itoa(f.ids["otto"])+`"]`).Length() != 1 {
			t.Fatal("no link to the person with a deactivated manager")
		}
		// Cards of anomalous roots say why they sit at the top.
		if txt := r.find(`[data-testid="org-card"][data-name="Otto Orphan"] [data-testid="org-card-issue"]`).Text(); !strings.Contains(txt, "Gone Gary is deactivated") {
			t.Fatalf("Otto's card issue %q", txt)
		}
		// The other organisation's user is not named, the deactivated one not charted.
		if strings.Contains(r.body, "Other Owner") || r.find(`[data-testid="org-card"][data-name="Gone Gary"]`).Length() != 0 {
			t.Fatal("chart shows another org's or a deactivated user")
		}
		if !strings.Contains(r.testid("org-total").Text(), "10 people") {
			t.Fatalf("total %q", r.testid("org-total").Text())
		}
	})
}

func TestOrgChartLazyChildrenAndSearchPath(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		f := newChartFixture(t, a)
		olga := itoa(f.ids["olga"])
		// htmx: the children fragment only.
		r := f.nick.do(http.MethodGet, "/org/"+olga+"/reports", nil, map[string]string{"HX-Request": "true"})
		expectStatus(t, r, http.StatusOK)
		if strings.Contains(r.body, "<html") {
			t.Fatal("fragment request got a full page")
		}
		if got := cardNames(r.testid("org-card")); !slices.Equal(got, []string{"Mona Manager", "Nick Other"}) {
			t.Fatalf("children of Olga %v", got)
		}
		// Without JavaScript: a page listing the reports.
		r = f.nick.get("/org/" + itoa(f.ids["mona"]) + "/reports")
		expectStatus(t, r, http.StatusOK)
		if !strings.Contains(r.testid("org-reports-title").Text(), "Mona Manager") || r.find(`[data-testid="org-card"][data-name="Mel Member"]`).Length() != 1 {
			t.Fatalf("reports page: %q", r.testid("org-reports-title").Text())
		}
		// A deactivated person has no place in the chart.
		expectStatus(t, f.nick.get("/org/"+itoa(f.ids["gary"])+"/reports"), http.StatusNotFound)

		// Search by name, email and title.
		for _, q := range []string{"dora", "DORA@acme", "platform eng"} {
			r = f.nick.do(http.MethodGet, "/org/search?q="+strings.ReplaceAll(q, " ", "+"), nil, map[string]string{"HX-Request": "true"})
			expectStatus(t, r, http.StatusOK)
			res := r.testid("org-search-result")
			if res.Length() != 1 || res.AttrOr("data-id", "") != itoa(f.ids["dora"]) {
				t.Fatalf("search %q: %d results: %s", q, res.Length(), r.body)
			}
			if !strings.Contains(res.Text(), "Olga Owner › Mona Manager › Mel Member") {
				t.Fatalf("search result chain: %q", res.Text())
			}
		}
		r = f.nick.do(http.MethodGet, "/org/search?q=nobody-like-this", nil, map[string]string{"HX-Request": "true"})
		if r.testid("org-search-empty").Length() != 1 {
			t.Fatal("no empty-search message")
		}
		// Without JavaScript the search is a page with the results above the chart.
		r = f.nick.get("/org/search?q=dora")
		if r.testid("org-search-result").Length() != 1 || r.testid("org-tree").Length() != 1 {
			t.Fatal("search page without results or chart")
		}
		open, _ := r.testid("org-search-open").Attr("href")

		// Choosing the person opens the chart along the path, highlighted.
		r = f.nick.get(strings.Split(open, "#")[0])
		expectStatus(t, r, http.StatusOK)
		var path []string
		r.testid("org-path-item").Each(func(_ int, s *goquery.Selection) { path = append(path, s.Text()) })
		if !slices.Equal(path, []string{"Olga Owner", "Mona Manager", "Mel Member", "Dora Deep"}) {
			t.Fatalf("path %v", path)
		}
		hl := r.find(`[data-testid="org-card"][data-highlighted]`)
		if hl.Length() != 1 || hl.AttrOr("data-name", "") != "Dora Deep" {
			t.Fatalf("highlighted %v", cardNames(hl))
		}
		for _, k := range []string{"olga", "mona", "mel"} {
			d := r.find(`[data-testid="org-node"][data-id="` + itoa(f.ids[k]) + `"] > details`)
			if _, ok := d.Attr("open"); !ok {
				t.Fatalf("%s not expanded on the path", k)
			}
		}
		// Siblings along the path are there, collapsed.
		if d := r.find(`[data-testid="org-node"][data-id="` + itoa(f.ids["nick"]) + `"]`); d.Length() != 1 {
			t.Fatal("Nick (Olga's other report) missing when the path is open")
		}
		expectStatus(t, f.nick.get("/org?focus="+itoa(f.ids["gary"])), http.StatusNotFound)
		expectStatus(t, f.nick.get("/org?focus=abc"), http.StatusBadRequest)
	})
}

func TestProfileVisibility(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		f := newChartFixture(t, a)
		dora := "/people/" + itoa(f.ids["dora"])
		full := func(c *client, who string) *resp {
			t.Helper()
			r := c.get(dora)
			expectStatus(t, r, http.StatusOK)
			if r.testid("field-cost_center").Length() != 1 || r.testid("profile-limited").Length() != 0 {
				t.Fatalf("%s does not see Dora's full profile", who)
			}
			return r
		}
		// The user, her direct manager, the manager above, the owner.
		r := full(f.dora, "Dora")
		full(f.mel, "her manager")
		full(f.mona, "her manager's manager")
		full(f.owner, "the owner")
		if v := r.find(`[data-testid="field-cost_center"] [data-testid="field-value"]`).Text(); v != "CC-7" {
			t.Fatalf("cost center %q", v)
		}
		// Sources: linked fields from Personio, email from Roster.
		src := func(r *resp, key string) string {
			return r.find(`[data-testid="field-` + key + `"] [data-testid="field-source"]`).Text()
		}
		if src(r, "title") != "from Personio" || src(r, "hire_date") != "from Personio" || src(r, "email") != "Roster" {
			t.Fatalf("sources: title %q, hire date %q, email %q", src(r, "title"), src(r, "hire_date"), src(r, "email"))
		}
		if v := r.find(`[data-testid="field-hire_date"] [data-testid="field-value"]`).Text(); v != "1 Mar 2021" {
			t.Fatalf("hire date %q", v)
		}
		if r.find(`[data-testid="profile-manager-link"][href="/people/`+itoa(f.ids["mel"])+`"]`).Length() != 1 ||
			!strings.Contains(r.testid("profile-manager").Text(), "from Personio") {
			t.Fatalf("manager line %q", r.testid("profile-manager").Text())
		}
		// Admins reach the field history (lineage) from the profile.
		if href, _ := full(f.owner, "the owner").testid("profile-lineage").Attr("href"); href != "/users/"+itoa(f.ids["dora"])+"/lineage" {
			t.Fatalf("lineage link %q", href)
		} else if l := f.owner.get(href); l.status != http.StatusOK || l.testid("lineage").Length() != 1 {
			t.Fatalf("lineage page: %d", l.status)
		}
		if r.testid("profile-lineage").Length() != 0 {
			t.Fatal("Dora sees the admin's lineage link on her own profile")
		}
		// A colleague sees the card fields only.
		r = f.nick.get(dora)
		expectStatus(t, r, http.StatusOK)
		if r.testid("profile-limited").Length() != 1 || r.testid("field-cost_center").Length() != 0 ||
			r.testid("field-last_working_day").Length() != 0 || r.testid("profile-status").Length() != 0 || strings.Contains(r.body, "CC-7") {
			t.Fatal("a colleague sees Dora's full profile")
		}
		if src(r, "title") != "from Personio" {
			t.Fatalf("a colleague sees the title's source as %q", src(r, "title"))
		}
		if r.testid("profile-title").Text() != "Platform Engineer" || r.testid("profile-email").Text() != "dora@acme.test" ||
			r.find(`[data-testid="field-hire_date"]`).Length() != 1 || r.testid("profile-manager-link").Text() != "Mel Member" {
			t.Fatal("the limited profile lacks the card fields")
		}
		// A report does not see her manager's full profile; a profile lists reports.
		r = f.dora.get("/people/" + itoa(f.ids["mel"]))
		if r.testid("profile-limited").Length() != 1 {
			t.Fatal("Dora sees her manager's full profile")
		}
		if r.find(`[data-testid="profile-report"][href="`+dora+`"]`).Length() != 1 {
			t.Fatal("Mel's profile does not list Dora")
		}
		// Not linked: everything is Roster's.
		r = f.owner.get("/people/" + itoa(f.ids["nick"]))
		if src(r, "title") != "Roster" {
			t.Fatalf("unlinked title source %q", src(r, "title"))
		}
		// A manager in another organisation is "missing": no name, no link.
		r = f.nick.get("/people/" + itoa(f.ids["lea"]))
		if !strings.Contains(r.testid("profile-manager").Text(), "no longer exists") || r.testid("profile-manager-link").Length() != 0 ||
			strings.Contains(r.body, "Other Owner") {
			t.Fatalf("Lea's manager line %q", r.testid("profile-manager").Text())
		}
		// Deactivated people: admins only; another organisation: 404.
		expectStatus(t, f.owner.get("/people/"+itoa(f.ids["gary"])), http.StatusOK)
		expectStatus(t, f.nick.get("/people/"+itoa(f.ids["gary"])), http.StatusNotFound)
		expectStatus(t, f.other.get(dora), http.StatusNotFound)
		expectStatus(t, f.other.get(dora+"/picture"), http.StatusNotFound)
		expectStatus(t, f.other.get("/org/"+itoa(f.ids["dora"])+"/reports"), http.StatusNotFound)
		expectStatus(t, f.owner.get("/people/"+itoa(f.ids["boss"])), http.StatusNotFound)
	})
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestProfilePictureCache(t *testing.T) {
	pic := testPNG(t)
	each(t, func(t *testing.T, a *app) {
		var hits, htmlHits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/nick.png":
				hits.Add(1)
				w.Header().Set("Content-Type", "image/png")
				_, _ = w.Write(pic)
			case "/page":
				htmlHits.Add(1)
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html>not a picture</html>"))
			default:
				http.NotFound(w, r)
			}
		}))
		defer srv.Close()
		f := newChartFixture(t, a)
		ctx := context.Background()
		nick, solo := f.ids["nick"], f.ids["solo"]
		if err := a.store.UpdateUserFields(ctx, f.orgID, nick, map[string]any{"picture_url": srv.URL + "/nick.png"}); err != nil {
			t.Fatal(err)
		}
		if err := a.store.UpdateUserFields(ctx, f.orgID, solo, map[string]any{"picture_url": srv.URL + "/page"}); err != nil {
			t.Fatal(err)
		}
		path := "/people/" + itoa(nick) + "/picture"
		r := f.mel.get(path)
		expectStatus(t, r, http.StatusOK)
		if r.header.Get("Content-Type") != "image/png" || r.body != string(pic) {
			t.Fatalf("picture: %s, %d bytes", r.header.Get("Content-Type"), len(r.body))
		}
		etag := r.header.Get("ETag")
		if etag == "" || !strings.Contains(r.header.Get("Cache-Control"), "max-age") {
			t.Fatalf("caching headers: ETag %q, Cache-Control %q", etag, r.header.Get("Cache-Control"))
		}
		// Second time: from the cache, not fetched again.
		r = f.owner.get(path)
		expectStatus(t, r, http.StatusOK)
		if r.body != string(pic) || hits.Load() != 1 {
			t.Fatalf("picture fetched %d times", hits.Load())
		}
		r = f.mel.do(http.MethodGet, path, nil, map[string]string{"If-None-Match": etag})
		expectStatus(t, r, http.StatusNotModified)
		if p, err := a.store.UserPicture(ctx, f.orgID, nick); err != nil || !bytes.Equal(p.Data, pic) {
			t.Fatalf("cached picture: %v", err)
		}
		// Not an image: 404, remembered (not fetched on every view).
		expectStatus(t, f.mel.get("/people/"+itoa(solo)+"/picture"), http.StatusNotFound)
		expectStatus(t, f.mel.get("/people/"+itoa(solo)+"/picture"), http.StatusNotFound)
		if htmlHits.Load() != 1 {
			t.Fatalf("non-image fetched %d times", htmlHits.Load())
		}
		// No picture URL: 404, and the chart shows initials.
		expectStatus(t, f.mel.get("/people/"+itoa(f.ids["olga"])+"/picture"), http.StatusNotFound)
		chart := f.mel.get("/org")
		olga := chart.find(`[data-testid="org-card"][data-name="Olga Owner"]`)
		if olga.Find(`[data-testid="avatar-img"]`).Length() != 0 || olga.Find(`[data-testid="avatar-initials"]`).Text() != "OO" {
			t.Fatalf("Olga's avatar: %q", olga.Find(`[data-testid="avatar"]`).Text())
		}
		kids := f.mel.do(http.MethodGet, "/org/"+itoa(f.ids["olga"])+"/reports", nil, map[string]string{"HX-Request": "true"})
		img := kids.find(`[data-testid="org-card"][data-name="Nick Other"] [data-testid="avatar-img"]`)
		if src, _ := img.Attr("src"); src != path {
			t.Fatalf("Nick's card picture %q", src)
		}
	})
}

// TestOrgChartQueriesDoNotGrow checks that the chart's requests run the
// same number of queries for 20 and for 200 people.
func TestOrgChartQueriesDoNotGrow(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		olga := a.userID("olga@acme.test")
		us, _ := a.store.UsersByEmailAllOrgs(context.Background(), "olga@acme.test")
		org := us[0].OrgID
		var n atomic.Int64
		count := func(*gorm.DB) { n.Add(1) }
		db := a.store.DB()
		for _, err := range []error{
			db.Callback().Query().After("gorm:query").Register("test:count_query", count),
			db.Callback().Row().After("gorm:row").Register("test:count_row", count),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		add := func(k int) {
			for i := range k {
				mgr := addUser(t, a.store, org, "Lead "+itoa(int64(i)), "lead"+itoa(int64(i))+"-"+itoa(int64(k))+"@acme.test", store.StatusActive, olga)
				for j := range 8 {
					addUser(t, a.store, org, "Report "+itoa(int64(j)), "r"+itoa(int64(i))+"-"+itoa(int64(j))+"-"+itoa(int64(k))+"@acme.test", store.StatusActive, mgr)
				}
			}
		}
		measure := func() []int64 {
			var out []int64
			for _, p := range []string{"/org", "/org/" + itoa(olga) + "/reports", "/org/search?q=report", "/people/" + itoa(olga)} {
				n.Store(0)
				expectStatus(t, owner.get(p), http.StatusOK)
				out = append(out, n.Load())
			}
			return out
		}
		add(2)
		small := measure()
		add(20)
		big := measure()
		if small[0] == 0 {
			t.Fatal("the query counter counted nothing")
		}
		t.Logf("queries per request (/org, reports, search, profile): %v", big)
		if !slices.Equal(small, big) {
			t.Fatalf("queries per request grew with the number of people: %v → %v", small, big)
		}
	})
}

// TestOrgChartManyRoots: an organisation without managers has everyone at
// the top; the first level is shown a page at a time.
func TestOrgChartManyRoots(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		us, _ := a.store.UsersByEmailAllOrgs(context.Background(), "olga@acme.test")
		org := us[0].OrgID
		var last int64
		for i := range 120 {
			last = addUser(t, a.store, org, "Person "+strings.Repeat("z", i/26)+string(rune('a'+i%26)), "p"+itoa(int64(i))+"@acme.test", store.StatusActive, 0)
		}
		r := owner.get("/org")
		if n := len(firstLevel(r)); n != 100 {
			t.Fatalf("first level shows %d people, want 100", n)
		}
		more := r.testid("org-more-roots")
		if href, _ := more.Attr("href"); href != "/org?roots=200" || !strings.Contains(more.Text(), "21 not shown") {
			t.Fatalf("more link %q %q", href, more.Text())
		}
		if n := len(firstLevel(owner.get("/org?roots=200"))); n != 121 {
			t.Fatalf("roots=200 shows %d", n)
		}
		// Opening the chart on someone beyond the first page still shows them.
		r = owner.get("/org?focus=" + itoa(last))
		if hl := r.find(`[data-testid="org-card"][data-highlighted]`); hl.Length() != 1 {
			t.Fatal("focused person beyond the first page not shown")
		}
		if s := r.find(`[data-testid="org-anomaly"][data-kind="several_roots"]`).Text(); !strings.Contains(s, "and 71 others") {
			t.Fatalf("several roots anomaly: %q", s)
		}
		expectStatus(t, owner.get("/org?roots=abc"), http.StatusBadRequest)
	})
}

// TestProfilePictureFromPersonio: a linked user's picture URL is an
// authenticated Personio API URL; Roster fetches it with the connection's
// client, once, and caches it.
func TestProfilePictureFromPersonio(t *testing.T) {
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 12, Seed: 3})
	var with, without int
	for _, e := range sb.Employees() {
		if e.HasProfilePicture && with == 0 {
			with = e.ID
		}
		if !e.HasProfilePicture && without == 0 {
			without = e.ID
		}
	}
	if with == 0 || without == 0 {
		t.Fatalf("sandbox lacks employees with and without a picture (%d, %d)", with, without)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		sb.ResetStats()
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		connectSandbox(t, owner, sbURL)
		org := a.orgID(t)
		link := func(name string, emp int) int64 {
			id := addUser(t, st, org, name, strings.ToLower(strings.Fields(name)[0])+"@acme.test", store.StatusActive, 0)
			if err := st.UpdateUserFields(context.Background(), org, id, map[string]any{"personio_id": int64(emp),
				"picture_url": sbURL + "/v1/company/employees/" + itoa(int64(emp)) + "/profile-picture"}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		pia, noah := link("Pia Picture", with), link("Noah None", without)
		pictureCalls := func() int {
			n := 0
			for route, s := range sb.Stats().Endpoints {
				if strings.Contains(route, "profile-picture") {
					n += s.Total
				}
			}
			return n
		}
		for range 2 {
			r := owner.get("/people/" + itoa(pia) + "/picture")
			expectStatus(t, r, http.StatusOK)
			if r.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(r.body, "\x89PNG") {
				t.Fatalf("picture from Personio: %s", r.header.Get("Content-Type"))
			}
		}
		if n := pictureCalls(); n != 1 {
			t.Fatalf("Personio asked %d times for the picture", n)
		}
		expectStatus(t, owner.get("/people/"+itoa(noah)+"/picture"), http.StatusNotFound)
		expectStatus(t, owner.get("/people/"+itoa(noah)+"/picture"), http.StatusNotFound)
		if n := pictureCalls(); n != 2 {
			t.Fatalf("Personio asked %d times in all, want 2 (the missing picture is remembered)", n)
		}
	})
}
