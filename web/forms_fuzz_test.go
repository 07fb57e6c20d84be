package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/absences"
	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// fuzzApp drives the real handlers in process (SQLite) as a logged-in
// owner, for fuzz targets that post arbitrary form bodies.
type fuzzApp struct {
	h       http.Handler
	st      *store.Store
	built   *builtApp
	orgID   int64
	ownerID int64
	cookies []*http.Cookie
}

const fuzzCSRF = "fuzz-csrf-token-for-tests-only"

func newFuzzApp(f *testing.F) *fuzzApp {
	f.Helper()
	st := storetest.Open(f, store.SQLite)
	b := buildServer(f, st, "", slog.New(slog.DiscardHandler))
	org, owner, err := b.acc.Setup(context.Background(), accounts.SetupInput{OrgName: "Acme", TimeZone: "Europe/Berlin", OwnerName: "Olga Owner",
		Email: "olga@acme.test", Password: testPassword})
	if err != nil {
		f.Fatal(err)
	}
	fa := &fuzzApp{h: b.srv.Handler(), st: st, built: b, orgID: org.ID, ownerID: owner.ID,
		cookies: []*http.Cookie{{Name: "roster_csrf", Value: fuzzCSRF}}}
	res := fa.post("/login", url.Values{"email": {"olga@acme.test"}, "password": {testPassword}}.Encode())
	if res.Code != http.StatusSeeOther {
		f.Fatalf("login: %d", res.Code)
	}
	for _, c := range res.Result().Cookies() {
		if c.Name == "roster" {
			fa.cookies = append(fa.cookies, c)
		}
	}
	if len(fa.cookies) != 2 {
		f.Fatal("no session cookie after login")
	}
	return fa
}

func (fa *fuzzApp) do(method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", fuzzCSRF)
	for _, c := range fa.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	fa.h.ServeHTTP(rec, req)
	return rec
}

func (fa *fuzzApp) post(path, body string) *httptest.ResponseRecorder {
	return fa.do(http.MethodPost, path, body)
}

// expectFormAnswer: a form post is accepted (303) or re-rendered with
// field errors (422); never a server error, never another status.
func expectFormAnswer(t *testing.T, res *httptest.ResponseRecorder, body string) {
	t.Helper()
	switch res.Code {
	case http.StatusSeeOther:
	case http.StatusUnprocessableEntity:
		if !strings.Contains(res.Body.String(), "data-testid=\"error-") && !strings.Contains(res.Body.String(), "form-error") {
			t.Fatalf("422 without a field error for %q: %.300s", body, res.Body.String())
		}
	default:
		t.Fatalf("status %d for %q: %.300s", res.Code, body, res.Body.String())
	}
}

func FuzzInviteForm(f *testing.F) {
	for _, seed := range []string{
		"email=ada%40acme.test&name=Ada&role=member",
		"email=+ADA%40Acme.Test+&name=+Ada+Lovelace+&role=admin&team_ids=1",
		"email=olga%40acme.test&name=Olga&role=member",
		"email=bob%40acme.test&name=Bob&role=owner",
		"email=not-an-email&name=&role=root",
		"email=c%40acme.test&name=C&role=manager&team_ids=999999999999&team_ids=-1&team_ids=x",
		"email=%zz&name=%00&role=member",
		"email=d%40acme.test&name=%3DHYPERLINK(%22http%3A%2F%2Fevil%22)&role=member",
		"",
	} {
		f.Add(seed)
	}
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body string) {
		before := fa.maxUserID(t)
		res := fa.post("/users/invite", body)
		expectFormAnswer(t, res, body)
		after := fa.maxUserID(t)
		if res.Code == http.StatusUnprocessableEntity && after != before {
			t.Fatalf("a rejected invitation created a user: %q", body)
		}
		if res.Code != http.StatusSeeOther {
			return
		}
		if after == before {
			t.Fatalf("an accepted invitation created no user: %q", body)
		}
		u, err := fa.st.User(context.Background(), fa.orgID, after)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != strings.ToLower(strings.TrimSpace(u.Email)) || !accounts.ValidEmail(u.Email) || strings.TrimSpace(u.Name) != u.Name || u.Name == "" {
			t.Fatalf("stored user %q <%s> from %q", u.Name, u.Email, body)
		}
		// The actor is an owner, who may invite any role, owners included.
		if !slices.Contains(store.Roles, u.Role) || u.Status != store.StatusInvited {
			t.Fatalf("invited as %q (%s) from %q", u.Role, u.Status, body)
		}
	})
}

func (fa *fuzzApp) maxUserID(t *testing.T) int64 {
	var id int64
	if err := fa.st.DB().Table("users").Select("COALESCE(MAX(id), 0)").Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

var hhmmRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

func FuzzSyncSettingsForm(f *testing.F) {
	valid := url.Values{"background_sync": {"on"}, "full_sync_time": {"05:45"}, "partial_interval_hours": {"3"}, "lookback_hours": {"6"},
		"statuses": {"active", "onboarding"}, "subcompanies": {"Acme GmbH, Acme Ltd"}, "team_source": {"department"}, "new_hires": {"invite"},
		"invite_days_ahead": {"7"}, "grace_days": {"1"}, "safeguard_percent": {"15"}, "safeguard_max": {"30"}}
	f.Add(valid.Encode())
	bank := url.Values{}
	for k, v := range valid {
		bank[k] = v
	}
	bank.Set("bank_import", "on")
	bank.Set("iban_attribute", " dynamic_21827 ")
	bank.Set("bic_attribute", "dynamic_21828")
	bank.Set("holder_attribute", "dynamic_21829")
	bank.Set("absences_leading", "roster")
	f.Add(bank.Encode())
	for _, seed := range []string{
		"full_sync_time=24:00&partial_interval_hours=0&lookback_hours=-1&team_source=x&new_hires=y",
		"full_sync_time=06:30&partial_interval_hours=99999999999999999999&lookback_hours=1e3&team_source=team&new_hires=notify&safeguard_percent=+10+&safeguard_max=20",
		"full_sync_time=06:30&partial_interval_hours=6&lookback_hours=3&team_source=team&new_hires=notify&safeguard_percent=10&safeguard_max=20&statuses=fired",
		"bank_import=on&iban_attribute=iban&team_source=team",
		"subcompanies=%2C%2C+%2C&offices=a%2Cb%2C%2Ca&absences_leading=both",
		"%zz=%zz&&=&statuses",
	} {
		f.Add(seed)
	}
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body string) {
		res := fa.post("/settings/hr/sync", body)
		expectFormAnswer(t, res, body)
		if res.Code != http.StatusSeeOther {
			return
		}
		s, err := fa.st.SyncSettings(context.Background(), fa.orgID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !hhmmRe.MatchString(s.FullSyncTime):
			t.Fatalf("full sync time %q from %q", s.FullSyncTime, body)
		case s.PartialIntervalHours < 1 || s.PartialIntervalHours > 24 || s.LookbackHours < s.PartialIntervalHours || s.LookbackHours > 168:
			t.Fatalf("interval %d lookback %d from %q", s.PartialIntervalHours, s.LookbackHours, body)
		case s.TeamSource != "team" && s.TeamSource != "department", s.NewHires != "notify" && s.NewHires != "invite":
			t.Fatalf("team source %q new hires %q from %q", s.TeamSource, s.NewHires, body)
		case s.InviteDaysAhead < 0 || s.InviteDaysAhead > 90 || s.GraceDays < 0 || s.GraceDays > 90 || s.SafeguardPercent < 1 || s.SafeguardPercent > 100 || s.SafeguardMax < 1:
			t.Fatalf("days/safeguard out of range from %q: %+v", body, s)
		case !slices.Contains([]string{"off", "personio", "roster"}, s.AbsencesLeading):
			t.Fatalf("absences leading %q from %q", s.AbsencesLeading, body)
		}
		for _, st := range hrconnect.List(s.FilterStatuses) {
			if !slices.Contains(hrconnect.Statuses, st) {
				t.Fatalf("status %q stored from %q", st, body)
			}
		}
		for _, list := range []string{s.FilterSubcompanies, s.FilterOffices, s.FilterEmploymentTypes} {
			for _, v := range hrconnect.List(list) {
				if v == "" || v != strings.TrimSpace(v) || strings.Contains(v, ",") {
					t.Fatalf("list entry %q stored from %q", v, body)
				}
			}
		}
		for _, k := range []string{s.IBANAttribute, s.BICAttribute, s.HolderAttribute} {
			if k != strings.TrimSpace(k) || (s.BankImport && k == "") {
				t.Fatalf("bank attribute %q (import %v) from %q", k, s.BankImport, body)
			}
		}
	})
}

func FuzzTimeEntryForm(f *testing.F) {
	for _, seed := range []string{
		"day=2026-03-02&start=09:00&end=17:30&break=30&comment=Work&project=Roster",
		"day=2026-03-02&start=22:00&end=02:00&break=0",
		"day=2026-03-29&start=01:30&end=03:30&break=119",
		"day=2026-03-02&start=09:00&end=09:00&break=1440",
		"day=2026-03-02&start=9:00&end=17:00",
		"day=02.03.2026&start=25:00&end=-1&break=-5",
		"day=2026-02-30&start=08:00&end=12:00&break=99999999999999999999",
		"day=2026-03-02&start=08:00&end=12:00&break=240",
		"day=+2026-03-02+&start=+08:00&end=12:00+&comment=%3D1%2B1",
		"",
	} {
		f.Add(seed)
	}
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body string) {
		var before int64
		fa.st.DB().Model(&store.TimeEntry{}).Count(&before)
		res := fa.post("/time/entries", body)
		expectFormAnswer(t, res, body)
		var after int64
		fa.st.DB().Model(&store.TimeEntry{}).Count(&after)
		if res.Code != http.StatusSeeOther {
			if after != before {
				t.Fatalf("a rejected entry was stored: %q", body)
			}
			return
		}
		var e store.TimeEntry
		if err := fa.st.DB().Order("id DESC").First(&e).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := time.Parse("2006-01-02", e.Day); err != nil {
			t.Fatalf("day %q from %q", e.Day, body)
		}
		if e.EndAt == nil || !e.EndAt.After(e.StartAt) || e.EndAt.Sub(e.StartAt) > 24*time.Hour {
			t.Fatalf("entry %v–%v from %q", e.StartAt, e.EndAt, body)
		}
		if e.BreakMinutes < 0 || time.Duration(e.BreakMinutes)*time.Minute >= e.EndAt.Sub(e.StartAt) {
			t.Fatalf("break %d min in %v from %q", e.BreakMinutes, e.EndAt.Sub(e.StartAt), body)
		}
		if e.UserID != fa.ownerID || e.OrgID != fa.orgID {
			t.Fatalf("entry stored for user %d org %d", e.UserID, e.OrgID)
		}
	})
}

func FuzzAbsenceForm(f *testing.F) {
	fa := newFuzzApp(f)
	owner := roster.Actor{UserID: fa.ownerID, OrgID: fa.orgID, Role: store.RoleOwner, Name: "Olga Owner"}
	cat, err := fa.built.abs.CreateCategory(context.Background(), owner, absences.CategoryInput{Name: "Vacation", HalfDays: true})
	if err != nil {
		f.Fatal(err)
	}
	cid := itoa(cat.ID)
	for _, seed := range []string{
		"start_date=2031-07-01&end_date=2031-07-05&category_id=" + cid + "&comment=Summer",
		"start_date=2031-08-05&end_date=2031-08-01&category_id=" + cid,
		"start_date=2031-09-01&end_date=2031-09-01&half_day_start=on&half_day_end=on&category_id=" + cid,
		"start_date=2031-02-29&end_date=2031-03-01&category_id=" + cid,
		"start_date=2031-10-01&end_date=2031-10-02&category_id=999999",
		"start_date=01.10.2031&end_date=&category_id=-1",
		"start_date=+2031-11-03+&end_date=2031-11-04&category_id=+" + cid + "&comment=%3Dcmd",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var before int64
		fa.st.DB().Model(&store.Absence{}).Count(&before)
		res := fa.post("/absences", body)
		expectFormAnswer(t, res, body)
		var after int64
		fa.st.DB().Model(&store.Absence{}).Count(&after)
		if res.Code != http.StatusSeeOther {
			if after != before {
				t.Fatalf("a rejected request was stored: %q", body)
			}
			return
		}
		var ab store.Absence
		if err := fa.st.DB().Order("id DESC").First(&ab).Error; err != nil {
			t.Fatal(err)
		}
		s, err1 := time.Parse("2006-01-02", ab.StartDate)
		e, err2 := time.Parse("2006-01-02", ab.EndDate)
		if err1 != nil || err2 != nil || e.Before(s) {
			t.Fatalf("absence %q–%q from %q", ab.StartDate, ab.EndDate, body)
		}
		if ab.CategoryID == nil || *ab.CategoryID != cat.ID || ab.UserID != fa.ownerID || ab.OrgID != fa.orgID {
			t.Fatalf("absence category %v user %d from %q", ab.CategoryID, ab.UserID, body)
		}
		// Free the days again so that the next input is judged on its own.
		if err := fa.st.DB().Delete(&store.Absence{}, ab.ID).Error; err != nil {
			t.Fatal(err)
		}
	})
}

// formulaStart reports a CSV cell a spreadsheet would run as a formula.
func formulaStart(cell string) bool {
	return cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0]))
}

// FuzzUsersExportCSV puts arbitrary names and job titles (as Personio or
// an admin could set them) into the users export: every cell that could
// start a formula is neutralised, no row is injected, and the JSON export
// carries the value unchanged.
func FuzzUsersExportCSV(f *testing.F) {
	for _, seed := range [][2]string{
		{"Ada Lovelace", "Engineer"},
		{"=HYPERLINK(\"http://evil.test\",\"click\")", "+1-555"},
		{"-2+3", "@SUM(A1:A9)"},
		{"\t=1+1", "\r=cmd|' /C calc'!A0"},
		{"Name, with \"quotes\"\nand a line", "'=already quoted"},
		{" =leading space", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, name, title string) {
		if err := fa.st.UpdateUserFields(context.Background(), fa.orgID, fa.ownerID, map[string]any{"name": name, "job_title": title}); err != nil {
			t.Skip("not storable:", err) // e.g. NUL bytes or invalid UTF-8 the database refuses
		}
		res := fa.do(http.MethodGet, "/users/export?format=csv", "")
		if res.Code != http.StatusOK {
			t.Fatalf("csv export: %d", res.Code)
		}
		recs, err := csv.NewReader(bytes.NewReader(res.Body.Bytes())).ReadAll()
		if err != nil {
			t.Fatalf("export is not valid CSV: %v", err)
		}
		if len(recs) != 2 {
			t.Fatalf("%d CSV records for one user (name %q, title %q)", len(recs), name, title)
		}
		for _, cell := range recs[1] {
			if formulaStart(cell) {
				t.Fatalf("formula cell %q (name %q, title %q)", cell, name, title)
			}
		}
		norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		if recs[1][2] != norm(roster.CSVSafe(name)) || recs[1][5] != norm(roster.CSVSafe(title)) {
			t.Fatalf("cells %q / %q, want %q / %q", recs[1][2], recs[1][5], roster.CSVSafe(name), roster.CSVSafe(title))
		}
		res = fa.do(http.MethodGet, "/users/export?format=json", "")
		var rows []struct {
			Name     string `json:"name"`
			JobTitle string `json:"job_title"`
		}
		if err := json.Unmarshal(res.Body.Bytes(), &rows); err != nil || len(rows) != 1 {
			t.Fatalf("json export: %v (%d rows)", err, len(rows))
		}
		// JSON is UTF-8: invalid bytes (only the SQLite test store keeps them) become U+FFFD.
		if utf8.ValidString(name) && utf8.ValidString(title) && (rows[0].Name != name || rows[0].JobTitle != title) {
			t.Fatalf("json export changed %q/%q into %q/%q", name, title, rows[0].Name, rows[0].JobTitle)
		}
	})
}

// FuzzHREmployeesExportCSV does the same for the mirror of Personio
// employees, whose every text comes from outside: names, position, team,
// office and cost centres.
func FuzzHREmployeesExportCSV(f *testing.F) {
	for _, seed := range [][4]string{
		{"Ada", "Lovelace", "Engineer", "Platform"},
		{"=1+1", "+49 30 1234", "-Intern", "@Team"},
		{"\t=cmd|' /C calc'!A0", "\rline", "Pos,\"quoted\"", "Team\nNext"},
		{"=HYPERLINK(\"http://evil.test\")", "", "", "CC-100 Engineering"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	fa := newFuzzApp(f)
	now := time.Now().UTC()
	row := store.HREmployee{OrgID: fa.orgID, PersonioID: 1001, Status: "active", InScope: true, FirstSeenAt: now, LastSyncedAt: now,
		CostCenters: "[]", Custom: "{}", Warnings: "[]", CheckWarnings: "[]"}
	if err := fa.st.DB().Create(&row).Error; err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, first, last, position, team string) {
		err := fa.st.DB().Model(&store.HREmployee{}).Where("id = ?", row.ID).Updates(map[string]any{"first_name": first, "last_name": last,
			"position": position, "team_name": team, "office_name": team, "cost_center_names": "|" + position + "|" + team + "|"}).Error
		if err != nil {
			t.Skip("not storable:", err)
		}
		res := fa.do(http.MethodGet, "/settings/hr/employees/export?format=csv", "")
		if res.Code != http.StatusOK {
			t.Fatalf("csv export: %d %.200s", res.Code, res.Body.String())
		}
		recs, err := csv.NewReader(bytes.NewReader(res.Body.Bytes())).ReadAll()
		if err != nil {
			t.Fatalf("export is not valid CSV: %v", err)
		}
		if len(recs) != 2 {
			t.Fatalf("%d CSV records for one employee (%q %q %q %q)", len(recs), first, last, position, team)
		}
		for _, cell := range recs[1] {
			if formulaStart(cell) {
				t.Fatalf("formula cell %q (%q %q %q %q)", cell, first, last, position, team)
			}
		}
		norm := func(s string) string { return strings.ReplaceAll(roster.CSVSafe(s), "\r\n", "\n") }
		if recs[1][1] != norm(first) || recs[1][2] != norm(last) || recs[1][5] != norm(position) || recs[1][6] != norm(team) {
			t.Fatalf("cells %q, from %q %q %q %q", recs[1], first, last, position, team)
		}
	})
}
