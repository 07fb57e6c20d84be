package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// gate holds the sandbox's employee requests while it is shut, so a run
// stays in progress for as long as the test needs.
type gate struct {
	mu sync.Mutex
	ch chan struct{} // nil: open
}

func (g *gate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
}

func (g *gate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		ch := g.ch
		g.mu.Unlock()
		if ch != nil && strings.Contains(r.URL.Path, "/employees") {
			select {
			case <-ch:
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// TestFiftySimultaneousSyncNowStartOneRun: 50 Sync Now requests of one
// admin at the same moment (real HTTP, session and CSRF token) start
// exactly one run; every request answers with that run, none fails.
func TestFiftySimultaneousSyncNowStartOneRun(t *testing.T) {
	const n = 50
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		sb := sandbox.New(sandbox.Options{Employees: 120, Seed: 5})
		g := &gate{}
		srv := httptest.NewServer(g.wrap(sandboxtest.Validate(t, sb)))
		t.Cleanup(srv.Close)
		t.Cleanup(g.open) // before the server closes: no request stays blocked

		a := newApp(t, st, appOpts{sandboxURL: srv.URL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		connectSandbox(t, owner, srv.URL)
		org, err := st.OrganizationBySlug(t.Context(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		tok := owner.csrf("/settings/hr")
		g.shut()

		type answer struct {
			status int
			run    string // the run a fragment shows
			err    error
		}
		answers := make([]answer, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, err := http.NewRequest(http.MethodPost, a.ts.URL+"/settings/hr/sync-now",
					strings.NewReader(url.Values{"area": {"employees"}, "preview": {"0"}, "_csrf": {tok}}.Encode()))
				if err != nil {
					answers[i].err = err
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if i%2 == 0 { // half through htmx (the progress fragment), half as a plain form
					req.Header.Set("HX-Request", "true")
				}
				res, err := owner.http.Do(req)
				if err != nil {
					answers[i].err = err
					return
				}
				defer res.Body.Close()
				body, _ := io.ReadAll(res.Body)
				answers[i].status = res.StatusCode
				if i%2 == 0 {
					doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
					if err != nil {
						answers[i].err = err
						return
					}
					answers[i].run, _ = doc.Find(`[data-testid="run-progress"]`).Attr("hx-get")
					if res.StatusCode != http.StatusOK {
						answers[i].err = fmt.Errorf("%.300s", body)
					}
				}
			}()
		}
		began := time.Now()
		close(start)
		wg.Wait()
		took := time.Since(began)

		runs := map[string]int{}
		for i, ans := range answers {
			want := http.StatusSeeOther
			if i%2 == 0 {
				want = http.StatusOK
			}
			if ans.err != nil || ans.status != want {
				t.Fatalf("request %d: status %d (want %d), %v", i, ans.status, want, ans.err)
			}
			if i%2 == 0 {
				runs[ans.run]++
			}
		}
		var count int64
		if err := st.DB().Model(&store.SyncRun{}).Where("org_id = ?", org.ID).Count(&count).Error; err != nil {
			t.Fatal(err)
		}
		if count != 1 {
			t.Fatalf("%d simultaneous Sync Now requests started %d runs, want 1", n, count)
		}
		if len(runs) != 1 {
			t.Fatalf("the progress fragments show different runs: %v", runs)
		}
		for run := range runs {
			if !strings.HasPrefix(run, "/settings/hr/runs/") {
				t.Fatalf("progress fragment polls %q", run)
			}
		}
		events, _, err := st.ListAudit(t.Context(), org.ID, store.AuditFilter{Action: "hr.sync_started"})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 {
			t.Fatalf("%d hr.sync_started audit events, want 1", len(events))
		}
		t.Logf("%d simultaneous Sync Now requests answered in %s: 1 run, 1 audit event", n, took.Round(time.Millisecond))

		// The one run completes once the HR system answers.
		g.open()
		var run store.SyncRun
		deadline := time.Now().Add(30 * time.Second)
		for {
			if err := st.DB().Where("org_id = ?", org.ID).First(&run).Error; err != nil {
				t.Fatal(err)
			}
			if run.Status != store.RunRunning || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if run.Status != store.RunSucceeded || run.NewCount != 120 {
			t.Fatalf("the run: %s, %d new, %q", run.Status, run.NewCount, run.Error)
		}
	})
}
