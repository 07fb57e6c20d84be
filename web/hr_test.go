package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func TestConnectWizard(t *testing.T) {
	_, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 20, Seed: 3})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		tab := owner.get("/settings/hr")
		if tab.testid("hr-not-connected").Length() != 1 {
			t.Fatal("HR tab does not offer to connect")
		}
		r := owner.get("/settings/hr/connect")
		if r.header.Get("Location") != "/settings/hr/connect/provider" {
			t.Fatalf("wizard starts at %q", r.header.Get("Location"))
		}
		expectStatus(t, owner.post("/settings/hr/connect/provider", "/settings/hr/connect/provider", url.Values{"provider": {"personio"}}), http.StatusSeeOther)
		// "Use the sandbox" fills in the bundled sandbox.
		pre := owner.get("/settings/hr/connect/credentials?sandbox=1")
		if v, _ := pre.find(`input[name="base_url"]`).Attr("value"); v != sbURL {
			t.Fatalf("sandbox prefill base url %q", v)
		}

		creds := func(base, id, secret string) url.Values {
			return url.Values{"base_url": {base}, "client_id": {id}, "client_secret": {secret}}
		}
		bad := []struct {
			name, field, want string
			form              url.Values
		}{
			{"wrong secret", "client_secret", "rejected", creds(sbURL, sandbox.FullClientID, "wrong-secret")},
			{"unreachable host", "base_url", "reach", creds("http://127.0.0.1:1", sandbox.FullClientID, "x")},
			{"not a url", "base_url", "base URL", creds("ftp:/nope", sandbox.FullClientID, "x")},
			{"missing id", "client_id", "client ID", creds(sbURL, "", "x")},
			{"partner id case", "partner_id", "UPPER_SNAKE_CASE", url.Values{"base_url": {sbURL}, "client_id": {"x"}, "client_secret": {"y"}, "partner_id": {"acme"}}},
		}
		for _, tc := range bad {
			r := owner.post("/settings/hr/connect/credentials", "/settings/hr/connect/credentials", tc.form)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			msg := r.testid("error-" + tc.field).Text()
			if !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.want)) {
				t.Errorf("%s: message next to %s = %q", tc.name, tc.field, msg)
			}
			if strings.Contains(r.body, "wrong-secret") {
				t.Errorf("%s: the secret was rendered back", tc.name)
			}
			if _, err := st.HRConnection(t.Context(), a.orgID(t)); err == nil {
				t.Fatalf("%s: a connection was saved although the check failed", tc.name)
			}
		}

		r = owner.post("/settings/hr/connect/credentials", "/settings/hr/connect/credentials", creds(sbURL, sandbox.FullClientID, sandbox.FullClientSecret))
		expectStatus(t, r, http.StatusSeeOther)
		check := owner.get("/settings/hr/connect/check")
		rows := check.find(`[data-testid="attribute-row"]`)
		if rows.Length() < 10 || check.find(`[data-testid="attribute-row"][data-readable="false"]`).Length() != 0 {
			t.Fatalf("full credential: %d rows, some missing: %s", rows.Length(), check.testid("attribute-table").Text())
		}
		// Settings step validates.
		r = owner.post("/settings/hr/connect/settings", "/settings/hr/connect/settings", url.Values{"full_sync_time": {"25:00"}, "partial_interval_hours": {"2"}, "lookback_hours": {"1"},
			"team_source": {"team"}, "new_hires": {"notify"}, "invite_days_ahead": {"0"}, "grace_days": {"0"}, "safeguard_percent": {"10"}, "safeguard_max": {"20"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if r.testid("error-full_sync_time").Length() != 1 || r.testid("error-lookback_hours").Length() != 1 {
			t.Fatal("settings errors not shown")
		}
		r = owner.post("/settings/hr/connect/settings", "/settings/hr/connect/settings", url.Values{"background_sync": {"on"}, "full_sync_time": {"05:45"}, "partial_interval_hours": {"3"}, "lookback_hours": {"6"},
			"statuses": {"active", "onboarding"}, "subcompanies": {"Acme GmbH, Acme Ltd"}, "team_source": {"department"}, "new_hires": {"invite"},
			"invite_days_ahead": {"7"}, "grace_days": {"1"}, "safeguard_percent": {"15"}, "safeguard_max": {"30"},
			"absences_leading": {"roster"}, "absences_only_approved": {"on"}, "time_push": {"on"}})
		expectStatus(t, r, http.StatusSeeOther)
		if r.header.Get("Location") != "/settings/hr/connect/done" {
			t.Fatalf("after settings: %s", r.header.Get("Location"))
		}
		saved, _ := st.SyncSettings(t.Context(), a.orgID(t))
		if saved.FullSyncTime != "05:45" || saved.TeamSource != "department" || saved.FilterStatuses != `["active","onboarding"]` || saved.FilterSubcompanies != `["Acme GmbH","Acme Ltd"]` {
			t.Fatalf("settings not saved: %+v", saved)
		}
		if saved.AbsencesLeading != "roster" || !saved.AbsencesOnlyApproved || !saved.TimePush || saved.TimeOnlyConfirmed {
			t.Fatalf("absence and time settings not saved: leading %q only approved %v push %v only confirmed %v",
				saved.AbsencesLeading, saved.AbsencesOnlyApproved, saved.TimePush, saved.TimeOnlyConfirmed)
		}
		form := owner.get("/settings/hr/sync")
		if v, _ := form.find(`select[name="absences_leading"] option[selected]`).Attr("value"); v != "roster" || form.testid("setting-time_push").AttrOr("checked", "none") == "none" {
			t.Fatalf("settings form does not show the saved absence/time settings (leading %q)", v)
		}
		badLead := owner.post("/settings/hr/sync", "/settings/hr/sync", url.Values{"full_sync_time": {"05:45"}, "partial_interval_hours": {"3"}, "lookback_hours": {"6"},
			"team_source": {"team"}, "new_hires": {"notify"}, "invite_days_ahead": {"0"}, "grace_days": {"0"}, "safeguard_percent": {"10"}, "safeguard_max": {"20"},
			"absences_leading": {"excel"}})
		expectStatus(t, badLead, http.StatusUnprocessableEntity)
		if badLead.testid("error-absences_leading").Length() != 1 {
			t.Fatal("no error for an unknown leading system")
		}

		tab = owner.get("/settings/hr")
		if strings.TrimSpace(tab.testid("hr-status").Text()) != "connected" || tab.testid("secret-masked").Text() != "••••cret" {
			t.Fatalf("HR tab: status %q secret %q", tab.testid("hr-status").Text(), tab.testid("secret-masked").Text())
		}
		for _, p := range []string{"/settings/hr", "/settings/hr/connect/credentials", "/settings/hr/sync", "/audit"} {
			if strings.Contains(owner.get(p).body, sandbox.FullClientSecret) {
				t.Errorf("%s renders the client secret", p)
			}
		}
		// The checks' calls are in the API log, failed ones too, without secrets.
		log := owner.get("/settings/hr/api-log?area=connection")
		if log.find(`[data-testid="api-call-row"]`).Length() < 4 || !strings.Contains(log.body, "401") && !strings.Contains(log.body, "400") {
			t.Errorf("connection checks missing from the API log (%d rows)", log.find(`[data-testid="api-call-row"]`).Length())
		}
		if strings.Contains(log.body, sandbox.FullClientSecret) || strings.Contains(log.body, "wrong-secret") {
			t.Error("API log shows a secret")
		}
		conn, err := st.HRConnection(t.Context(), a.orgID(t))
		if err != nil || strings.Contains(conn.ClientSecretEnc, sandbox.FullClientSecret) || !strings.HasPrefix(conn.ClientSecretEnc, "v1:") {
			t.Fatalf("secret not encrypted at rest: %v %q", err, conn.ClientSecretEnc)
		}
		// Replacing credentials with an empty secret keeps the stored one (the check still runs live).
		r = owner.post("/settings/hr/connect/credentials", "/settings/hr/connect/credentials", creds(sbURL, sandbox.FullClientID, ""))
		expectStatus(t, r, http.StatusSeeOther)
		// The restricted credential: missing attributes and the features they disable.
		r = owner.post("/settings/hr/connect/credentials", "/settings/hr/connect/credentials", creds(sbURL, sandbox.RestrictedClientID, sandbox.RestrictedClientSecret))
		expectStatus(t, r, http.StatusSeeOther)
		check = owner.get("/settings/hr/connect/check")
		for key, feature := range map[string]string{"last_working_day": "Automatic offboarding", "termination_date": "termination", "team": "Personio team", "cost_centers": "Cost-center"} {
			row := check.find(`[data-testid="attribute-row"][data-key="` + key + `"]`)
			if v, _ := row.Attr("data-readable"); v != "false" || !strings.Contains(row.Text(), feature) {
				t.Errorf("restricted %s: readable=%s text %q", key, v, row.Text())
			}
		}
		if check.find(`[data-testid="attribute-row"][data-readable="false"]`).Length() != 4 {
			t.Errorf("restricted credential should miss exactly 4 attributes")
		}

		// Disconnect keeps everything.
		users := snapshot(t, st, a.orgID(t))
		expectStatus(t, owner.post("/settings/hr", "/settings/hr/disconnect", nil), http.StatusSeeOther)
		if owner.get("/settings/hr").testid("hr-not-connected").Length() != 1 {
			t.Fatal("still connected after disconnect")
		}
		after := snapshot(t, st, a.orgID(t))
		if strings.Split(users, "audit")[0] != strings.Split(after, "audit")[0] {
			t.Fatal("disconnect changed users or teams")
		}
		audit := owner.get("/audit").testid("audit-table").Text()
		for _, action := range []string{"hr.connected", "hr.settings_changed", "hr.disconnected"} {
			if !strings.Contains(audit, action) {
				t.Errorf("audit lacks %s", action)
			}
		}
	})
}

func TestMembersCannotSeeHRSettings(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		owner := a.setupOrg("Acme", "olga@acme.test")
		m := a.acceptAs(a.invite(owner, "m@acme.test", "M", "manager"), "M")
		for _, p := range []string{"/settings/hr", "/settings/hr/connect/credentials", "/settings/hr/sync"} {
			if r := m.get(p); r.status != http.StatusForbidden {
				t.Errorf("manager on %s: %d", p, r.status)
			}
		}
	})
}

func (a *app) orgID(t *testing.T) int64 {
	t.Helper()
	o, err := a.store.OrganizationBySlug(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}
