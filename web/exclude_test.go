package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func TestExcludeEmployeeFromSync(t *testing.T) {
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 40, Seed: 11})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		orgID := a.orgID(t)
		connectSandbox(t, owner, sbURL)
		syncEmployees(t, owner)

		count := map[string]int{}
		for _, e := range sb.Employees() {
			count[strings.ToLower(strings.TrimSpace(e.Email))]++
		}
		var cur []sandbox.Employee
		for _, e := range sb.Employees() {
			k := strings.ToLower(strings.TrimSpace(e.Email))
			if e.Status != "inactive" && e.TerminationDate == "" && e.LastWorkingDay == "" && k != "" && count[k] == 1 {
				cur = append(cur, e)
			}
		}
		if len(cur) < 3 {
			t.Fatalf("sandbox: %d current employees", len(cur))
		}
		e1, e2, e3 := cur[0], cur[1], cur[2]
		id1, id2, id3 := fmt.Sprint(e1.ID), fmt.Sprint(e2.ID), fmt.Sprint(e3.ID)
		const emps = "/settings/hr/employees"

		// e2 is invited (linked user); e3 exists as an unlinked user.
		r := owner.post("/users/invite-hr", "/users/invite-hr", url.Values{"employee": {id2}})
		expectStatus(t, r, http.StatusSeeOther)
		a.invite(owner, e3.Email, "Unlinked Three", "member")

		// Exclude e1, e2 and e3 from the HR employees page.
		for _, id := range []string{id1, id2, id3} {
			r = owner.post(emps, emps+"/"+id+"/exclude", url.Values{"back": {"q=x"}})
			expectStatus(t, r, http.StatusSeeOther)
			if loc := r.header.Get("Location"); loc != emps+"?q=x" {
				t.Errorf("redirect %q", loc)
			}
		}
		page := owner.get(emps + "?q=" + url.QueryEscape(strings.ToLower(e1.LastName)))
		if f := page.testid("flash").Text(); !strings.Contains(f, "excluded from the sync") {
			t.Errorf("flash %q", f)
		}
		row := page.find(`[data-testid="hr-employee-row"][data-personio-id="` + id1 + `"]`)
		if row.Find(`[data-testid="employee-excluded"]`).Length() != 1 || row.Find(`[data-testid="include-employee"]`).Length() != 1 ||
			row.Find(`[data-testid="exclude-employee"]`).Length() != 0 {
			t.Fatalf("excluded row: %s", row.Text())
		}

		// Not offered for invite, and refused when posted.
		if _, ok := inviteRows(owner.get("/users/invite-hr?q=" + url.QueryEscape(strings.ToLower(e1.LastName))))[id1]; ok {
			t.Error("excluded employee offered for invite")
		}
		mails := len(a.mailbox.Messages())
		r = owner.post("/users/invite-hr", "/users/invite-hr", url.Values{"employee": {id1}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("form-error").Text(), "excluded from the sync") {
			t.Errorf("error %q", r.testid("form-error").Text())
		}
		if len(a.mailbox.Messages()) != mails {
			t.Fatal("mail sent for an excluded employee")
		}

		// Not offered as a link match; refused when posted.
		u3 := a.userID(strings.ToLower(strings.TrimSpace(e3.Email)))
		link := owner.get("/settings/hr/link")
		if link.find(`[data-testid="link-match"][data-user-id="`+fmt.Sprint(u3)+`"]`).Length() != 0 {
			t.Error("excluded employee offered as a link match")
		}
		r = owner.post("/settings/hr/link", "/settings/hr/link", url.Values{fmt.Sprintf("pick_%d", u3): {id3}})
		expectStatus(t, r, http.StatusUnprocessableEntity)

		// A Personio edit does not reach the excluded employee's user.
		if _, err := sb.Update(e2.ID, sandbox.EmployeeInput{Position: sandbox.Ptr("Excluded Officer")}); err != nil {
			t.Fatal(err)
		}
		syncEmployees(t, owner)
		linked, err := st.LinkedUsers(t.Context(), orgID, []int64{int64(e2.ID)})
		if err != nil || linked[int64(e2.ID)].JobTitle == "Excluded Officer" || linked[int64(e2.ID)].ID == 0 {
			t.Fatalf("excluded employee's user changed: %+v %v", linked[int64(e2.ID)], err)
		}

		// Include again: back everywhere, and the next change flows.
		for _, id := range []string{id1, id2, id3} {
			expectStatus(t, owner.post(emps, emps+"/"+id+"/include", url.Values{}), http.StatusSeeOther)
		}
		if _, ok := inviteRows(owner.get("/users/invite-hr?q=" + url.QueryEscape(strings.ToLower(e1.LastName))))[id1]; !ok {
			t.Error("included employee not offered for invite")
		}
		if owner.get("/settings/hr/link").find(`[data-testid="link-match"][data-user-id="`+fmt.Sprint(u3)+`"]`).Length() != 1 {
			t.Error("included employee not offered as a link match")
		}
		if _, err := sb.Update(e2.ID, sandbox.EmployeeInput{Position: sandbox.Ptr("Included Officer")}); err != nil {
			t.Fatal(err)
		}
		syncEmployees(t, owner)
		linked, _ = st.LinkedUsers(t.Context(), orgID, []int64{int64(e2.ID)})
		if got := linked[int64(e2.ID)].JobTitle; got != "Included Officer" {
			t.Errorf("job title after include %q", got)
		}
		evs, _, err := st.ListAudit(t.Context(), orgID, store.AuditFilter{Action: "hr.employee_excluded"})
		if err != nil || len(evs) != 3 {
			t.Errorf("exclude audit %d %v", len(evs), err)
		}

		// Unknown ids are 404; members may not.
		if r := owner.post(emps, emps+"/999999/exclude", url.Values{}); r.status != http.StatusNotFound {
			t.Errorf("unknown id: %d", r.status)
		}
		mem := a.acceptAs(a.invite(owner, "max@acme.test", "Max", "member"), "Max")
		if r := mem.do(http.MethodPost, emps+"/"+id1+"/exclude", url.Values{"_csrf": {mem.csrf("/")}}, nil); r.status != http.StatusForbidden {
			t.Errorf("member exclude: %d", r.status)
		}
	})
}
