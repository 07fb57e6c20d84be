package web_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/sessions"

	"github.com/rosterhq/roster/internal/absences"
	"github.com/rosterhq/roster/internal/absencesync"
	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/bank"
	"github.com/rosterhq/roster/internal/dashboard"
	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/hrinvite"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/orgchart"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/teammap"
	"github.com/rosterhq/roster/internal/teams"
	"github.com/rosterhq/roster/internal/timetrack"
	"github.com/rosterhq/roster/web"
)

// syncBuffer is a log sink shared by every component of the app.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// capturedText is one thing a person or a log reader could see.
type capturedText struct {
	where string
	text  string
	// bankExport marks the reimbursement CSV, whose purpose is to carry
	// full IBANs to the admin who asked for it.
	bankExport bool
	// invitation marks what carries an invitation link by design: the
	// email, the dev mailbox and the acceptance page itself.
	invitation bool
	// sandboxPrefill is the dev-only "Use the sandbox" form, which fills in
	// the bundled sandbox's published credentials.
	sandboxPrefill bool
}

// responseLog records every response the app sends (headers but cookies, body).
type responseLog struct {
	mu  sync.Mutex
	all []capturedText
}

type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

func (w *teeWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (l *responseLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		var head strings.Builder
		for k, vs := range w.Header() {
			if k == "Set-Cookie" {
				continue // the session cookie is where the token belongs
			}
			fmt.Fprintf(&head, "%s: %s\n", k, strings.Join(vs, ", "))
		}
		where := fmt.Sprintf("response %s %s (%d)", r.Method, r.URL.RequestURI(), tw.status)
		l.mu.Lock()
		l.all = append(l.all, capturedText{where: where, text: head.String() + "\n" + tw.body.String(),
			bankExport:     r.Method == http.MethodPost && r.URL.Path == "/users/bank-export" && strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv"),
			invitation:     strings.HasPrefix(r.URL.Path, "/invitations/") || r.URL.Path == "/dev/mailbox",
			sandboxPrefill: r.URL.Path == "/settings/hr/connect/credentials" && r.URL.Query().Get("sandbox") == "1"})
		l.mu.Unlock()
	})
}

func (l *responseLog) texts() []capturedText {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]capturedText(nil), l.all...)
}

// personioTokens records every bearer token Roster sends to the sandbox.
type personioTokens struct {
	mu  sync.Mutex
	set map[string]bool
}

func (p *personioTokens) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && tok != "" {
			p.mu.Lock()
			p.set[tok] = true
			p.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (p *personioTokens) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for t := range p.set {
		out = append(out, t)
	}
	return out
}

// leakApp is newApp with every component logging at debug level into log
// and every response recorded.
type leakApp struct {
	*app
	log       *syncBuffer
	responses *responseLog
	syncer    *hrsync.Service
}

// builtApp is the app wired like cmd/roster does, every component logging to log.
type builtApp struct {
	srv    *web.Server
	acc    *accounts.Service
	mb     *mail.Mailbox
	ob     *outbox.Service
	syncer *hrsync.Service
	abs    *absences.Service
}

func buildServer(tb testing.TB, st *store.Store, sbURL string, log *slog.Logger) *builtApp {
	tb.Helper()
	mb := mail.NewMailbox()
	acc := accounts.New(accounts.Options{Store: st, Mailer: mb, BaseURL: "http://roster.test", BcryptCost: 4, Logger: log.With("component", "accounts")})
	box, err := secrets.New(make([]byte, 32))
	if err != nil {
		tb.Fatal(err)
	}
	hr := hrconnect.New(hrconnect.Options{Store: st, Box: box, Limits: personio.NoLimits(), SandboxURL: sbURL, Logger: log.With("component", "hrconnect")})
	hri := hrinvite.New(st, acc, nil, log.With("component", "hrinvite"))
	ntf := notify.New(st, acc.EmailUser, nil, log.With("component", "notify"))
	bk := bank.New(bank.Options{Store: st, Box: box, Providers: hr.Provider, Log: log.With("component", "bank")})
	ob := outbox.New(outbox.Options{Store: st, Providers: hr.Provider, Notify: ntf, Log: log.With("component", "outbox")})
	absync := absencesync.New(absencesync.Options{Store: st, Providers: hr.Provider, Outbox: ob, Log: log.With("component", "absencesync")})
	ob.Register(store.OutboxAbsence, absync.Pusher())
	ob.Register(store.OutboxTimeEntry, timetrack.NewPusher(st))
	pushTime := func(ctx context.Context, run *store.SyncRun) (hrsync.AreaCounts, error) {
		res, err := ob.PushDue(outbox.WithRunID(ctx, run.ID), run.OrgID, store.OutboxTimeEntry)
		return hrsync.AreaCounts{Processed: res.Pushed + res.Retrying + res.Failed, Pushed: res.Pushed, Retrying: res.Retrying, Failed: res.Failed}, err
	}
	life := lifecycle.New(lifecycle.Options{Store: st, Notify: ntf, Accounts: acc, Invite: hri, Log: log.With("component", "lifecycle"),
		Also: []func(context.Context, *store.SyncRun) error{bk.Import, absync.Import}})
	syncer, err := hrsync.New(hrsync.Options{Store: st, Providers: hr.Provider, OnFinish: hrconnect.FirstImportNotifier(acc, log.With("component", "notifier")),
		AfterRun: life.AfterRun, Logger: log.With("component", "hrsync"),
		Areas: map[string]hrsync.AreaFunc{store.AreaAbsences: absync.AreaSync, store.AreaTimeTracking: pushTime}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = syncer.Shutdown(context.Background()) })
	abs := absences.New(absences.Options{Store: st, Notify: ntf, Providers: hr.Provider, OnChange: absync.OnChange, Log: log.With("component", "absences")})
	srv, err := web.New(web.Deps{Dev: true, BaseURL: "http://roster.test", SecretKey: make([]byte, 32), Logger: log.With("component", "web"),
		DB: st, Accounts: acc, Teams: teams.New(st, nil, log.With("component", "teams")), HR: hr, Sync: syncer,
		TeamMap: teammap.New(st, nil, log.With("component", "teammap")), Linking: linking.New(st, nil, log.With("component", "linking")),
		HRInvite: hri, Notify: ntf, Lifecycle: life, Mailbox: mb, Bank: bk, Dashboard: dashboard.New(st, nil),
		Absences: abs, Outbox: ob, Time: timetrack.New(timetrack.Options{Store: st, Log: log.With("component", "timetrack")}),
		Org: orgchart.New(orgchart.Options{Store: st, Log: log.With("component", "orgchart"), Pictures: func(ctx context.Context, orgID int64) (orgchart.PictureSource, error) {
			return hr.Provider(ctx, orgID, nil)
		}})})
	if err != nil {
		tb.Fatal(err)
	}
	return &builtApp{srv: srv, acc: acc, mb: mb, ob: ob, syncer: syncer, abs: abs}
}

func newLeakApp(t *testing.T, st *store.Store, sbURL string) *leakApp {
	t.Helper()
	logBuf := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := buildServer(t, st, sbURL, log)
	rl := &responseLog{}
	ts := httptest.NewServer(rl.wrap(b.srv.Handler()))
	t.Cleanup(ts.Close)
	return &leakApp{app: &app{t: t, store: st, srv: b.srv, ts: ts, mailbox: b.mb, acc: b.acc, outbox: b.ob}, log: logBuf, responses: rl, syncer: b.syncer}
}

// sessionID decodes the client's session cookie (keys derived like the
// server does from the all-zero test key) and returns the raw token.
func (c *client) sessionID(t *testing.T) (token, cookie string) {
	t.Helper()
	hashKey, _ := hkdf.Key(sha256.New, make([]byte, 32), nil, "roster session hash", 32)
	blockKey, _ := hkdf.Key(sha256.New, make([]byte, 32), nil, "roster session block", 32)
	cs := sessions.NewCookieStore(hashKey, blockKey)
	u, _ := url.Parse(c.a.ts.URL)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "roster" {
			cookie = ck.Value
			req.AddCookie(ck)
		}
	}
	sess, err := cs.Get(req, "roster")
	if err != nil {
		t.Fatalf("decode session cookie: %v", err)
	}
	token, _ = sess.Values["sid"].(string)
	if token == "" {
		t.Fatal("the client has no session")
	}
	return token, cookie
}

// ibanForms are the spellings of an IBAN that must never be shown: as
// Personio holds it, compact, grouped by four, and its hidden middle part.
func ibanForms(iban string) []string {
	compact := bank.NormalizeIBAN(iban)
	var grouped strings.Builder
	for i := 0; i < len(compact); i += 4 {
		if i > 0 {
			grouped.WriteByte(' ')
		}
		grouped.WriteString(compact[i:min(i+4, len(compact))])
	}
	out := []string{iban, compact, grouped.String()}
	if len(compact) > 12 {
		out = append(out, compact[4:len(compact)-4])
	}
	return out
}

// dumpDatabase reads every text value of every table.
func dumpDatabase(t *testing.T, st *store.Store) []capturedText {
	t.Helper()
	db := st.DB()
	tables, err := db.Migrator().GetTables()
	if err != nil {
		t.Fatal(err)
	}
	var out []capturedText
	for _, table := range tables {
		rows, err := db.Table(table).Rows()
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			var b strings.Builder
			for i, v := range vals {
				switch x := v.(type) {
				case string:
					fmt.Fprintf(&b, "%s=%s\n", cols[i], x)
				case []byte:
					fmt.Fprintf(&b, "%s=%s\n", cols[i], x)
				}
			}
			n++
			out = append(out, capturedText{where: fmt.Sprintf("table %s row %d", table, n), text: b.String()})
		}
		_ = rows.Close()
	}
	return out
}

// TestSecretsNeverLeak runs a realistic session against the sandbox and
// checks that nothing anyone can read — logs at debug level, every page,
// fragment, CSV and JSON, every database row (API log, run errors and
// warnings, audit, notifications), every email — contains the Personio
// client secret, an IBAN of the company, a password, a session token or a
// Personio access token.
func TestSecretsNeverLeak(t *testing.T) {
	sb := sandbox.New(sandbox.Options{Employees: 40, Seed: 11})
	tokens := &personioTokens{set: map[string]bool{}}
	sbSrv := httptest.NewServer(tokens.wrap(sandboxtest.Validate(t, sb)))
	t.Cleanup(sbSrv.Close)
	sbURL := sbSrv.URL

	var linked []sandbox.Employee
	for _, e := range sb.Employees() {
		if e.IBAN != "" && e.Email != "" && e.Status == "active" {
			linked = append(linked, e)
		}
	}
	if len(linked) < 3 {
		t.Fatalf("sandbox: %d employees with an IBAN", len(linked))
	}
	const (
		ownerPass  = "Owner-Pa55-quartz-lantern"
		adminPass  = "Admin-Pa55-violet-harbour"
		memberPass = "Member-Pa55-copper-meadow"
		wrongPass  = "Wrong-Pa55-almost-right"
		badSecret  = "wrong-secret-9c4e1f7ab2"
	)
	// Changed in Personio between the syncs: a new valid IBAN, and an
	// invalid one whose warning must describe it without quoting it.
	newIBAN, badIBAN := "DE02120300000000202051", wrongLengthIBAN()

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newLeakApp(t, st, sbURL)
		var sids, cookies []string
		keep := func(c *client) {
			sid, ck := c.sessionID(t)
			sids, cookies = append(sids, sid), append(cookies, ck)
		}

		// Setup, invitations, acceptance, logins (some failing).
		anon := a.client()
		expectStatus(t, anon.post("/setup", "/setup", url.Values{"org_name": {"Acme"}, "timezone": {"Europe/Berlin"}, "owner_name": {"Olga Owner"},
			"email": {"olga@acme.test"}, "password": {"short"}}), http.StatusUnprocessableEntity)
		expectStatus(t, anon.post("/setup", "/setup", url.Values{"org_name": {"Acme"}, "timezone": {"Europe/Berlin"}, "owner_name": {"Olga Owner"},
			"email": {"olga@acme.test"}, "password": {ownerPass}}), http.StatusSeeOther)
		owner := anon
		keep(owner)
		orgID := a.orgID(t)

		var invLinks []string
		accept := func(email, name, role, pass string) *client {
			link := a.invite(owner, email, name, role)
			invLinks = append(invLinks, link)
			path := strings.TrimPrefix(link, "http://roster.test")
			c := a.client()
			expectStatus(t, c.post(path, path, url.Values{"name": {name}, "new_password": {"x"}}), http.StatusUnprocessableEntity)
			expectStatus(t, c.post(path, path, url.Values{"name": {name}, "new_password": {pass}}), http.StatusSeeOther)
			keep(c)
			return c
		}
		admin := accept("ada@acme.test", "Ada Admin", "admin", adminPass)
		member := accept("mia@acme.test", "Mia Member", "member", memberPass)
		a.invite(owner, "ben@acme.test", "Ben Pending", "member") // never accepted
		for _, m := range a.mailbox.Messages() {
			if m.To == "ben@acme.test" {
				invLinks = append(invLinks, m.Link)
			}
		}
		for _, creds := range [][2]string{{"mia@acme.test", wrongPass}, {"nobody@acme.test", memberPass}, {"MIA@acme.test ", wrongPass}} {
			c := a.client()
			if r := c.post("/login", "/login", url.Values{"email": {creds[0]}, "password": {creds[1]}}); r.status == http.StatusSeeOther {
				t.Fatalf("login with %v succeeded", creds)
			}
		}
		again := a.login("mia@acme.test", memberPass)
		keep(again)
		expectStatus(t, again.post("/", "/logout", nil), http.StatusSeeOther)

		// Connect: wrong secret first, then the right one.
		expectStatus(t, owner.post("/settings/hr/connect/provider", "/settings/hr/connect/provider", url.Values{"provider": {"personio"}}), http.StatusSeeOther)
		owner.get("/settings/hr/connect/credentials?sandbox=1")
		wrong := owner.post("/settings/hr/connect/credentials", "/settings/hr/connect/credentials",
			url.Values{"base_url": {sbURL}, "client_id": {sandbox.FullClientID}, "client_secret": {badSecret}})
		expectStatus(t, wrong, http.StatusUnprocessableEntity)
		expectStatus(t, owner.post("/settings/hr/connect/credentials", "/settings/hr/connect/credentials",
			url.Values{"base_url": {"http://127.0.0.1:1"}, "client_id": {sandbox.FullClientID}, "client_secret": {sandbox.FullClientSecret}}), http.StatusUnprocessableEntity)
		connectSandbox(t, owner, sbURL)
		owner.get("/settings/hr/connect/check")
		owner.get("/settings/hr/connect/credentials")
		enableBankImport(t, st, orgID)

		// Link the users to employees with bank details, then a full sync.
		for i, email := range []string{"olga@acme.test", "ada@acme.test", "mia@acme.test"} {
			if err := st.UpdateUserFields(t.Context(), orgID, a.userID(email), map[string]any{"personio_id": int64(linked[i].ID)}); err != nil {
				t.Fatal(err)
			}
		}
		syncEmployees(t, owner)

		// Personio changes; tokens are invalidated; a partial sync follows.
		if _, err := sb.Update(linked[1].ID, sandbox.EmployeeInput{IBAN: &newIBAN}); err != nil {
			t.Fatal(err)
		}
		if _, err := sb.Update(linked[2].ID, sandbox.EmployeeInput{IBAN: &badIBAN}); err != nil {
			t.Fatal(err)
		}
		if err := sb.SetFaults(sandbox.Faults{InvalidateTokens: true}); err != nil {
			t.Fatal(err)
		}
		partial, _, err := a.syncer.Run(t.Context(), orgID, hrsync.Request{Area: store.AreaEmployees, Mode: store.ModePartial, Trigger: store.TriggerManual})
		if err != nil || partial.Status != store.RunSucceeded {
			t.Fatalf("partial sync after the token invalidation: %v", err)
		}
		// The invalid IBAN is reported on the run, described, not quoted.
		if r := owner.get("/settings/hr/runs/" + itoa(partial.ID)); !strings.Contains(r.body, bank.WarnInvalid) || !strings.Contains(r.body, "21 characters") {
			t.Fatalf("the partial run does not report the invalid IBAN: %.300s", r.testid("run-summary").Text())
		}
		// A run that fails on a half-sent employee page (its bytes hold
		// IBANs): the error stored and shown must not quote it.
		if err := sb.SetFaults(sandbox.Faults{MalformedRate: 1, Paths: []string{"/v1/company/employees"}}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sb.ClearFaults)
		failed, _, err := a.syncer.Run(t.Context(), orgID, hrsync.Request{Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerManual})
		if err == nil || failed == nil {
			t.Fatalf("a full sync on malformed pages succeeded: %v", err)
		}
		if failed.Status != store.RunFailed || failed.Error == "" {
			t.Fatalf("the run on malformed pages ended %q (%q)", failed.Status, failed.Error)
		}
		sb.ClearFaults()
		// A preview that waits for review keeps the fetched records: they
		// must not hold the bank details either.
		pvRun, _, err := a.syncer.Run(t.Context(), orgID, hrsync.Request{Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerManual, Preview: true})
		if err != nil || pvRun.Status != store.RunPreviewed {
			t.Fatalf("preview: %v %+v", err, pvRun)
		}
		waiting, err := st.SyncPreviewOfRun(t.Context(), orgID, pvRun.ID)
		if err != nil || waiting.Status != store.PreviewReady || waiting.Records == 0 {
			t.Fatalf("waiting preview: %v %+v", err, waiting)
		}

		// Every page an admin, a member and the logs show.
		runs, err := st.ListSyncRuns(t.Context(), orgID, 10)
		if err != nil || len(runs) < 3 {
			t.Fatalf("runs: %v (%d)", err, len(runs))
		}
		pages := []string{"/", "/users", "/users/invite", "/users/bank-export", "/settings/hr", "/settings/hr/sync", "/settings/hr/api-log",
			"/settings/hr/api-log?status=error", "/settings/hr/employees", "/settings/hr/teams", "/settings/hr/link", "/users/invite-hr",
			"/audit", "/notifications", "/org", "/teams", "/dev/mailbox", "/users/export?format=csv", "/users/export?format=json",
			"/settings/hr/employees/export?format=csv", "/settings/hr/employees/export?format=json", "/settings/hr/previews/" + itoa(waiting.ID)}
		for _, r := range runs {
			pages = append(pages, "/settings/hr/runs/"+itoa(r.ID), "/settings/hr/runs/"+itoa(r.ID)+"/progress")
		}
		for _, email := range []string{"olga@acme.test", "ada@acme.test", "mia@acme.test", "ben@acme.test"} {
			id := itoa(a.userID(email))
			pages = append(pages, "/users/"+id, "/people/"+id)
		}
		for _, p := range pages {
			if r := owner.get(p); r.status != http.StatusOK {
				t.Errorf("GET %s: %d", p, r.status)
			}
		}
		owner.do(http.MethodGet, "/settings/hr/api-log", nil, map[string]string{"HX-Request": "true"})
		for _, p := range []string{"/", "/people/" + itoa(a.userID("mia@acme.test")), "/org", "/users"} {
			member.get(p)
		}
		admin.get("/people/" + itoa(a.userID("ada@acme.test")))
		csvResp := owner.post("/users/bank-export", "/users/bank-export", url.Values{"scope": {"all"}})
		expectStatus(t, csvResp, http.StatusOK)
		if !strings.Contains(csvResp.body, bank.NormalizeIBAN(linked[0].IBAN)) {
			t.Fatalf("the bank export lacks the IBAN it exists for: %.300s", csvResp.body)
		}

		// Stored data, read before the 500 below breaks a table.
		captured := dumpDatabase(t, st)

		// A server error: its page and log line must not carry secrets either.
		if err := st.DB().Exec("DROP TABLE notifications").Error; err != nil {
			t.Fatal(err)
		}
		if r := owner.get("/notifications"); r.status != http.StatusInternalServerError {
			t.Fatalf("GET /notifications without its table: %d", r.status)
		}
		// …and one on an invitation link, whose path is a credential.
		if err := st.DB().Exec("ALTER TABLE organizations RENAME TO organizations_gone").Error; err != nil {
			t.Fatal(err)
		}
		if r := a.client().get(strings.TrimPrefix(invLinks[len(invLinks)-1], "http://roster.test")); r.status != http.StatusInternalServerError {
			t.Fatalf("GET an invitation without its table: %d", r.status)
		}

		captured = append(captured, a.responses.texts()...)
		for i, line := range strings.Split(a.log.String(), "\n") {
			captured = append(captured, capturedText{where: fmt.Sprintf("log line %d", i+1), text: line})
		}
		for i, m := range a.mailbox.Messages() {
			captured = append(captured, capturedText{where: fmt.Sprintf("mail %d to %s", i+1, m.To), text: m.Subject + "\n" + m.Text + "\n" + m.Link, invitation: true})
		}

		// What must never show.
		type secret struct {
			what, value string
			invitation  bool // an invitation token
			sandboxCred bool // the sandbox's published secret
		}
		forbidden := []secret{{what: "client secret", value: sandbox.FullClientSecret, sandboxCred: true}, {what: "rejected client secret", value: badSecret}}
		for _, p := range []string{ownerPass, adminPass, memberPass, wrongPass} {
			forbidden = append(forbidden, secret{what: "password", value: p})
		}
		for i := range sids {
			forbidden = append(forbidden, secret{what: "session token", value: sids[i]}, secret{what: "session cookie", value: cookies[i]})
		}
		ptoks := tokens.list()
		if len(ptoks) < 2 {
			t.Fatalf("%d Personio tokens seen: the invalidation did not force a new one", len(ptoks))
		}
		forbidden = append(forbidden, secret{what: "Personio token prefix", value: "papi-"})
		for _, tok := range ptoks {
			forbidden = append(forbidden, secret{what: "Personio access token", value: tok})
		}
		for _, l := range invLinks {
			_, tok, _ := strings.Cut(l, "/invitations/")
			forbidden = append(forbidden, secret{what: "invitation token", value: tok, invitation: true})
		}
		var ibans []secret
		for _, e := range sb.Employees() {
			for _, f := range ibanForms(e.IBAN) {
				if e.IBAN != "" {
					ibans = append(ibans, secret{what: "IBAN of employee " + itoa(int64(e.ID)), value: f})
				}
			}
		}
		for _, v := range []string{newIBAN, badIBAN} {
			for _, f := range ibanForms(v) {
				ibans = append(ibans, secret{what: "IBAN set in Personio", value: f})
			}
		}

		leaks := map[string]bool{}
		for _, c := range captured {
			list := forbidden
			if !c.bankExport {
				list = append(list[:len(list):len(list)], ibans...)
			}
			for _, s := range list {
				if (s.invitation && c.invitation) || (s.sandboxCred && c.sandboxPrefill) {
					continue
				}
				if s.value != "" && strings.Contains(c.text, s.value) {
					i := strings.Index(c.text, s.value)
					leaks[fmt.Sprintf("%s in %s: …%s…", s.what, c.where, c.text[max(0, i-80):min(len(c.text), i+len(s.value)+40)])] = true
				}
			}
		}
		var report []string
		for l := range leaks {
			report = append(report, l)
		}
		sort.Strings(report)
		for _, l := range report {
			t.Error(l)
		}
		if t.Failed() {
			return
		}
		// The checks looked at something real.
		logText := a.log.String()
		for _, want := range []string{`"msg":"http request"`, `"component":"hrsync"`, `"msg":"hr sync finished"`, `"msg":"request failed"`, `"msg":"bank details imported"`} {
			if !strings.Contains(logText, want) {
				t.Errorf("the captured log lacks %s", want)
			}
		}
		var calls int64
		st.DB().Table("api_calls").Count(&calls)
		if calls < 5 || len(a.responses.texts()) < 60 {
			t.Errorf("captured %d API log rows and %d responses", calls, len(a.responses.texts()))
		}
	})
}
