package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/rosterhq/roster/internal/store"
)

// profileActivityFixture is the absence fixture (Mia in Mona's team) with
// a plain member, Nina, absences of Mia around today and time entries of
// her current week.
type profileActivityFixture struct {
	absenceFixture
	nina      *client
	today     time.Time // midnight in the organisation's time zone
	monday    time.Time
	loc       *time.Location
	mondayID  int64 // Mia's first Monday entry, pushed to Personio
	absenceAt map[string]int64
}

func newProfileActivityFixture(t *testing.T, a *app) profileActivityFixture {
	t.Helper()
	f := profileActivityFixture{absenceFixture: newAbsenceFixture(t, a), absenceAt: map[string]int64{}}
	f.nina = a.acceptAs(a.invite(f.owner, "nina@acme.test", "Nina Nobody", "member"), "Nina Nobody")
	loc, err := time.LoadLocation("Europe/Berlin") // the organisation's time zone (setupOrg)
	if err != nil {
		t.Fatal(err)
	}
	f.loc = loc
	// The fixture's "today" and the app's must be the same day: right
	// before midnight in Berlin, wait for the new day.
	if n := time.Now().In(loc); n.Hour() == 23 && n.Minute() >= 58 {
		time.Sleep(time.Until(time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 1, 0, loc)))
	}
	n := time.Now().In(loc)
	f.today = time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	f.monday = f.today.AddDate(0, 0, -((int(f.today.Weekday()) + 6) % 7))
	ctx := context.Background()
	day := func(off int) string { return f.today.AddDate(0, 0, off).Format("2006-01-02") }
	now := time.Now().UTC()
	add := func(key string, orgID, userID int64, from, to int, status, source string, halfStart bool) {
		t.Helper()
		ab := &store.Absence{OrgID: orgID, UserID: userID, CategoryID: &f.vacationID, StartDate: day(from), EndDate: day(to), HalfDayStart: halfStart,
			Status: status, Source: source, CreatedAt: now, UpdatedAt: now}
		if orgID != f.orgID {
			ab.CategoryID = nil
		}
		if err := a.store.CreateAbsence(ctx, ab); err != nil {
			t.Fatal(err)
		}
		f.absenceAt[key] = ab.ID
	}
	add("upcoming", f.orgID, f.memberID, 10, 12, store.AbsencePending, store.SourceRoster, false)
	add("imported", f.orgID, f.memberID, -5, -3, store.AbsenceToConfirm, store.SourcePersonio, false)
	add("half", f.orgID, f.memberID, -20, -20, store.AbsenceApproved, store.SourceRoster, true)
	add("old", f.orgID, f.memberID, -200, -198, store.AbsenceApproved, store.SourceRoster, false)
	add("cancelled", f.orgID, f.memberID, 30, 31, store.AbsenceCancelled, store.SourceRoster, false)
	add("mona", f.orgID, f.mgrID, 1, 2, store.AbsenceApproved, store.SourceRoster, false)

	entry := func(orgID int64, d time.Time, from, to string, brk int, status string) int64 {
		t.Helper()
		at := func(hm string) time.Time {
			c, err := time.Parse("15:04", hm)
			if err != nil {
				t.Fatal(err)
			}
			return time.Date(d.Year(), d.Month(), d.Day(), c.Hour(), c.Minute(), 0, 0, loc).UTC()
		}
		end := at(to)
		e := &store.TimeEntry{OrgID: orgID, UserID: f.memberID, Day: d.Format("2006-01-02"), StartAt: at(from), EndAt: &end, BreakMinutes: brk,
			Status: status, CreatedAt: now, UpdatedAt: now}
		if err := a.store.InsertTimeEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	tue := f.monday.AddDate(0, 0, 1)
	f.mondayID = entry(f.orgID, f.monday, "09:00", "17:00", 30, store.TimeConfirmed) // 7:30
	entry(f.orgID, f.monday, "18:00", "19:00", 0, store.TimeCompleted)               // 1:00
	entry(f.orgID, tue, "08:00", "12:15", 0, store.TimeRejected)                     // no total
	entry(f.orgID, tue, "13:00", "14:45", 15, store.TimeCompleted)                   // 1:30
	entry(f.orgID, f.monday.AddDate(0, 0, -3), "09:00", "17:00", 0, store.TimeCompleted)
	if err := a.store.InsertOutboxItem(ctx, &store.OutboxItem{OrgID: f.orgID, Kind: store.OutboxTimeEntry, RecordID: f.mondayID, Op: store.OutboxCreate,
		State: store.OutboxPushed, Attempts: 1, NextAttemptAt: now, FirstChangeAt: now, PushedAt: &now, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return f
}

// profileShowsActivity checks Mia's absences and time on a full profile.
func profileShowsActivity(t *testing.T, f profileActivityFixture, r *resp, who string) {
	t.Helper()
	if r.testid("profile-limited").Length() != 0 {
		t.Fatalf("%s gets the limited profile", who)
	}
	rows := r.testid("profile-absence")
	var statuses []string
	rows.Each(func(_ int, s *goquery.Selection) { statuses = append(statuses, s.AttrOr("data-status", "")) })
	if got := strings.Join(statuses, ","); got != "pending,to_confirm,approved" {
		t.Fatalf("%s sees absences %q, want the upcoming, the imported and the half day, newest first", who, got)
	}
	if l := rows.Eq(1).Find(`[data-testid="profile-absence-status"]`).Text(); l != "from Personio — to confirm" {
		t.Fatalf("%s sees the imported absence as %q", who, l)
	}
	if d := rows.Eq(2).Find(`[data-testid="profile-absence-dates"]`).Text(); !strings.Contains(d, "(half)") {
		t.Fatalf("half day not shown: %q", d)
	}
	if c := rows.Eq(0).Find(`[data-testid="profile-absence-category"]`).Text(); c != "Vacation" {
		t.Fatalf("category %q", c)
	}
	if !strings.Contains(rows.Eq(0).Text(), "working day") {
		t.Fatalf("no working days on %q", rows.Eq(0).Text())
	}
	if r.testid("profile-absences-more").Length() != 0 {
		t.Fatalf("%s sees a 'more' line with 3 absences", who)
	}
	// Time: Monday 7:30 + 1:00, Tuesday 1:30 (the rejected entry counts for nothing).
	if got := r.testid("profile-time-total").Text(); got != "10:00 h" {
		t.Fatalf("%s sees a week total of %q, want 10:00 h", who, got)
	}
	days := r.testid("profile-time-day")
	if days.Length() != 7 {
		t.Fatalf("%d days in the week", days.Length())
	}
	if got := days.Eq(0).Find(`[data-testid="profile-time-day-total"]`).Text(); strings.TrimSpace(got) != "8:30 h" {
		t.Fatalf("Monday total %q", got)
	}
	if got := days.Eq(1).Find(`[data-testid="profile-time-day-total"]`).Text(); strings.TrimSpace(got) != "1:30 h" {
		t.Fatalf("Tuesday total %q", got)
	}
	if n := r.testid("profile-time-entry").Length(); n != 4 {
		t.Fatalf("%d entries this week, want 4 (last week's left out)", n)
	}
	if r.find(`[data-testid="profile-time-entry"][data-status="rejected"]`).Length() != 1 {
		t.Fatal("the rejected entry is not shown as rejected")
	}
	if p := r.testid("profile-time-push"); p.Length() != 1 || p.Text() != "in Personio" {
		t.Fatalf("push state %d %q", p.Length(), p.Text())
	}
}

func TestProfileActivity(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		f := newProfileActivityFixture(t, a)
		mia := "/people/" + itoa(f.memberID)

		// Mia herself: links to her own pages.
		r := f.member.get(mia)
		expectStatus(t, r, http.StatusOK)
		profileShowsActivity(t, f, r, "Mia")
		if h := r.testid("profile-absences-link").AttrOr("href", ""); h != "/absences" {
			t.Fatalf("Mia's absences link %q", h)
		}
		if h := r.testid("profile-time-link").AttrOr("href", ""); h != "/time" {
			t.Fatalf("Mia's time link %q", h)
		}

		// Her team's manager: links to where she decides.
		r = f.mgr.get(mia)
		expectStatus(t, r, http.StatusOK)
		profileShowsActivity(t, f, r, "her manager")
		if h := r.testid("profile-absences-link").AttrOr("href", ""); h != "/approvals" {
			t.Fatalf("the manager's absences link %q", h)
		}
		if h := r.testid("profile-time-link").AttrOr("href", ""); h != "/time/review" {
			t.Fatalf("the manager's time link %q", h)
		}

		// The owner (admin).
		r = f.owner.get(mia)
		expectStatus(t, r, http.StatusOK)
		profileShowsActivity(t, f, r, "the owner")

		// A colleague and a manager of someone else: the card, no activity.
		for who, c := range map[string]*client{"a colleague": f.nina, "another manager": f.otherMgr} {
			r = c.get(mia)
			expectStatus(t, r, http.StatusOK)
			if r.testid("profile-limited").Length() != 1 || r.testid("profile-absences").Length() != 0 || r.testid("profile-time").Length() != 0 ||
				strings.Contains(r.body, "Vacation") || strings.Contains(r.body, "to confirm") || strings.Contains(r.body, "Time this week") {
				t.Fatalf("%s sees Mia's absences or time", who)
			}
		}

		// Another organisation: 404, and rows it holds under Mia's id are
		// not Mia's.
		other, org := a.createOrg("Other", "owner@other.test")
		expectStatus(t, other.get(mia), http.StatusNotFound)
		now := time.Now().UTC()
		if err := a.store.CreateAbsence(context.Background(), &store.Absence{OrgID: org.ID, UserID: f.memberID, StartDate: f.today.Format("2006-01-02"),
			EndDate: f.today.Format("2006-01-02"), Status: store.AbsenceApproved, Source: store.SourceRoster, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		end := now
		if err := a.store.InsertTimeEntry(context.Background(), &store.TimeEntry{OrgID: org.ID, UserID: f.memberID, Day: f.today.Format("2006-01-02"),
			StartAt: now.Add(-5 * time.Hour), EndAt: &end, Status: store.TimeCompleted, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		r = f.member.get(mia)
		profileShowsActivity(t, f, r, "Mia, with another organisation's rows")
	})
}

func TestProfileActivityEmptyAndMore(t *testing.T) {
	each(t, func(t *testing.T, a *app) {
		f := newProfileActivityFixture(t, a)
		// Nina has nothing: both sections say so.
		r := f.nina.get("/people/" + itoa(a.userID("nina@acme.test")))
		expectStatus(t, r, http.StatusOK)
		if r.testid("profile-no-absences").Length() != 1 || r.testid("profile-no-time").Length() != 1 {
			t.Fatal("empty sections are not explained")
		}
		// Twelve absences in the window: the ten latest, "2 more".
		now := time.Now().UTC()
		for i := range 9 {
			d := f.today.AddDate(0, 0, -80+i*3).Format("2006-01-02")
			if err := a.store.CreateAbsence(context.Background(), &store.Absence{OrgID: f.orgID, UserID: f.memberID, CategoryID: &f.vacationID,
				StartDate: d, EndDate: d, Status: store.AbsenceApproved, Source: store.SourceRoster, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		r = f.mgr.get("/people/" + itoa(f.memberID))
		expectStatus(t, r, http.StatusOK)
		if n := r.testid("profile-absence").Length(); n != 10 {
			t.Fatalf("%d absences shown, want 10", n)
		}
		if m := r.testid("profile-absences-more").Text(); !strings.Contains(m, "2 more") {
			t.Fatalf("more line %q", m)
		}
		if s := r.testid("profile-absence").First().AttrOr("data-status", ""); s != store.AbsencePending {
			t.Fatalf("the upcoming absence is not first: %q", s)
		}
		saveShots(t, map[string]*resp{"profile-activity": r})
	})
}
