package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestTeams(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		if r := owner.get("/teams"); r.testid("empty-state").Length() != 1 {
			t.Fatal("no empty state on teams page")
		}
		r := owner.post("/teams", "/teams", url.Values{"name": {"   "}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if r.testid("error-name").Length() != 1 {
			t.Fatal("empty team name accepted")
		}
		id := createTeam(t, owner, "Support")
		r = owner.post("/teams", "/teams", url.Values{"name": {"support"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("error-name").Text(), "already exists") {
			t.Fatalf("duplicate name message: %q", r.testid("error-name").Text())
		}

		link := a.invite(owner, "sam@acme.test", "Sam", "manager")
		sam := a.acceptAs(link, "Sam")
		samID := a.userID("sam@acme.test")
		sid := itoa(samID)
		page := "/teams/" + id
		// Rename and set manager and approver.
		r = owner.post(page, page, url.Values{"name": {"Customer Support"}, "manager_id": {sid}, "approver_id": {sid}})
		expectStatus(t, r, http.StatusSeeOther)
		// Members.
		expectStatus(t, owner.post(page, page+"/members", url.Values{"user_id": {sid}}), http.StatusSeeOther)
		detail := owner.get(page)
		if detail.testid("team-title").Text() != "Customer Support" || detail.find(`[data-testid="member-row"]`).Length() != 1 {
			t.Fatalf("team detail: title %q, %d members", detail.testid("team-title").Text(), detail.find(`[data-testid="member-row"]`).Length())
		}
		list := owner.get("/teams")
		row := list.find(`[data-testid="team-row"][data-name="Customer Support"]`)
		if row.Length() != 1 || !strings.Contains(row.Text(), "Sam") {
			t.Fatalf("team list row: %q", row.Text())
		}
		// Non-admins can see teams but not change them.
		expectStatus(t, sam.get(page), http.StatusOK)
		if r := sam.do(http.MethodPost, page+"/delete", url.Values{"_csrf": {sam.csrf("/")}}, nil); r.status != http.StatusForbidden {
			t.Fatalf("manager deleted a team: %d", r.status)
		}
		// Delete blocked while it has members, with a clear message.
		r = owner.post(page, page+"/delete", nil)
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.testid("form-error").Text(), "1 member") {
			t.Fatalf("delete-blocked message: %q", r.testid("form-error").Text())
		}
		expectStatus(t, owner.post(page, page+"/members/"+sid+"/remove", nil), http.StatusSeeOther)
		expectStatus(t, owner.post(page, page+"/delete", nil), http.StatusSeeOther)
		if r := owner.get(page); r.status != http.StatusNotFound {
			t.Fatalf("deleted team still there: %d", r.status)
		}
		audit := owner.get("/audit")
		for _, action := range []string{"team.created", "team.updated", "team.member_added", "team.member_removed", "team.deleted", "user.invited"} {
			if !strings.Contains(audit.testid("audit-table").Text(), action) {
				t.Errorf("audit log lacks %s", action)
			}
		}
		frag := owner.do(http.MethodGet, "/audit?action=team.deleted", nil, map[string]string{"HX-Request": "true"})
		if n := frag.find(`[data-testid="audit-row"]`).Length(); n != 1 || strings.Contains(frag.body, "<html") {
			t.Fatalf("audit filter fragment has %d rows", n)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
