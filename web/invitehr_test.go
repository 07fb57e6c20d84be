package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

type hrRow struct {
	id       string
	disabled bool
	noEmail  bool
	email    string
	team     string
}

func inviteRows(r *resp) map[string]hrRow {
	out := map[string]hrRow{}
	r.find(`[data-testid="invite-hr-row"]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-personio-id")
		_, dis := s.Find(`[data-testid="invite-hr-check"]`).Attr("disabled")
		out[id] = hrRow{id: id, disabled: dis, noEmail: s.Find(`[data-testid="no-email"]`).Length() == 1,
			email: strings.TrimSpace(s.Find(".has-text-grey").First().Text()), team: strings.TrimSpace(s.Find(`[data-testid="invite-hr-team-cell"]`).Text())}
	})
	return out
}

func TestInviteViaHR(t *testing.T) {
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 60, Seed: 11})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		orgID := a.orgID(t)
		connectSandbox(t, owner, sbURL)
		syncEmployees(t, owner)
		// The run shows as finished before its OnFinish hook
		// (hrconnect.FirstImportNotifier) emails the owner: wait for that
		// mail, so that no mail of the sync lands while invitation mails
		// are counted below.
		waitFirstImportMail(t, a, "olga@acme.test")

		// Current employees (no end date at all, to keep clear of today).
		count := map[string]int{}
		for _, e := range sb.Employees() {
			count[strings.ToLower(strings.TrimSpace(e.Email))]++
		}
		var withEmail, noEmail []sandbox.Employee
		for _, e := range sb.Employees() {
			if e.Status == "inactive" || e.TerminationDate != "" || e.LastWorkingDay != "" || e.Team == "" || len(e.CostCenters) == 0 {
				continue
			}
			switch k := strings.ToLower(strings.TrimSpace(e.Email)); {
			case k == "":
				noEmail = append(noEmail, e)
			case count[k] == 1:
				withEmail = append(withEmail, e)
			}
		}
		if len(withEmail) < 3 || len(noEmail) == 0 {
			t.Fatalf("sandbox: %d with email, %d without", len(withEmail), len(noEmail))
		}
		e1, e2 := withEmail[0], withEmail[1]

		users := owner.get("/users")
		if href, _ := users.testid("invite-hr").Attr("href"); href != "/users/invite-hr" {
			t.Fatalf("no Invite users via HR button")
		}
		page := owner.get("/users/invite-hr")
		expectStatus(t, page, http.StatusOK)
		if n := page.testid("invite-hr-row").Length(); n == 0 || n > 50 {
			t.Fatalf("%d rows", n)
		}

		// Team and cost-center filter.
		cc := e1.CostCenters[0].Name
		filtered := owner.get("/users/invite-hr?team=" + url.QueryEscape(e1.Team) + "&cost_center=" + url.QueryEscape(cc))
		expectStatus(t, filtered, http.StatusOK)
		rows := inviteRows(filtered)
		if _, ok := rows[fmt.Sprint(e1.ID)]; !ok {
			t.Fatalf("%s not in the filtered list %v", e1.Email, rows)
		}
		for _, e := range sb.Employees() {
			if _, ok := rows[fmt.Sprint(e.ID)]; !ok {
				continue
			}
			inCC := false
			for _, c := range e.CostCenters {
				inCC = inCC || c.Name == cc
			}
			if e.Team != e1.Team || !inCC {
				t.Errorf("employee %d (%s) shown for team %s / %s", e.ID, e.Team, e1.Team, cc)
			}
		}
		if rows[fmt.Sprint(e1.ID)].team != "unmapped" {
			t.Errorf("team cell %q, want unmapped (no mapping yet)", rows[fmt.Sprint(e1.ID)].team)
		}

		// An employee without email is shown but not selectable, and refused when posted.
		ne := noEmail[0]
		r := owner.get("/users/invite-hr?q=" + url.QueryEscape(strings.ToLower(ne.LastName)))
		if row, ok := inviteRows(r)[fmt.Sprint(ne.ID)]; !ok || !row.disabled || !row.noEmail {
			t.Fatalf("no-email employee row %+v (shown %v)", row, ok)
		}
		mails := len(a.mailbox.Messages())
		r = owner.post("/users/invite-hr", "/users/invite-hr", url.Values{"employee": {fmt.Sprint(e1.ID), fmt.Sprint(ne.ID)}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("form-error").Text(), "no email") {
			t.Errorf("error %q", r.testid("form-error").Text())
		}
		if all := a.mailbox.Messages(); len(all) != mails {
			t.Fatalf("mails sent by a refused invite: %d new, newest to %s %q", len(all)-mails, all[0].To, all[0].Subject)
		}
		if linked, _ := st.LinkedUsers(t.Context(), orgID, []int64{int64(e1.ID)}); len(linked) != 0 {
			t.Fatalf("a refused invite created a user for %s", e1.Email)
		}

		// Invite selected.
		r = owner.post("/users/invite-hr", "/users/invite-hr", url.Values{"employee": {fmt.Sprint(e1.ID), fmt.Sprint(e2.ID)}})
		expectStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/users" {
			t.Errorf("redirect to %q", loc)
		}
		if f := owner.get("/users").testid("flash").Text(); !strings.Contains(f, "2 invitations sent.") {
			t.Errorf("flash %q", f)
		}
		linked, err := st.LinkedUsers(t.Context(), orgID, []int64{int64(e1.ID), int64(e2.ID)})
		if err != nil || len(linked) != 2 {
			t.Fatalf("linked %v %v", linked, err)
		}
		for _, e := range []sandbox.Employee{e1, e2} {
			u := linked[int64(e.ID)]
			if u.Status != store.StatusInvited || u.Email != strings.ToLower(strings.TrimSpace(e.Email)) || u.JobTitle != e.Position || u.Role != store.RoleMember {
				t.Errorf("user for %d: %+v", e.ID, u)
			}
			// Every field Personio manages comes with the invitation.
			if u.HireDate != e.HireDate || !strings.Contains(u.CostCenter, e.CostCenters[0].Name) || u.PersonioSyncedAt == nil {
				t.Errorf("user for %d lacks Personio fields: hire date %q (want %q), cost center %q (want %q)",
					e.ID, u.HireDate, e.HireDate, u.CostCenter, e.CostCenters[0].Name)
			}
			found := false
			for _, m := range a.mailbox.Messages() {
				found = found || (m.To == u.Email && strings.Contains(m.Link, "/invitations/"))
			}
			if !found {
				t.Errorf("no invitation mail to %s", u.Email)
			}
		}
		if _, ok := inviteRows(owner.get("/users/invite-hr?q=" + url.QueryEscape(strings.ToLower(e1.LastName))))[fmt.Sprint(e1.ID)]; ok {
			t.Errorf("invited employee still offered")
		}

		// Twice is impossible.
		r = owner.post("/users/invite-hr", "/users/invite-hr", url.Values{"employee": {fmt.Sprint(e1.ID)}})
		expectStatus(t, r, http.StatusUnprocessableEntity)

		// All matching the team filter: those with a unique email.
		before := inviteRows(owner.get("/users/invite-hr?team=" + url.QueryEscape(e1.Team)))
		want := 0
		for _, row := range before {
			if !row.noEmail && count[row.email] == 1 {
				want++
			}
		}
		if want == 0 {
			t.Fatalf("nobody left to invite in team %s", e1.Team)
		}
		r = owner.post("/users/invite-hr?team="+url.QueryEscape(e1.Team), "/users/invite-hr/all", url.Values{"team": {e1.Team}})
		expectStatus(t, r, http.StatusSeeOther)
		if f := owner.get("/users").testid("flash").Text(); !strings.Contains(f, fmt.Sprintf("%d invitation", want)) {
			t.Errorf("flash %q, want %d", f, want)
		}
		for _, row := range inviteRows(owner.get("/users/invite-hr?team=" + url.QueryEscape(e1.Team))) {
			if !row.noEmail && count[row.email] == 1 {
				t.Errorf("employee %s left after invite all", row.id)
			}
		}

		// Members and managers may not.
		m := a.acceptAs(a.invite(owner, "mia@acme.test", "Mia", "manager"), "Mia")
		if r := m.get("/users/invite-hr"); r.status != http.StatusForbidden {
			t.Errorf("manager GET: %d", r.status)
		}
		mem := a.acceptAs(a.invite(owner, "max@acme.test", "Max", "member"), "Max")
		for _, c := range []*client{m, mem} {
			tok := c.csrf("/")
			for _, p := range []string{"/users/invite-hr", "/users/invite-hr/all"} {
				if r := c.do(http.MethodPost, p, url.Values{"_csrf": {tok}, "employee": {fmt.Sprint(e2.ID)}}, nil); r.status != http.StatusForbidden {
					t.Errorf("POST %s: %d", p, r.status)
				}
			}
		}
	})
}

// waitFirstImportMail waits until the "first import done" email of the sync's
// OnFinish hook reached to: the hook runs after the run is recorded as
// finished, so a test that counts mails must not start before it.
func waitFirstImportMail(t *testing.T, a *app, to string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range a.mailbox.Messages() {
			if m.To == to && strings.Contains(m.Subject, "first Personio import") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no first-import email to %s within 10s", to)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
