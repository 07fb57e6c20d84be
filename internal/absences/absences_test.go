package absences_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/absences"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// clock is an injectable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// renaming wraps a provider and renames time-off types (Personio renames
// a type; the sandbox has no rename switch).
type renaming struct {
	hris.Provider
	names map[int64]string
}

func (r *renaming) ListTimeOffTypes(ctx context.Context) ([]hris.TimeOffType, error) {
	ts, err := r.Provider.ListTimeOffTypes(ctx)
	for i := range ts {
		if n, ok := r.names[ts[i].ID]; ok {
			ts[i].Name = n
		}
	}
	return ts, err
}

type change struct {
	id int64
	op string
}

type fx struct {
	t        *testing.T
	st       *store.Store
	svc      *absences.Service
	clk      *clock
	org      *store.Organization
	owner    roster.Actor
	changes  []change
	names    map[int64]string
	sbURL    string
	noHR     bool
	failHook bool
}

func (f *fx) actor(u *store.User) roster.Actor {
	return roster.Actor{UserID: u.ID, OrgID: u.OrgID, Name: u.Name, Role: u.Role}
}

func (f *fx) user(name, role string, managerID *int64) *store.User {
	f.t.Helper()
	now := f.clk.Now()
	u := &store.User{OrgID: f.org.ID, Email: strings.ToLower(name) + "@acme.test", Name: name, Role: role, Status: store.StatusActive,
		ManagerID: managerID, CreatedAt: now, UpdatedAt: now}
	if err := f.st.CreateUser(f.t.Context(), u); err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fx) team(name string, manager, approver *store.User, members ...*store.User) *store.Team {
	f.t.Helper()
	now := f.clk.Now()
	tm := &store.Team{OrgID: f.org.ID, Name: name, CreatedAt: now, UpdatedAt: now}
	if manager != nil {
		tm.ManagerID = &manager.ID
	}
	if approver != nil {
		tm.ApproverID = &approver.ID
	}
	if err := f.st.CreateTeam(f.t.Context(), tm); err != nil {
		f.t.Fatal(err)
	}
	for _, m := range members {
		if err := f.st.AddTeamMember(f.t.Context(), &store.TeamMember{TeamID: tm.ID, UserID: m.ID, OrgID: f.org.ID, Source: "manual", CreatedAt: now}); err != nil {
			f.t.Fatal(err)
		}
	}
	return tm
}

func (f *fx) category(name string, half bool) *store.AbsenceCategory {
	f.t.Helper()
	c, err := f.svc.CreateCategory(f.t.Context(), f.owner, absences.CategoryInput{Name: name, HalfDays: half})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func newFx(t *testing.T, st *store.Store, sbURL string) *fx {
	t.Helper()
	f := &fx{t: t, st: st, clk: &clock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}, names: map[int64]string{}, sbURL: sbURL}
	ctx := t.Context()
	f.org = &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin", CreatedAt: f.clk.Now(), UpdatedAt: f.clk.Now()}
	if err := st.CreateOrganization(ctx, f.org); err != nil {
		t.Fatal(err)
	}
	providers := func(_ context.Context, _ int64, onCall func(hris.CallInfo)) (hris.Provider, error) {
		if f.noHR || f.sbURL == "" {
			return nil, errors.New("hr connection: not found")
		}
		cl, err := personio.New(personio.Config{BaseURL: f.sbURL, ClientID: sandbox.FullClientID, ClientSecret: sandbox.FullClientSecret,
			Version: "test", Timeout: 5 * time.Second, Limits: personio.NoLimits(), MaxRetries: 1,
			BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, OnCall: onCall})
		if err != nil {
			return nil, err
		}
		return &renaming{Provider: cl, names: f.names}, nil
	}
	ntf := notify.New(st, nil, f.clk.Now, nil)
	f.svc = absences.New(absences.Options{Store: st, Notify: ntf, Providers: providers, Now: f.clk.Now,
		OnChange: func(ctx context.Context, tx *store.Store, a *store.Absence, op string) error {
			if a.ID == 0 || a.OrgID != f.org.ID {
				t.Errorf("OnChange with absence %d of org %d", a.ID, a.OrgID)
			}
			// The hook runs inside the transaction: the change is visible through tx.
			got, err := tx.Absence(ctx, a.OrgID, a.ID)
			if err != nil || got.Status != a.Status {
				t.Errorf("OnChange(%s): absence %d not visible in the transaction as %s: %v", op, a.ID, a.Status, err)
			}
			if f.failHook {
				return errors.New("hook failed")
			}
			f.changes = append(f.changes, change{a.ID, op})
			return nil
		}})
	owner := f.user("Olga", store.RoleOwner, nil)
	f.owner = f.actor(owner)
	return f
}

func TestCategoryMatchingRenameAndCreateMissing(t *testing.T) {
	_, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 5, Seed: 2})
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFx(t, st, sbURL)
		ctx := t.Context()
		vac := f.category("  paid VACATION ", false) // trimmed, matched case-insensitively
		sick := f.category("Sick leave", true)
		f.category("Bereavement", false)

		m, err := f.svc.Matching(ctx, f.owner)
		if err != nil || !m.Connected {
			t.Fatalf("matching: %v %+v", err, m)
		}
		if m.Newly != 2 {
			t.Fatalf("newly paired %d, want 2", m.Newly)
		}
		got, _ := st.AbsenceCategory(ctx, f.org.ID, vac.ID)
		if got.Name != "paid VACATION" || got.PersonioTypeID == nil || *got.PersonioTypeID != 113437 || got.PersonioTypeName != "Paid vacation" {
			t.Fatalf("vacation pairing: %+v", got)
		}
		var unmatched []string
		for _, ty := range m.UnmatchedTypes {
			unmatched = append(unmatched, ty.Name)
		}
		want := []string{"Parental leave", "Home office", "Unpaid vacation", "Special leave"}
		slices.Sort(unmatched)
		slices.Sort(want)
		if !slices.Equal(unmatched, want) { // the hour-based Doctor's appointment is left out
			t.Fatalf("unmatched types %v, want %v", unmatched, want)
		}
		var unpaired []string
		for _, p := range m.Pairs {
			if p.Type == nil {
				unpaired = append(unpaired, p.Category.Name)
			}
		}
		if !slices.Equal(unpaired, []string{"Bereavement"}) {
			t.Fatalf("unpaired categories %v", unpaired)
		}

		// Personio renames the vacation type: the pairing holds by id and the shown name follows.
		f.names[113437] = "Annual leave"
		if m, err = f.svc.Matching(ctx, f.owner); err != nil || m.Newly != 1 {
			t.Fatalf("after rename: %v newly %d", err, m.Newly)
		}
		got, _ = st.AbsenceCategory(ctx, f.org.ID, vac.ID)
		if *got.PersonioTypeID != 113437 || got.PersonioTypeName != "Annual leave" {
			t.Fatalf("after rename: %+v", got)
		}
		// A second look changes nothing.
		if m, _ = f.svc.Matching(ctx, f.owner); m.Newly != 0 {
			t.Fatalf("stable matching changed %d", m.Newly)
		}

		// Pair by hand, refusing a type paired elsewhere.
		ber, _ := st.AbsenceCategories(ctx, f.org.ID)
		var berID int64
		for _, c := range ber {
			if c.Name == "Bereavement" {
				berID = c.ID
			}
		}
		if err := f.svc.Pair(ctx, f.owner, berID, 113438); roster.FieldErrors(err)["type_id"] == "" {
			t.Fatalf("pairing a type paired with %d: %v", sick.ID, err)
		}
		if err := f.svc.Pair(ctx, f.owner, berID, 113442); err != nil {
			t.Fatal(err)
		}

		n, err := f.svc.CreateMissing(ctx, f.owner)
		if err != nil || n != 3 {
			t.Fatalf("create missing: %d %v", n, err)
		}
		if m, _ = f.svc.Matching(ctx, f.owner); len(m.UnmatchedTypes) != 0 {
			t.Fatalf("still unmatched after create missing: %+v", m.UnmatchedTypes)
		}
		cats, _ := st.AbsenceCategories(ctx, f.org.ID)
		if len(cats) != 6 {
			t.Fatalf("%d categories, want 6", len(cats))
		}
		audit, _, _ := st.ListAudit(ctx, f.org.ID, store.AuditFilter{})
		actions := map[string]int{}
		for _, e := range audit {
			actions[e.Action]++
		}
		for _, a := range []string{"absence_category.created", "absence_category.matched", "absence_category.paired", "absence_category.created_from_personio"} {
			if actions[a] == 0 {
				t.Errorf("no %s audit event (%v)", a, actions)
			}
		}

		// A member may not open the matching page.
		mem := f.user("Mia", store.RoleMember, nil)
		if _, err := f.svc.Matching(ctx, f.actor(mem)); !errors.Is(err, roster.ErrForbidden) {
			t.Fatalf("member matching: %v", err)
		}
		// Not connected: a clear message and the categories still listed.
		f.noHR = true
		m, err = f.svc.Matching(ctx, f.owner)
		if err != nil || m.Connected || !strings.Contains(m.Problem, "not connected") || len(m.Pairs) != 6 {
			t.Fatalf("not connected: %v %+v", err, m)
		}
		if _, err := f.svc.CreateMissing(ctx, f.owner); roster.FieldErrors(err)[""] == "" {
			t.Fatalf("create missing without connection: %v", err)
		}
	})
}

func TestRequestValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFx(t, st, "")
		ctx := t.Context()
		vac := f.category("Vacation", false)
		sick := f.category("Sick", true)
		mem := f.actor(f.user("Mia", store.RoleMember, nil))
		if _, err := f.svc.Request(ctx, mem, absences.Input{StartDate: "2026-03-16", EndDate: "2026-03-20", CategoryID: vac.ID}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			in    absences.Input
			field string
		}{
			{"missing start", absences.Input{EndDate: "2026-04-01", CategoryID: vac.ID}, "start_date"},
			{"bad date", absences.Input{StartDate: "01.04.2026", EndDate: "2026-04-01", CategoryID: vac.ID}, "start_date"},
			{"end before start", absences.Input{StartDate: "2026-04-03", EndDate: "2026-04-01", CategoryID: vac.ID}, "end_date"},
			{"no category", absences.Input{StartDate: "2026-04-01", EndDate: "2026-04-01"}, "category_id"},
			{"half day not allowed", absences.Input{StartDate: "2026-04-01", EndDate: "2026-04-02", HalfDayStart: true, CategoryID: vac.ID}, "half_day_start"},
			{"both halves of one day", absences.Input{StartDate: "2026-04-01", EndDate: "2026-04-01", HalfDayStart: true, HalfDayEnd: true, CategoryID: sick.ID}, "half_day_end"},
			{"overlap", absences.Input{StartDate: "2026-03-19", EndDate: "2026-03-24", CategoryID: sick.ID}, "start_date"},
			{"category of another kind of id", absences.Input{StartDate: "2026-04-01", EndDate: "2026-04-01", CategoryID: 99999}, "category_id"},
		} {
			_, err := f.svc.Request(ctx, mem, tc.in)
			if fe := roster.FieldErrors(err); fe[tc.field] == "" {
				t.Errorf("%s: errors %v, want one on %s", tc.name, fe, tc.field)
			}
		}
		// Half days on a category that allows them, adjacent to the first absence.
		if _, err := f.svc.Request(ctx, mem, absences.Input{StartDate: "2026-03-21", EndDate: "2026-03-23", HalfDayEnd: true, CategoryID: sick.ID}); err != nil {
			t.Fatal(err)
		}
		if len(f.changes) != 2 || f.changes[0].op != store.OutboxCreate || f.changes[1].op != store.OutboxCreate {
			t.Fatalf("changes %+v", f.changes)
		}
		// A failing hook rolls the request back.
		f.failHook = true
		if _, err := f.svc.Request(ctx, mem, absences.Input{StartDate: "2026-05-04", EndDate: "2026-05-04", CategoryID: vac.ID}); err == nil {
			t.Fatal("request with failing hook succeeded")
		}
		rows, _ := st.UserAbsences(ctx, f.org.ID, mem.UserID)
		if len(rows) != 2 {
			t.Fatalf("%d absences after a failed hook, want 2", len(rows))
		}
	})
}

func TestApproverAssignmentDecisionsEditCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFx(t, st, "")
		ctx := t.Context()
		vac := f.category("Vacation", true)
		boss := f.user("Bea", store.RoleManager, nil)
		apr := f.user("Aron", store.RoleMember, nil)
		lead := f.user("Lena", store.RoleManager, nil)
		other := f.user("Otto", store.RoleManager, nil)
		mia := f.user("Mia", store.RoleMember, &boss.ID)
		max := f.user("Max", store.RoleMember, &boss.ID)
		solo := f.user("Sol", store.RoleMember, nil)
		peer := f.user("Pia", store.RoleMember, nil)
		f.team("Alpha", lead, apr, mia, peer)
		f.team("Beta", lead, nil, max)
		f.team("Gamma", other, nil)

		for _, tc := range []struct {
			who  *store.User
			want int64
		}{{mia, apr.ID}, {max, lead.ID}, {solo, 0}} {
			got, err := f.svc.AssignApprover(ctx, f.org.ID, tc.who.ID)
			if err != nil || ptr(got) != tc.want {
				t.Fatalf("approver of %s: %v %v, want %d", tc.who.Name, ptr(got), err, tc.want)
			}
		}
		// Without a team, the user's manager approves.
		bob := f.user("Bob", store.RoleMember, &boss.ID)
		if got, _ := f.svc.AssignApprover(ctx, f.org.ID, bob.ID); ptr(got) != boss.ID {
			t.Fatalf("approver of Bob: %d", ptr(got))
		}

		ab, err := f.svc.Request(ctx, f.actor(mia), absences.Input{StartDate: "2026-03-16", EndDate: "2026-03-17", CategoryID: vac.ID, Comment: "Family"})
		if err != nil || ptr(ab.ApproverID) != apr.ID {
			t.Fatalf("request: %v approver %d", err, ptr(ab.ApproverID))
		}
		// Edit a pending one (another user cannot find it).
		if err := f.svc.Update(ctx, f.actor(peer), ab.ID, absences.Input{StartDate: "2026-03-16", EndDate: "2026-03-18", CategoryID: vac.ID}); !errors.Is(err, roster.ErrNotFound) {
			t.Fatalf("edit by another user: %v", err)
		}
		if err := f.svc.Update(ctx, f.actor(mia), ab.ID, absences.Input{StartDate: "2026-03-16", EndDate: "2026-03-18", HalfDayEnd: true, CategoryID: vac.ID}); err != nil {
			t.Fatal(err)
		}
		// Who may decide: not a member of the team, not another team's manager, not oneself.
		for _, who := range []*store.User{peer, other, mia} {
			if err := f.svc.Decide(ctx, f.actor(who), ab.ID, true, ""); !errors.Is(err, roster.ErrForbidden) {
				t.Fatalf("%s deciding: %v, want forbidden", who.Name, err)
			}
		}
		// The team's manager (IsManagerOf) may, as may the assigned approver.
		if err := f.svc.Decide(ctx, f.actor(lead), ab.ID, true, "Enjoy"); err != nil {
			t.Fatal(err)
		}
		got, _ := st.Absence(ctx, f.org.ID, ab.ID)
		if got.Status != store.AbsenceApproved || ptr(got.DecidedByID) != lead.ID || got.DecisionNote != "Enjoy" || got.EndDate != "2026-03-18" {
			t.Fatalf("after approval: %+v", got)
		}
		if err := f.svc.Decide(ctx, f.actor(apr), ab.ID, false, ""); roster.FieldErrors(err)[""] == "" {
			t.Fatalf("deciding twice: %v", err)
		}
		if err := f.svc.Update(ctx, f.actor(mia), ab.ID, absences.Input{StartDate: "2026-03-16", EndDate: "2026-03-16", CategoryID: vac.ID}); roster.FieldErrors(err)[""] == "" {
			t.Fatalf("editing an approved absence: %v", err)
		}
		notes, _, _ := st.Notifications(ctx, f.org.ID, mia.ID, false, 10, 0)
		if len(notes) != 1 || !strings.Contains(notes[0].Title, "approved") {
			t.Fatalf("requester notes %+v", notes)
		}
		// Reject by the assigned approver.
		ab2, err := f.svc.Request(ctx, f.actor(mia), absences.Input{StartDate: "2026-04-06", EndDate: "2026-04-06", CategoryID: vac.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Decide(ctx, f.actor(apr), ab2.ID, false, "Release week"); err != nil {
			t.Fatal(err)
		}
		// Cancel the approved one (still ahead), refuse a past one.
		if err := f.svc.Cancel(ctx, f.actor(mia), ab.ID); err != nil {
			t.Fatal(err)
		}
		past, err := f.svc.Request(ctx, f.actor(max), absences.Input{StartDate: "2026-03-02", EndDate: "2026-03-03", CategoryID: vac.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Cancel(ctx, f.actor(max), past.ID); roster.FieldErrors(err)[""] == "" {
			t.Fatalf("cancel in the past: %v", err)
		}
		want := []change{{ab.ID, store.OutboxCreate}, {ab.ID, store.OutboxUpdate}, {ab.ID, store.OutboxUpdate},
			{ab2.ID, store.OutboxCreate}, {ab2.ID, store.OutboxUpdate}, {ab.ID, store.OutboxDelete}, {past.ID, store.OutboxCreate}}
		if !slices.Equal(f.changes, want) {
			t.Fatalf("OnChange calls %+v, want %+v", f.changes, want)
		}
		// Inboxes: the approver sees Mia's pending ones, another team's manager nothing.
		_, err = f.svc.Request(ctx, f.actor(mia), absences.Input{StartDate: "2026-05-04", EndDate: "2026-05-05", CategoryID: vac.ID})
		if err != nil {
			t.Fatal(err)
		}
		if in, _ := f.svc.Approvals(ctx, f.actor(apr)); len(in.Rows) != 1 {
			t.Fatalf("approver inbox %d rows", len(in.Rows))
		}
		if in, _ := f.svc.Approvals(ctx, f.actor(other)); len(in.Rows) != 0 {
			t.Fatalf("other manager inbox %d rows", len(in.Rows))
		}
		if in, _ := f.svc.Approvals(ctx, f.owner); len(in.Rows) != 2 { // Mia's and Max's past one
			t.Fatalf("admin inbox %d rows", len(in.Rows))
		}
		if _, err := f.svc.Approvals(ctx, f.actor(peer)); !errors.Is(err, roster.ErrForbidden) {
			t.Fatalf("member inbox: %v", err)
		}
		audit, _, _ := st.ListAudit(ctx, f.org.ID, store.AuditFilter{})
		actions := map[string]int{}
		for _, e := range audit {
			actions[e.Action]++
		}
		if actions["absence.approved"] != 1 || actions["absence.rejected"] != 1 {
			t.Fatalf("audit %v", actions)
		}
	})
}

func TestConfirmImportedAndCalendar(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFx(t, st, "")
		ctx := t.Context()
		vac := f.category("Vacation", true)
		lead := f.user("Lena", store.RoleManager, nil)
		other := f.user("Otto", store.RoleManager, nil)
		mia := f.user("Mia", store.RoleMember, &lead.ID)
		zed := f.user("Zed", store.RoleMember, nil)
		tm := f.team("Alpha", lead, nil, mia)
		now := f.clk.Now()
		imported := &store.Absence{OrgID: f.org.ID, UserID: mia.ID, CategoryID: &vac.ID, StartDate: "2026-02-26", EndDate: "2026-03-03",
			Status: store.AbsenceToConfirm, Source: store.SourcePersonio, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateAbsence(ctx, imported); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Request(ctx, f.actor(zed), absences.Input{StartDate: "2026-03-30", EndDate: "2026-04-02", CategoryID: vac.ID}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Confirm(ctx, f.actor(other), imported.ID); !errors.Is(err, roster.ErrForbidden) {
			t.Fatalf("other manager confirming: %v", err)
		}
		if in, _ := f.svc.Approvals(ctx, f.actor(lead)); len(in.Rows) != 1 || in.Rows[0].Status != store.AbsenceToConfirm {
			t.Fatalf("manager inbox %+v", in.Rows)
		}
		if err := f.svc.Confirm(ctx, f.actor(lead), imported.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := st.Absence(ctx, f.org.ID, imported.ID)
		if got.Status != store.AbsenceConfirmed {
			t.Fatalf("status %s", got.Status)
		}
		if len(f.changes) != 1 { // only Zed's request; confirming an import changes nothing in Personio
			t.Fatalf("changes %+v", f.changes)
		}

		cal, err := f.svc.TeamCalendar(ctx, f.owner, "2026-03", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(cal.Days) != 31 || len(cal.People) != 5 {
			t.Fatalf("calendar %d days, %d people", len(cal.Days), len(cal.People))
		}
		if len(cal.Absences[mia.ID]) != 1 || len(cal.Absences[zed.ID]) != 1 {
			t.Fatalf("absences in March %+v", cal.Absences)
		}
		if cal, _ = f.svc.TeamCalendar(ctx, f.owner, "2026-03", tm.ID); len(cal.People) != 1 || cal.People[0].ID != mia.ID {
			t.Fatalf("team filter: %+v", cal.People)
		}
		// A manager sees the people they manage and themselves.
		if cal, _ = f.svc.TeamCalendar(ctx, f.actor(lead), "2026-02", 0); len(cal.People) != 2 || len(cal.Absences[mia.ID]) != 1 || len(cal.Days) != 28 {
			t.Fatalf("manager calendar: %d people", len(cal.People))
		}
		if _, err := f.svc.TeamCalendar(ctx, f.actor(zed), "", 0); !errors.Is(err, roster.ErrForbidden) {
			t.Fatalf("member calendar: %v", err)
		}
		bal, year, err := f.svc.Balances(ctx, f.actor(mia))
		if err != nil || year != 2026 || len(bal) != 1 || bal[0].Taken != 4 { // Thu 26 Feb to Tue 3 Mar: 4 working days
			t.Fatalf("balances %+v %d %v", bal, year, err)
		}
	})
}

func TestApproverOutOfOfficeReassignment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFx(t, st, "")
		ctx := t.Context()
		vac := f.category("Vacation", true)
		admin := f.user("Ada", store.RoleAdmin, nil)
		lead := f.user("Lena", store.RoleManager, nil)
		deputy := f.user("Dan", store.RoleManager, nil)
		away2 := f.user("Wes", store.RoleManager, nil)
		mia := f.user("Mia", store.RoleMember, &lead.ID)
		now := f.clk.Now()
		for _, u := range []*store.User{lead, away2} { // absent today (10 March), approved/confirmed
			if err := st.CreateAbsence(ctx, &store.Absence{OrgID: f.org.ID, UserID: u.ID, CategoryID: &vac.ID, StartDate: "2026-03-09", EndDate: "2026-03-13",
				Status: store.AbsenceConfirmed, Source: store.SourcePersonio, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		ab, err := f.svc.Request(ctx, f.actor(mia), absences.Input{StartDate: "2026-04-06", EndDate: "2026-04-07", CategoryID: vac.ID})
		if err != nil || ptr(ab.ApproverID) != lead.ID {
			t.Fatalf("request: %v %d", err, ptr(ab.ApproverID))
		}
		ooo := func(uid int64) int {
			ns, _, _ := st.Notifications(ctx, f.org.ID, uid, false, 50, 0)
			n := 0
			for _, x := range ns {
				if x.Kind == notify.KindOutOfOffice {
					n++
				}
			}
			return n
		}
		if ooo(mia.ID) != 1 || ooo(admin.ID) != 1 || ooo(f.owner.UserID) != 1 {
			t.Fatalf("out-of-office notes: requester %d admin %d owner %d", ooo(mia.ID), ooo(admin.ID), ooo(f.owner.UserID))
		}
		// Deduplicated.
		if err := f.svc.CheckOutOfOffice(ctx, f.org.ID, ab); err != nil || ooo(mia.ID) != 1 {
			t.Fatalf("dedupe: %v %d", err, ooo(mia.ID))
		}
		// Eligible: active managers and admins not away and not the current approver.
		el, err := f.svc.EligibleApprovers(ctx, f.actor(mia), ab.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range el {
			names = append(names, u.Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"Ada", "Dan", "Olga"}) {
			t.Fatalf("eligible %v", names)
		}
		if err := f.svc.Reassign(ctx, f.actor(mia), ab.ID, away2.ID); roster.FieldErrors(err)["approver_id"] == "" {
			t.Fatalf("reassign to an absent approver: %v", err)
		}
		other := f.user("Oz", store.RoleMember, nil)
		if err := f.svc.Reassign(ctx, f.actor(other), ab.ID, deputy.ID); !errors.Is(err, roster.ErrNotFound) {
			t.Fatalf("reassign by a stranger: %v", err)
		}
		if err := f.svc.Reassign(ctx, f.actor(mia), ab.ID, deputy.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := st.Absence(ctx, f.org.ID, ab.ID)
		if ptr(got.ApproverID) != deputy.ID {
			t.Fatalf("approver %d", ptr(got.ApproverID))
		}
		if in, _ := f.svc.Approvals(ctx, f.actor(deputy)); len(in.Rows) != 1 {
			t.Fatalf("deputy inbox %d", len(in.Rows))
		}
		audit, _, _ := st.ListAudit(ctx, f.org.ID, store.AuditFilter{Action: "absence.approver_reassigned"})
		if len(audit) != 1 || !strings.Contains(audit[0].Details, "from Lena to Dan") {
			t.Fatalf("audit %+v", audit)
		}
		if err := f.svc.Decide(ctx, f.actor(deputy), ab.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		// The next day the approver is back: no note for a new request.
		f.clk.t = time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)
		if _, err := f.svc.Request(ctx, f.actor(mia), absences.Input{StartDate: "2026-05-04", EndDate: "2026-05-04", CategoryID: vac.ID}); err != nil {
			t.Fatal(err)
		}
		if ooo(mia.ID) != 1 {
			t.Fatalf("out-of-office notes after return: %d", ooo(mia.ID))
		}
		// The approver's new absence (imported by a sync) starts today: the
		// after-sync check tells the requester and the admins, once.
		if err := st.CreateAbsence(ctx, &store.Absence{OrgID: f.org.ID, UserID: lead.ID, CategoryID: &vac.ID, StartDate: "2026-03-16", EndDate: "2026-03-16",
			Status: store.AbsenceToConfirm, Source: store.SourcePersonio, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.NotifyAwayApprovers(ctx, f.org.ID); err != nil || n != 0 || ooo(mia.ID) != 1 {
			t.Fatalf("to-confirm absence counted as away: %d %v", n, err)
		}
		if err := st.CreateAbsence(ctx, &store.Absence{OrgID: f.org.ID, UserID: lead.ID, CategoryID: &vac.ID, StartDate: "2026-03-15", EndDate: "2026-03-17",
			Status: store.AbsenceConfirmed, Source: store.SourcePersonio, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := f.svc.AfterSync(ctx, &store.SyncRun{OrgID: f.org.ID}); err != nil {
				t.Fatal(err)
			}
		}
		if ooo(mia.ID) != 2 || ooo(admin.ID) != 2 {
			t.Fatalf("after-sync out-of-office notes: requester %d admin %d", ooo(mia.ID), ooo(admin.ID))
		}
	})
}

func ptr(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
