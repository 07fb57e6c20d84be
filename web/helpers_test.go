package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/rosterhq/roster/internal/absences"
	"github.com/rosterhq/roster/internal/absencesync"
	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/bank"
	"github.com/rosterhq/roster/internal/dashboard"
	"github.com/rosterhq/roster/internal/drift"
	"github.com/rosterhq/roster/internal/health"
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
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/teammap"
	"github.com/rosterhq/roster/internal/teams"
	"github.com/rosterhq/roster/internal/timetrack"
	"github.com/rosterhq/roster/web"
)

const testPassword = "correct-horse-battery"

type app struct {
	t       *testing.T
	store   *store.Store
	srv     *web.Server
	ts      *httptest.Server
	mailbox *mail.Mailbox
	acc     *accounts.Service
	outbox  *outbox.Service
}

type appOpts struct {
	signupOpen bool
	sandboxURL string
	now        func() time.Time // the clock of the sync, lifecycle and web app (time.Now when nil)
}

func newApp(t *testing.T, st *store.Store, o ...appOpts) *app {
	t.Helper()
	var opt appOpts
	if len(o) > 0 {
		opt = o[0]
	}
	mb := mail.NewMailbox()
	acc := accounts.New(accounts.Options{Store: st, Mailer: mb, BaseURL: "http://roster.test", BcryptCost: 4, Now: opt.now})
	box, err := secrets.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	hr := hrconnect.New(hrconnect.Options{Store: st, Box: box, Limits: personio.NoLimits(), SandboxURL: opt.sandboxURL})
	hri := hrinvite.New(st, acc, nil, nil)
	ntf := notify.New(st, acc.EmailUser, nil, nil)
	bk := bank.New(bank.Options{Store: st, Box: box, Providers: hr.Provider, Now: opt.now})
	ob := outbox.New(outbox.Options{Store: st, Providers: hr.Provider, Now: opt.now, Notify: ntf})
	absync := absencesync.New(absencesync.Options{Store: st, Providers: hr.Provider, Outbox: ob, Now: opt.now})
	ob.Register(store.OutboxAbsence, absync.Pusher())
	ob.Register(store.OutboxTimeEntry, timetrack.NewPusher(st))
	pushAfterSync := func(ctx context.Context, run *store.SyncRun) error {
		_, err := ob.PushDue(outbox.WithRunID(ctx, run.ID), run.OrgID, store.OutboxTimeEntry)
		return err
	}
	pushTime := func(ctx context.Context, run *store.SyncRun) (hrsync.AreaCounts, error) {
		res, err := ob.PushDue(outbox.WithRunID(ctx, run.ID), run.OrgID, store.OutboxTimeEntry)
		return hrsync.AreaCounts{Processed: res.Pushed + res.Retrying + res.Failed, Pushed: res.Pushed, Retrying: res.Retrying, Failed: res.Failed}, err
	}
	life := lifecycle.New(lifecycle.Options{Store: st, Notify: ntf, Accounts: acc, Invite: hri, Now: opt.now,
		Also: []func(context.Context, *store.SyncRun) error{bk.Import, absync.Import, pushAfterSync}})
	syncer, err := hrsync.New(hrsync.Options{Store: st, Providers: hr.Provider, OnFinish: hrconnect.FirstImportNotifier(acc, nil),
		AfterRun: life.AfterRun, Now: opt.now, Areas: map[string]hrsync.AreaFunc{store.AreaAbsences: absync.AreaSync, store.AreaTimeTracking: pushTime}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syncer.Shutdown(context.Background()) })
	tmap, lnk := teammap.New(st, nil, nil), linking.New(st, nil, nil)
	srv, err := web.New(web.Deps{Dev: true, SignupOpen: opt.signupOpen, BaseURL: "http://roster.test", SecretKey: make([]byte, 32),
		DB: st, Accounts: acc, Teams: teams.New(st, nil, nil), HR: hr, Sync: syncer, TeamMap: tmap, Linking: lnk, HRInvite: hri,
		Drift: drift.New(drift.Options{Store: st, Linking: lnk, Invite: hri, TeamMap: tmap, Now: opt.now}), Notify: ntf, Lifecycle: life, Mailbox: mb, Bank: bk, Dashboard: dashboard.New(st, opt.now).WithRuns(syncer.ListRuns), Now: opt.now,
		Absences: absences.New(absences.Options{Store: st, Notify: ntf, Providers: hr.Provider, Now: opt.now, OnChange: absync.OnChange}), Outbox: ob, Time: timetrack.New(timetrack.Options{Store: st, Now: opt.now}),
		Health: health.New(health.Options{Store: st, Notify: ntf, Now: opt.now}),
		Org: orgchart.New(orgchart.Options{Store: st, Pictures: func(ctx context.Context, orgID int64) (orgchart.PictureSource, error) {
			return hr.Provider(ctx, orgID, nil)
		}})})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &app{t: t, store: st, srv: srv, ts: ts, mailbox: mb, acc: acc, outbox: ob}
}

// each runs fn on SQLite and PostgreSQL with a fresh app.
func each(t *testing.T, fn func(t *testing.T, a *app)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		fn(t, newApp(t, st))
	})
}

type client struct {
	t    *testing.T
	a    *app
	http *http.Client
}

func (a *app) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: a.t, a: a, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

func (r *resp) find(sel string) *goquery.Selection { return r.doc.Find(sel) }

func (r *resp) testid(id string) *goquery.Selection { return r.doc.Find(`[data-testid="` + id + `"]`) }

func (c *client) do(method, path string, form url.Values, headers map[string]string) *resp {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.a.ts.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(string(b)))
	return &resp{status: res.StatusCode, header: res.Header, body: string(b), doc: doc}
}

func (c *client) get(path string) *resp { return c.do(http.MethodGet, path, nil, nil) }

// csrf fetches a page and reads the CSRF token from its form.
func (c *client) csrf(path string) string {
	c.t.Helper()
	r := c.get(path)
	tok, ok := r.find(`input[name="_csrf"]`).First().Attr("value")
	if !ok || tok == "" {
		c.t.Fatalf("no CSRF token on %s (status %d)", path, r.status)
	}
	return tok
}

// post submits a form with the CSRF token read from tokenPage.
func (c *client) post(tokenPage, path string, form url.Values) *resp {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", c.csrf(tokenPage))
	return c.do(http.MethodPost, path, form, nil)
}

func expectStatus(t *testing.T, r *resp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body: %.600s", r.status, want, r.body)
	}
}

// setupOrg runs the first-run setup and returns the logged-in owner's client.
func (a *app) setupOrg(name, email string) *client {
	a.t.Helper()
	c := a.client()
	r := c.post("/setup", "/setup", url.Values{"org_name": {name}, "timezone": {"Europe/Berlin"}, "owner_name": {"Olga Owner"}, "email": {email}, "password": {testPassword}})
	expectStatus(a.t, r, http.StatusSeeOther)
	return c
}

// createOrg adds another organisation through the use case and logs its owner in.
func (a *app) createOrg(name, email string) (*client, *store.Organization) {
	a.t.Helper()
	org, _, err := a.acc.CreateOrganization(context.Background(), accounts.SetupInput{OrgName: name, TimeZone: "Europe/Vienna", OwnerName: "Other Owner", Email: email, Password: testPassword})
	if err != nil {
		a.t.Fatal(err)
	}
	return a.login(email, testPassword), org
}

func (a *app) login(email, password string) *client {
	a.t.Helper()
	c := a.client()
	r := c.post("/login", "/login", url.Values{"email": {email}, "password": {password}})
	expectStatus(a.t, r, http.StatusSeeOther)
	return c
}

// invite invites email as role and returns the invitation link from the mailbox.
func (a *app) invite(owner *client, email, name, role string, teamIDs ...string) string {
	a.t.Helper()
	r := owner.post("/users/invite", "/users/invite", url.Values{"email": {email}, "name": {name}, "role": {role}, "team_ids": teamIDs})
	expectStatus(a.t, r, http.StatusSeeOther)
	for _, m := range a.mailbox.Messages() {
		if m.To == strings.ToLower(strings.TrimSpace(email)) {
			return m.Link
		}
	}
	a.t.Fatalf("no invitation mail to %s", email)
	return ""
}

// acceptAs opens an invitation link and sets the password; returns the new user's client.
func (a *app) acceptAs(link, name string) *client {
	a.t.Helper()
	path := strings.TrimPrefix(link, "http://roster.test")
	c := a.client()
	r := c.post(path, path, url.Values{"name": {name}, "new_password": {testPassword}})
	expectStatus(a.t, r, http.StatusSeeOther)
	return c
}

func (a *app) userID(email string) int64 {
	a.t.Helper()
	us, err := a.store.UsersByEmailAllOrgs(context.Background(), email)
	if err != nil || len(us) != 1 {
		a.t.Fatalf("user %s: %v (%d found)", email, err, len(us))
	}
	return us[0].ID
}
