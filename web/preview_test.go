package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

var previewPathRE = regexp.MustCompile(`^/settings/hr/previews/\d+$`)

// waitPreview follows a preview's run page (runPreview) until it sends the
// browser to the computed preview, and returns the preview's path.
func waitPreview(t *testing.T, owner *client, runPreview string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := owner.get(runPreview)
		if r.status == http.StatusSeeOther {
			loc := r.header.Get("Location")
			if !previewPathRE.MatchString(loc) {
				t.Fatalf("preview run redirected to %q", loc)
			}
			return loc
		}
		expectStatus(t, r, http.StatusOK)
		if r.testid("preview-computing").Length() != 1 {
			t.Fatalf("computing page: %.400s", r.body)
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatal("preview not computed in 30s")
	return ""
}

// applyPreview clicks Apply and waits until the preview is applied.
func applyPreview(t *testing.T, owner *client, pvPath string) {
	t.Helper()
	expectStatus(t, owner.post(pvPath, pvPath+"/apply", nil), http.StatusSeeOther)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := owner.get(pvPath)
		expectStatus(t, r, http.StatusOK)
		switch st, _ := r.testid("preview-status").Attr("data-status"); st {
		case store.PreviewApplied:
			return
		case store.PreviewApplying:
			time.Sleep(30 * time.Millisecond)
		default:
			t.Fatalf("preview %s after apply: %s", st, r.testid("preview-explain").Text())
		}
	}
	t.Fatal("preview not applied in 30s")
}

// TestPreviewFirstImportInTheHRTab: on a fresh connection Sync now runs the
// first import as a preview; its page groups and filters the changes and
// pages them; nothing is in the mirror until Apply; after Apply the HR tab
// shows the data and the run, and a preview of a partial sync finds
// nothing and can be discarded.
func TestPreviewFirstImportInTheHRTab(t *testing.T) {
	_, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 130, Seed: 5})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		connectSandbox(t, owner, sbURL)
		orgID := a.orgID(t)

		tab := owner.get("/settings/hr")
		if tab.testid("first-import-note").Length() != 1 {
			t.Fatalf("the HR tab does not say the first import is a preview: %.300s", tab.testid("sync-panel").Text())
		}
		r := owner.do(http.MethodPost, "/settings/hr/sync-now", url.Values{"area": {"employees"}, "_csrf": {owner.csrf("/settings/hr")}}, map[string]string{"HX-Request": "true"})
		expectStatus(t, r, http.StatusOK)
		to := r.header.Get("HX-Redirect")
		if !strings.HasSuffix(to, "/preview") {
			t.Fatalf("Sync now on the first import: HX-Redirect %q", to)
		}
		pvPath := waitPreview(t, owner, to)
		// The preview's run keeps the warnings of the records it read.
		runID, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(to, "/settings/hr/runs/"), "/preview"), 10, 64)
		pvRun, err := st.SyncRun(t.Context(), orgID, runID)
		if err != nil {
			t.Fatal(err)
		}
		if _, n, err := st.SyncRunWarnings(t.Context(), orgID, runID, 1000, 0); err != nil || n != int64(pvRun.WarningCount) || n == 0 {
			t.Fatalf("preview run: %d warnings counted, %d stored (%v)", pvRun.WarningCount, n, err)
		}
		pv := owner.get(pvPath)
		expectStatus(t, pv, http.StatusOK)
		if s, _ := pv.testid("preview-status").Attr("data-status"); s != store.PreviewReady {
			t.Fatalf("preview status %q", s)
		}
		if !strings.Contains(pv.body, "Preview of the first import") || pv.testid("preview-apply").Length() != 1 || pv.testid("preview-discard").Length() != 1 {
			t.Fatalf("preview page: %.500s", pv.body)
		}
		newTab := pv.testid("preview-kind-" + store.PreviewEmployeeNew)
		if !strings.Contains(newTab.Text(), "130") {
			t.Fatalf("new employees tab: %q", newTab.Text())
		}
		if n := pv.testid("preview-item").Length(); n != 100 {
			t.Fatalf("first page shows %d changes, want 100", n)
		}
		if pv.testid("pager").Length() != 1 {
			t.Fatal("no pager for 130 changes")
		}
		// Page 2 as the pager's htmx fragment.
		p2 := owner.do(http.MethodGet, pvPath+"?page=2", nil, map[string]string{"HX-Request": "true"})
		if n := p2.testid("preview-item").Length(); n != 30 || strings.Contains(p2.body, "<html") {
			t.Fatalf("page 2 fragment: %d items", n)
		}
		// Search by a name on the list.
		name := strings.TrimSpace(pv.testid("preview-item").First().Find("td").Eq(1).Find("a, br").Parent().Contents().First().Text())
		if name == "" {
			t.Fatal("no name in the first row")
		}
		found := owner.get(pvPath + "?q=" + url.QueryEscape(name))
		if n := found.testid("preview-item").Length(); n < 1 || n > 3 {
			t.Fatalf("search %q: %d rows", name, n)
		}
		// Nothing written yet.
		var n int64
		if err := st.DB().Model(&store.HREmployee{}).Where("org_id = ?", orgID).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("mirror rows before apply: %d %v", n, err)
		}
		if owner.get("/settings/hr").testid("pending-preview").Length() != 1 {
			t.Fatal("the HR tab does not point at the waiting preview")
		}

		applyPreview(t, owner, pvPath)
		// The applying notice's poll reloads the page once the apply ended.
		if r := owner.do(http.MethodGet, pvPath+"?poll=1", nil, map[string]string{"HX-Request": "true"}); r.header.Get("HX-Redirect") != pvPath {
			t.Fatalf("poll after the apply: HX-Redirect %q", r.header.Get("HX-Redirect"))
		}
		if err := st.DB().Model(&store.HREmployee{}).Where("org_id = ?", orgID).Count(&n).Error; err != nil || n != 130 {
			t.Fatalf("mirror rows after apply: %d %v", n, err)
		}
		waitFirstImportMail(t, a, "olga@acme.test")
		tab = owner.get("/settings/hr")
		if d := tab.testid("data-as-of").Text(); d == "" || d == "–" || d == "—" {
			t.Fatalf("data as of %q after the apply", d)
		}
		if tab.testid("pending-preview").Length() != 0 || tab.testid("first-import-note").Length() != 0 {
			t.Fatal("the HR tab still shows the first import as waiting")
		}
		if !strings.Contains(tab.testid("runs-table").Text(), "preview") {
			t.Fatal("the runs table does not list the preview")
		}
		if auditCount(t, st, orgID, "hr.preview_applied") != 1 || auditCount(t, st, orgID, "hr.preview_started") != 1 {
			t.Fatal("preview started/applied not audited")
		}

		// A partial preview now finds nothing; discard it.
		r = owner.post("/settings/hr", "/settings/hr/previews", url.Values{"area": {"employees"}, "mode": {"partial"}})
		expectStatus(t, r, http.StatusSeeOther)
		pvPath = waitPreview(t, owner, r.header.Get("Location"))
		pv = owner.get(pvPath)
		if pv.testid("preview-item").Length() != 0 || !strings.Contains(pv.testid("empty-state").Text(), "Nothing would change") {
			t.Fatalf("partial preview after the apply: %.400s", pv.testid("preview-items").Text())
		}
		expectStatus(t, owner.post(pvPath, pvPath+"/discard", nil), http.StatusSeeOther)
		pv = owner.get(pvPath)
		if s, _ := pv.testid("preview-status").Attr("data-status"); s != store.PreviewDiscarded || pv.testid("preview-apply").Length() != 0 {
			t.Fatalf("after discard: %q", s)
		}
		// A discarded preview is not applied.
		r = owner.post(pvPath, pvPath+"/apply", nil)
		expectStatus(t, r, http.StatusSeeOther)
		id, _ := strconv.ParseInt(pvPath[strings.LastIndex(pvPath, "/")+1:], 10, 64)
		got, err := st.SyncPreview(t.Context(), orgID, id)
		if err != nil || got.Status != store.PreviewDiscarded || got.ApplyRunID != nil {
			t.Fatalf("apply of a discarded preview: %+v %v", got, err)
		}
	})
}

// TestPreviewOfAllAreas: "Sync now: all" on the first import is a preview
// too; its apply is a run of all areas, a first import.
func TestPreviewOfAllAreas(t *testing.T) {
	_, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 12, Seed: 8})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		connectSandbox(t, owner, sbURL)
		orgID := a.orgID(t)
		r := owner.do(http.MethodPost, "/settings/hr/sync-now", url.Values{"area": {"all"}, "_csrf": {owner.csrf("/settings/hr")}}, nil)
		expectStatus(t, r, http.StatusSeeOther)
		pvPath := waitPreview(t, owner, r.header.Get("Location"))
		applyPreview(t, owner, pvPath)
		runs, err := st.ListSyncRuns(t.Context(), orgID, 10)
		if err != nil || len(runs) != 2 {
			t.Fatalf("runs: %d %v", len(runs), err)
		}
		apply, preview := runs[0], runs[1]
		if preview.Status != store.RunPreviewed || apply.Status != store.RunSucceeded || apply.Area != store.AreaAll || apply.Trigger != store.TriggerFirstImport {
			t.Fatalf("preview run %+v\napply run %+v", preview, apply)
		}
	})
}
