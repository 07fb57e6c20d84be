package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// preview runs a preview (a minute later on the clock) and returns it with
// its items.
func (j *journey) preview(mode, trigger string) (*store.SyncPreview, []store.SyncPreviewItem) {
	j.t.Helper()
	j.clk.Add(time.Minute)
	r, started, err := j.svc.Run(j.t.Context(), j.org.ID, hrsync.Request{Area: store.AreaEmployees, Mode: mode, Trigger: trigger, Preview: true})
	if err != nil || !started || r.Status != store.RunPreviewed {
		j.t.Fatalf("preview: started %v, err %v, run %+v", started, err, r)
	}
	pv, err := j.svc.PreviewOfRun(j.t.Context(), j.org.ID, r.ID)
	if err != nil {
		j.t.Fatal(err)
	}
	if pv.Status != store.PreviewReady {
		j.t.Fatalf("preview status %s (%s)", pv.Status, pv.Note)
	}
	items, err := j.svc.AllPreviewItems(j.t.Context(), j.org.ID, pv.ID)
	if err != nil {
		j.t.Fatal(err)
	}
	j.clk.Add(time.Minute)
	return pv, items
}

// apply applies a preview and returns the run and its error.
func (j *journey) apply(pv *store.SyncPreview) (*store.SyncRun, error) {
	j.t.Helper()
	j.clk.Add(time.Minute)
	r, started, err := j.svc.Run(j.t.Context(), j.org.ID, hrsync.Request{ApplyPreview: pv.ID})
	if !started && err == nil {
		j.t.Fatal("apply did not start")
	}
	j.clk.Add(time.Minute)
	return r, err
}

func kinds(items []store.SyncPreviewItem) map[string]int {
	m := map[string]int{}
	for _, it := range items {
		m[it.Kind]++
	}
	return m
}

func hasItem(items []store.SyncPreviewItem, kind, field, newValue string) bool {
	return slices.ContainsFunc(items, func(it store.SyncPreviewItem) bool {
		return it.Kind == kind && (field == "" || it.Field == field) && (newValue == "" || it.NewValue == newValue)
	})
}

func (j *journey) mirrorCount() int64 {
	j.t.Helper()
	var n int64
	if err := j.st.DB().Model(&store.HREmployee{}).Where("org_id = ?", j.org.ID).Count(&n).Error; err != nil {
		j.t.Fatal(err)
	}
	return n
}

// TestPreviewEqualsApply: a preview shows what a sync would do and changes
// nothing; its apply does exactly that (the lineage of the apply run is the
// preview's user changes, the invitation and email go out after the
// commit); a preview right after the apply is empty. First with the first
// import, then with a transfer, a title change, a leaver and an
// auto-invited new hire.
func TestPreviewEqualsApply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		boss := j.hire("Bea", "Boss", func(in *sandbox.EmployeeInput) { in.Team = sandbox.Ptr("Alpha Squad") })
		boss2 := j.hire("Bob", "Boss", func(in *sandbox.EmployeeInput) { in.Team = sandbox.Ptr("Beta Squad") })
		tom := j.hire("Tom", "Transfer", func(in *sandbox.EmployeeInput) {
			in.Team, in.SupervisorID = sandbox.Ptr("Alpha Squad"), sandbox.Ptr(boss.ID)
		})
		lea := j.hire("Lea", "Leaver", nil)

		// The first import as a preview: every employee is new, nothing
		// is written.
		pv, items := j.preview(store.ModeFull, store.TriggerFirstImport)
		if n := kinds(items)[store.PreviewEmployeeNew]; n != 34 || pv.Records != 34 {
			t.Fatalf("first import preview: %d new employees, %d records, kinds %v", n, pv.Records, kinds(items))
		}
		if n := j.mirrorCount(); n != 0 {
			t.Fatalf("the preview wrote %d mirror rows", n)
		}
		run, err := j.apply(pv)
		if err != nil || run.Status != store.RunSucceeded || run.Trigger != store.TriggerFirstImport {
			t.Fatalf("apply of the first import: %v, %+v", err, run)
		}
		if n := j.mirrorCount(); n != 34 {
			t.Fatalf("mirror has %d rows after the apply, want 34", n)
		}
		if again, items := j.preview(store.ModeFull, store.TriggerManual); len(items) != 0 || again.Total() != 0 {
			t.Fatalf("preview after the apply is not empty: %v", kinds(items))
		}

		// Users, mapping and changes in Personio.
		alpha, beta := j.team("Alpha"), j.team("Beta")
		j.mapTo(boss.ID, alpha)
		j.mapTo(boss2.ID, beta)
		j.link(boss.ID, "bea.boss@acme.test")
		j.link(boss2.ID, "bob.boss@acme.test")
		tomU := j.link(tom.ID, "tom.transfer@acme.test")
		leaU := j.link(lea.ID, "lea.leaver@acme.test")
		j.settings(func(s *store.SyncSettings) { s.NewHires = lifecycle.NewHiresInvite })
		j.sync(store.ModeFull, store.TriggerManual) // the links' first values
		tomBefore := j.user(tomU.ID)

		j.update(tom.ID, sandbox.EmployeeInput{Team: sandbox.Ptr("Beta Squad"), SupervisorID: sandbox.Ptr(boss2.ID), Position: sandbox.Ptr("Staff Engineer")})
		j.update(lea.ID, sandbox.EmployeeInput{Status: sandbox.Ptr("inactive")})
		nina := j.hire("Nina", "New", func(in *sandbox.EmployeeInput) { in.HireDate = sandbox.Ptr(j.date(-1)) })
		mailsBefore := len(j.mb.Messages())

		pv, items = j.preview(store.ModeFull, store.TriggerManual)
		for _, want := range []struct{ kind, field, new string }{
			{store.PreviewTeamMove, store.LineageTeam, "Beta"},
			{store.PreviewManagerChange, store.LineageManager, ""},
			{store.PreviewUserField, "job_title", "Staff Engineer"},
			{store.PreviewDeactivation, store.LineageStatus, store.StatusDeactivated},
			{store.PreviewInvite, "", ""},
			{store.PreviewEmployeeNew, "", ""},
			{store.PreviewEmployeeChanged, "team", "Beta Squad"},
			{store.PreviewEmployeeChanged, "status", "inactive"},
			{store.PreviewEmail, "subject", ""},
		} {
			if !hasItem(items, want.kind, want.field, want.new) {
				t.Errorf("preview lacks %s %s → %q; items %v", want.kind, want.field, want.new, describe(items))
			}
		}
		if !slices.ContainsFunc(items, func(it store.SyncPreviewItem) bool {
			return it.Kind == store.PreviewInvite && it.PersonioID != nil && *it.PersonioID == int64(nina.ID)
		}) {
			t.Errorf("the new hire's invitation is not previewed: %v", describe(items))
		}
		// Nothing happened.
		if u := j.user(tomU.ID); u.JobTitle != tomBefore.JobTitle || !u.UpdatedAt.Equal(tomBefore.UpdatedAt) {
			t.Fatalf("the preview changed Tom: %q (%v) → %q (%v)", tomBefore.JobTitle, tomBefore.UpdatedAt, u.JobTitle, u.UpdatedAt)
		}
		if u := j.user(leaU.ID); u.Status != store.StatusActive {
			t.Fatalf("the preview deactivated Lea: %s", u.Status)
		}
		if _, ok := j.userLinkedTo(nina.ID); ok {
			t.Fatal("the preview invited Nina")
		}
		if e := j.employee(tom.ID); e.TeamName != "Alpha Squad" {
			t.Fatalf("the preview wrote the mirror: team %q", e.TeamName)
		}
		if n := len(j.mb.Messages()); n != mailsBefore {
			t.Fatalf("the preview sent %d email(s)", n-mailsBefore)
		}

		run, err = j.apply(pv)
		if err != nil || run.Status != store.RunSucceeded {
			t.Fatalf("apply: %v, %+v", err, run)
		}
		if u := j.user(tomU.ID); u.JobTitle != "Staff Engineer" {
			t.Errorf("Tom's title after the apply: %q", u.JobTitle)
		}
		if u := j.user(leaU.ID); u.Status != store.StatusDeactivated {
			t.Errorf("Lea after the apply: %s", u.Status)
		}
		if u, ok := j.userLinkedTo(nina.ID); !ok || u.Status != store.StatusInvited {
			t.Errorf("Nina after the apply: linked %v, %+v", ok, u)
		}
		if len(j.mails("nina.new@acme.test")) != 1 {
			t.Errorf("Nina's invitation email: %d sent", len(j.mails("nina.new@acme.test")))
		}
		// The apply's lineage is the preview's user changes, one for one.
		var want, got []string
		for _, it := range items {
			switch it.Kind {
			case store.PreviewUserField, store.PreviewTeamMove, store.PreviewManagerChange, store.PreviewRoleChange, store.PreviewDeactivation, store.PreviewReactivation:
				if it.UserID == nil { // the invited new hire: not linked to an id
					if it.Email != "nina.new@acme.test" {
						t.Errorf("a change without a user: %+v", it)
					}
					continue
				}
				want = append(want, fmt.Sprintf("%d %s %s→%s", *it.UserID, it.Field, it.OldValue, it.NewValue))
			}
		}
		for _, uid := range []int64{tomU.ID, leaU.ID} {
			for _, l := range j.lineage(uid) {
				if runOf(l) == run.ID {
					got = append(got, fmt.Sprintf("%d %s %s→%s", l.UserID, l.Field, l.OldValue, l.NewValue))
				}
			}
		}
		slices.Sort(got)
		var wantTomLea []string
		for _, w := range want {
			if strings.HasPrefix(w, fmt.Sprintf("%d ", tomU.ID)) || strings.HasPrefix(w, fmt.Sprintf("%d ", leaU.ID)) {
				wantTomLea = append(wantTomLea, w)
			}
		}
		slices.Sort(wantTomLea)
		if !slices.Equal(wantTomLea, got) || len(got) == 0 {
			t.Errorf("lineage of the apply run %v, preview showed %v", got, want)
		}
		if st, _ := j.svc.Preview(t.Context(), j.org.ID, pv.ID); st.Status != store.PreviewApplied || st.ApplyRunID == nil || *st.ApplyRunID != run.ID {
			t.Errorf("preview after the apply: %+v", st)
		}

		// apply(preview) leaves a following preview empty.
		if again, items := j.preview(store.ModeFull, store.TriggerManual); len(items) != 0 || again.Total() != 0 {
			t.Fatalf("preview after the apply is not empty: %v", describe(items))
		}
		// An applied preview cannot be applied again.
		if _, _, err := j.svc.Run(t.Context(), j.org.ID, hrsync.Request{ApplyPreview: pv.ID}); err == nil || !strings.Contains(err.Error(), "applied") {
			t.Fatalf("second apply: %v", err)
		}
	})
}

func describe(items []store.SyncPreviewItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, fmt.Sprintf("%s[%s %s: %q→%q]", it.Kind, it.Name, it.Field, it.OldValue, it.NewValue))
	}
	return out
}

// TestPreviewApplyRefusesStale: an apply refuses when Personio changed
// since the preview (naming the employee) and when Roster's data changed
// (the diff would differ); nothing is applied either time. A discarded
// preview cannot be applied.
func TestPreviewApplyRefusesStale(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		pat := j.hire("Pat", "Person", nil)
		j.firstImport()
		patU := j.link(pat.ID, "pat.person@acme.test")
		j.sync(store.ModeFull, store.TriggerManual)

		// Personio changes after the preview.
		j.update(pat.ID, sandbox.EmployeeInput{Position: sandbox.Ptr("Lead")})
		pv, items := j.preview(store.ModePartial, store.TriggerManual)
		if !hasItem(items, store.PreviewUserField, "job_title", "Lead") {
			t.Fatalf("preview: %v", describe(items))
		}
		j.update(pat.ID, sandbox.EmployeeInput{Position: sandbox.Ptr("Principal")})
		run, err := j.apply(pv)
		if !errors.Is(err, hrsync.ErrStalePreview) || run.Status != store.RunRefused {
			t.Fatalf("apply after a Personio change: %v, %+v", err, run)
		}
		if !strings.Contains(run.Error, fmt.Sprint(pat.ID)) || !strings.Contains(run.Error, "Nothing was applied") {
			t.Errorf("run error %q does not name the changed employee", run.Error)
		}
		if got, _ := j.svc.Preview(t.Context(), j.org.ID, pv.ID); got.Status != store.PreviewStale {
			t.Errorf("preview status %s, want stale", got.Status)
		}
		if u := j.user(patU.ID); u.JobTitle == "Lead" || u.JobTitle == "Principal" {
			t.Fatalf("a stale apply changed the user: %q", u.JobTitle)
		}
		if e := j.employee(pat.ID); e.Position == "Principal" || e.Position == "Lead" {
			t.Fatalf("a stale apply wrote the mirror: %q", e.Position)
		}

		// Roster changes after the preview: an admin sets the title by hand.
		pv, items = j.preview(store.ModeFull, store.TriggerManual)
		if !hasItem(items, store.PreviewUserField, "job_title", "Principal") {
			t.Fatalf("second preview: %v", describe(items))
		}
		if err := st.UpdateUserFields(t.Context(), j.org.ID, patU.ID, map[string]any{"job_title": "Principal"}); err != nil {
			t.Fatal(err)
		}
		run, err = j.apply(pv)
		if !errors.Is(err, hrsync.ErrStalePreview) || !strings.Contains(run.Error, "Roster's data changed") {
			t.Fatalf("apply after a Roster change: %v, %+v", err, run)
		}
		if e := j.employee(pat.ID); e.Position != "Engineer" {
			t.Fatalf("a stale apply wrote the mirror: %q", e.Position)
		}

		// Discard.
		pv, _ = j.preview(store.ModeFull, store.TriggerManual)
		if ok, err := j.svc.DiscardPreview(t.Context(), j.org.ID, pv.ID, &j.owner.ID); err != nil || !ok {
			t.Fatalf("discard: %v %v", ok, err)
		}
		if _, _, err := j.svc.Run(t.Context(), j.org.ID, hrsync.Request{ApplyPreview: pv.ID}); err == nil || !strings.Contains(err.Error(), "discarded") {
			t.Fatalf("apply of a discarded preview: %v", err)
		}
		if e := j.employee(pat.ID); e.Position != "Engineer" {
			t.Fatalf("mirror changed: %q", e.Position)
		}
	})
}

// TestPreviewPropertyRandomChanges: over random rounds of changes in
// Personio (hires, team moves, new supervisors, titles, leavers, employees
// turned inactive or deleted) with some employees linked to users and an
// auto-invite policy, every preview is applied as shown (its user changes
// are exactly the apply run's lineage) and the preview that follows an
// apply is empty.
func TestPreviewPropertyRandomChanges(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				previewProperty(t, st, seed)
			})
		})
	}
}

func previewProperty(t *testing.T, st *store.Store, seed uint64) {
	j := newJourney(t, st)
	rng := rand.New(rand.NewPCG(seed, 99))
	pv, _ := j.preview(store.ModeFull, store.TriggerFirstImport)
	if _, err := j.apply(pv); err != nil {
		t.Fatal(err)
	}
	teams := map[string]int64{}
	for _, e := range j.sb.Employees() {
		if e.Team != "" && teams[e.Team] == 0 && len(teams) < 3 {
			teams[e.Team] = j.team("Roster " + e.Team)
			j.mapTo(e.ID, teams[e.Team])
		}
	}
	var names []string
	for n := range teams {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, e := range j.sb.Employees() {
		if i%3 == 0 && e.Email != "" {
			j.link(e.ID, fmt.Sprintf("linked%d@acme.test", e.ID))
		}
	}
	j.settings(func(s *store.SyncSettings) { s.NewHires = lifecycle.NewHiresInvite })
	j.sync(store.ModeFull, store.TriggerManual)

	for round := range 4 {
		emps := j.sb.Employees()
		pick := func() sandbox.Employee { return emps[rng.IntN(len(emps))] }
		for range 1 + rng.IntN(5) {
			e := pick()
			switch rng.IntN(7) {
			case 0:
				j.hire(fmt.Sprintf("New%d", rng.IntN(1e6)), "Hire", func(in *sandbox.EmployeeInput) {
					in.HireDate, in.Team = sandbox.Ptr(j.date(-rng.IntN(3))), sandbox.Ptr(names[rng.IntN(len(names))])
				})
			case 1:
				j.update(e.ID, sandbox.EmployeeInput{Team: sandbox.Ptr(names[rng.IntN(len(names))])})
			case 2:
				boss := pick()
				// A cycle is refused by the sandbox: then nothing changes.
				_, _ = j.sb.Update(e.ID, sandbox.EmployeeInput{SupervisorID: sandbox.Ptr(boss.ID)})
			case 3:
				j.update(e.ID, sandbox.EmployeeInput{Position: sandbox.Ptr(fmt.Sprintf("Title %d", rng.IntN(100)))})
			case 4:
				if _, err := j.sb.Terminate(e.ID, sandbox.Termination{LastWorkingDay: j.date(rng.IntN(20) - 5)}); err != nil {
					t.Logf("terminate %d: %v", e.ID, err)
				}
			case 5:
				j.update(e.ID, sandbox.EmployeeInput{Status: sandbox.Ptr("inactive")})
			case 6:
				if err := j.sb.Delete(e.ID); err != nil {
					t.Logf("delete %d: %v", e.ID, err)
				}
			}
		}
		mode := store.ModeFull
		if rng.IntN(2) == 0 {
			mode = store.ModePartial
		}
		pv, items := j.preview(mode, store.TriggerManual)
		run, err := j.apply(pv)
		if err != nil || run.Status != store.RunSucceeded {
			t.Fatalf("round %d: apply: %v, %+v", round, err, run)
		}
		// The apply's lineage is the preview's user changes.
		var want, got []string
		for _, it := range items {
			switch it.Kind {
			case store.PreviewUserField, store.PreviewTeamMove, store.PreviewManagerChange, store.PreviewRoleChange, store.PreviewDeactivation, store.PreviewReactivation:
				// By email: a user the apply invites gets another id than
				// in the rolled-back preview (Postgres keeps sequences).
				want = append(want, fmt.Sprintf("%s %s %s→%s", it.Email, it.Field, it.OldValue, it.NewValue))
			}
		}
		lin, err := st.LineageOfRun(t.Context(), j.org.ID, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lin {
			got = append(got, fmt.Sprintf("%s %s %s→%s", l.UserEmail, l.Field, l.OldValue, l.NewValue))
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Fatalf("round %d (%s): the apply changed\n%v\nthe preview showed\n%v", round, mode, got, want)
		}
		// A full preview after the apply is empty (a partial one would
		// miss what a partial apply does not look at: compare like with
		// like).
		if mode == store.ModeFull {
			if again, items := j.preview(store.ModeFull, store.TriggerManual); len(items) != 0 || again.Total() != 0 {
				t.Fatalf("round %d: preview after the apply: %v", round, describe(items))
			}
		} else if again, items := j.preview(store.ModePartial, store.TriggerManual); len(items) != 0 || again.Total() != 0 {
			t.Fatalf("round %d: partial preview after the partial apply: %v", round, describe(items))
		}
		t.Logf("round %d: %s preview of %d changes applied (%d user changes)", round, mode, len(items), len(want))
	}
}

// TestPreviewHoldsBackFollowUpSteps: the lifecycle's further steps (bank
// details, absence import, pushes: they call Personio) do not run in a
// preview, and run once after an apply's commit, outside its transaction.
func TestPreviewHoldsBackFollowUpSteps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		var calls []string
		acc := accounts.New(accounts.Options{Store: st, Mailer: j.mb, BaseURL: "http://roster.test", BcryptCost: 4, Now: j.clk.Now})
		j.up = lifecycle.New(lifecycle.Options{Store: st, Now: j.clk.Now, Accounts: acc,
			Also: []func(context.Context, *store.SyncRun) error{func(ctx context.Context, run *store.SyncRun) error {
				calls = append(calls, fmt.Sprintf("run %d in tx %v", run.ID, store.InTx(ctx)))
				return nil
			}}})
		pv, _ := j.preview(store.ModeFull, store.TriggerFirstImport)
		if len(calls) != 0 {
			t.Fatalf("a preview ran the follow-up steps: %v", calls)
		}
		run, err := j.apply(pv)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("run %d in tx false", run.ID); len(calls) != 1 || calls[0] != want {
			t.Fatalf("follow-up steps after the apply: %v, want [%s]", calls, want)
		}
	})
}
