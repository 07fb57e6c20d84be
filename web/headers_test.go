package web_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// sampleResponses fetches one response of every kind the app produces: a
// full page, an htmx fragment, a static file, a CSV download, JSON, a
// redirect, the 404, 403, 413 and 500 pages.
func sampleResponses(t *testing.T, a *app) map[string]*resp {
	t.Helper()
	out := map[string]*resp{}
	anon := a.client()
	out["setup page (anonymous)"] = anon.get("/setup")
	owner := a.setupOrg("Acme", "olga@acme.test")
	out["login page"] = a.client().get("/login")
	out["HTML page"] = owner.get("/users")
	out["htmx fragment"] = owner.do(http.MethodGet, "/notifications/count", nil, map[string]string{"HX-Request": "true"})
	out["static file"] = owner.get("/static/js/app.js")
	out["vendored static file"] = owner.get("/static/vendor/htmx.min.js")
	out["missing static file"] = owner.get("/static/nope.js")
	out["CSV export"] = owner.get("/users/export?format=csv")
	out["JSON export"] = owner.get("/users/export?format=json")
	out["health JSON"] = owner.get("/healthz")
	out["trailing-slash redirect"] = owner.get("/users/")
	out["404 page"] = owner.get("/nope")
	out["404 page (anonymous)"] = a.client().get("/nope")
	out["403 without CSRF token"] = owner.do(http.MethodPost, "/teams", nil, nil)
	out["413 body too large"] = owner.do(http.MethodPost, "/teams", map[string][]string{"name": {strings.Repeat("x", 2<<20)}}, nil)
	if err := a.store.DB().Exec("DROP TABLE notifications").Error; err != nil {
		t.Fatal(err)
	}
	out["500 page"] = owner.get("/notifications")
	want := map[string]int{"HTML page": 200, "htmx fragment": 200, "static file": 200, "CSV export": 200, "trailing-slash redirect": 301,
		"404 page": 404, "missing static file": 404, "403 without CSRF token": 403, "413 body too large": 413, "500 page": 500}
	for name, code := range want {
		if out[name].status != code {
			t.Fatalf("%s: status %d, want %d", name, out[name].status, code)
		}
	}
	if ct := out["CSV export"].header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("CSV export served as %q", ct)
	}
	if out["htmx fragment"].doc.Find("html").Length() != 0 && strings.Contains(out["htmx fragment"].body, "<html") {
		t.Fatal("the htmx sample is a full page")
	}
	return out
}

func TestSecurityHeaderOnEveryResponse(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		sample := sampleResponses(t, a)
		check := func(t *testing.T, header string, ok func(string) bool) {
			for name, r := range sample {
				if v := r.header.Get(header); !ok(v) {
					t.Errorf("%s (%d): %s = %q", name, r.status, header, v)
				}
			}
		}
		t.Run("Content-Security-Policy", func(t *testing.T) {
			check(t, "Content-Security-Policy", func(v string) bool {
				d := cspDirectives(v)
				return d["script-src"] == "'self'" && d["frame-ancestors"] == "'none'" && d["object-src"] == "'none'" &&
					d["default-src"] == "'self'" && d["base-uri"] != "" && !strings.Contains(v, "unsafe-inline") && !strings.Contains(v, "unsafe-eval")
			})
		})
		t.Run("X-Content-Type-Options", func(t *testing.T) {
			check(t, "X-Content-Type-Options", func(v string) bool { return v == "nosniff" })
		})
		t.Run("X-Frame-Options", func(t *testing.T) {
			check(t, "X-Frame-Options", func(v string) bool { return v == "DENY" })
		})
		t.Run("Referrer-Policy", func(t *testing.T) {
			check(t, "Referrer-Policy", func(v string) bool {
				return v == "same-origin" || v == "no-referrer" || v == "strict-origin-when-cross-origin" || v == "strict-origin"
			})
		})
	})
}

// cspDirectives splits a CSP into directive → value.
func cspDirectives(v string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(v, ";") {
		f := strings.Fields(part)
		if len(f) > 0 {
			out[f[0]] = strings.Join(f[1:], " ")
		}
	}
	return out
}

// TestPagesRunNoInlineCode checks the rendered pages and every template
// against the CSP: scripts only from files, no event-handler attributes,
// no inline styles, no javascript: links; htmx reads its configuration
// from the meta tag.
func TestPagesRunNoInlineCode(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		for name, r := range sampleResponses(t, a) {
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				continue
			}
			r.find("script").Each(func(_ int, s *goquery.Selection) {
				if src, _ := s.Attr("src"); src == "" || strings.TrimSpace(s.Text()) != "" {
					t.Errorf("%s: inline script %q", name, s.Text())
				}
			})
			r.find("*").Each(func(_ int, s *goquery.Selection) {
				for _, at := range s.Nodes[0].Attr {
					k := strings.ToLower(at.Key)
					if strings.HasPrefix(k, "on") || strings.HasPrefix(k, "hx-on") || k == "style" || strings.HasPrefix(strings.TrimSpace(strings.ToLower(at.Val)), "javascript:") {
						t.Errorf("%s: <%s %s=%q>", name, s.Nodes[0].Data, at.Key, at.Val)
					}
				}
			})
			if strings.Contains(r.body, "<html") && r.find(`meta[name="htmx-config"]`).Length() == 0 {
				t.Errorf("%s: no htmx-config meta tag", name)
			}
		}
	})

	scriptTag := regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`)
	inline := []*regexp.Regexp{
		regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=`), // onclick= and friends
		regexp.MustCompile(`(?i)\shx-on[:-]`),               // htmx inline handlers
		regexp.MustCompile(`(?i)<[a-z][^>]*\sstyle\s*=`),    // inline styles
		regexp.MustCompile(`(?i)javascript:`),
	}
	files, _ := filepath.Glob("../views/*.templ")
	statics, _ := filepath.Glob("../static/*/*.html")
	files = append(files, statics...)
	if len(files) < 10 {
		t.Fatalf("found %d templates", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, m := range scriptTag.FindAllStringSubmatch(src, -1) {
			if !strings.Contains(m[1], `src="/static/`) || strings.TrimSpace(m[2]) != "" {
				t.Errorf("%s: inline script %s", filepath.Base(f), m[0])
			}
		}
		if n := strings.Count(strings.ToLower(src), "<script"); n != len(scriptTag.FindAllString(src, -1)) {
			t.Errorf("%s: %d script tags, %d closed ones", filepath.Base(f), n, len(scriptTag.FindAllString(src, -1)))
		}
		for i, line := range strings.Split(src, "\n") {
			for _, re := range inline {
				if re.MatchString(line) {
					t.Errorf("%s:%d: inline code the CSP blocks: %s", filepath.Base(f), i+1, strings.TrimSpace(line))
				}
			}
		}
	}
}

func TestBodyLimit(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		tok := owner.csrf("/teams")
		big := strings.Repeat("x", 2<<20)

		// Announced length over the limit.
		r := owner.do(http.MethodPost, "/teams", map[string][]string{"_csrf": {tok}, "name": {big}}, nil)
		expectStatus(t, r, http.StatusRequestEntityTooLarge)
		if msg := r.testid("error-page").Text() + r.body; !strings.Contains(msg, "too large") || !strings.Contains(msg, "1 MB") {
			t.Errorf("413 page does not say what happened: %.400s", r.body)
		}

		// Chunked (no Content-Length): the same answer.
		body := "_csrf=" + tok + "&name=" + big
		req, _ := http.NewRequest(http.MethodPost, a.ts.URL+"/teams", io.MultiReader(strings.NewReader(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.ContentLength = -1
		res, err := owner.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "too large") {
			t.Errorf("chunked oversized body: %d %.200s", res.StatusCode, b)
		}
		var teams int64
		a.store.DB().Table("teams").Count(&teams)
		if teams != 0 {
			t.Errorf("%d teams created by oversized requests", teams)
		}

		// A chunked body under the limit still reaches the handler.
		small := "_csrf=" + tok + "&name=Platform&description=" + strings.Repeat("y", 1000)
		req, _ = http.NewRequest(http.MethodPost, a.ts.URL+"/teams", io.MultiReader(strings.NewReader(small)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.ContentLength = -1
		res, err = owner.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("chunked small body: %d", res.StatusCode)
		}
		a.store.DB().Table("teams").Count(&teams)
		if teams != 1 {
			t.Errorf("%d teams after a valid chunked form", teams)
		}
	})
}
