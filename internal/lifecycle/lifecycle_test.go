package lifecycle_test

import (
	"context"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without zoneinfo

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/teammap"
)

func newSync(t *testing.T, st *store.Store, baseURL string) *hrsync.Service {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	providers := func(_ context.Context, _ int64, onCall func(hris.CallInfo)) (hris.Provider, error) {
		return personio.New(personio.Config{
			BaseURL: baseURL, ClientID: sandbox.FullClientID, ClientSecret: sandbox.FullClientSecret, Version: "test",
			Timeout: 5 * time.Second, Limits: personio.NoLimits(), MaxRetries: 3,
			BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Location: loc, OnCall: onCall,
		})
	}
	svc, err := hrsync.New(hrsync.Options{Store: st, Providers: providers, LeaseTTL: 3 * time.Second,
		AfterRun: lifecycle.New(lifecycle.Options{Store: st}).AfterRun})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return svc
}

func run(t *testing.T, svc *hrsync.Service, orgID int64, mode string) *store.SyncRun {
	t.Helper()
	r, started, err := svc.Run(t.Context(), orgID, hrsync.Request{Area: store.AreaEmployees, Mode: mode, Trigger: store.TriggerCLI})
	if err != nil || !started || r.Status != store.RunSucceeded {
		t.Fatalf("%s sync: started %v, err %v, run %+v", mode, started, err, r)
	}
	return r
}

func TestSyncUpdatesLinkedUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		opts := sandbox.DefaultOptions()
		opts.Employees, opts.Seed, opts.RateLimit = 40, 1, false
		sb, baseURL := sandboxtest.Start(t, opts)
		org := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin"}
		other := &store.Organization{Slug: "other", Name: "Other", TimeZone: "Europe/Berlin"}
		for _, o := range []*store.Organization{org, other} {
			if err := st.CreateOrganization(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		svc := newSync(t, st, baseURL)
		run(t, svc, org.ID, store.ModeFull)

		var emps []store.HREmployee
		if err := st.DB().Where("org_id = ?", org.ID).Order("personio_id").Find(&emps).Error; err != nil {
			t.Fatal(err)
		}
		var linked, idle *store.HREmployee
		var target string
		var targetID int64
		for i := range emps {
			e := &emps[i]
			switch {
			case linked == nil && e.TeamName != "" && e.InScope && e.RemovedAt == nil:
				linked = e
			case idle == nil && linked != nil && e.InScope && e.RemovedAt == nil:
				idle = e
			}
		}
		if linked == nil || idle == nil {
			t.Fatal("no employees to link")
		}
		for _, e := range emps {
			if e.TeamName != "" && e.TeamName != linked.TeamName {
				target, targetID = e.TeamName, e.TeamID
				break
			}
		}
		if target == "" {
			t.Fatal("no second team")
		}

		team := func(o int64, name string) int64 {
			tm := &store.Team{OrgID: o, Name: name}
			if err := st.CreateTeam(ctx, tm); err != nil {
				t.Fatal(err)
			}
			return tm.ID
		}
		oldTeam, newTeam, manual := team(org.ID, "Old"), team(org.ID, "New"), team(org.ID, "Manual")
		for key, id := range map[string]int64{store.HRUnitKey(linked.TeamID, linked.TeamName): oldTeam, store.HRUnitKey(targetID, target): newTeam} {
			if err := st.SaveTeamMapping(ctx, &store.TeamMapping{OrgID: org.ID, Source: store.TeamSourceTeam, PersonioKey: key, TeamID: id}); err != nil {
				t.Fatal(err)
			}
		}
		user := func(o int64, email, status string, pid int64) int64 {
			u := &store.User{OrgID: o, Email: email, Name: "Old Name", JobTitle: "Old Title", Role: store.RoleMember, Status: status}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := st.UpdateUserFields(ctx, o, u.ID, map[string]any{"personio_id": pid}); err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		uid := user(org.ID, "linked@acme.test", store.StatusActive, linked.PersonioID)
		gone := user(org.ID, "gone@acme.test", store.StatusDeactivated, idle.PersonioID)
		foreign := user(other.ID, "linked@other.test", store.StatusActive, linked.PersonioID)
		if err := st.AddTeamMember(ctx, &store.TeamMember{OrgID: org.ID, TeamID: manual, UserID: uid, Source: "manual"}); err != nil {
			t.Fatal(err)
		}
		if _, err := teammap.ReassignUsers(ctx, st, org.ID, []int64{uid}, time.Now()); err != nil {
			t.Fatal(err)
		}

		if _, err := sb.Update(int(linked.PersonioID), sandbox.EmployeeInput{FirstName: sandbox.Ptr("Neu"), LastName: sandbox.Ptr("Name"), Position: sandbox.Ptr("Chief Sync Officer")}); err != nil {
			t.Fatal(err)
		}
		if _, err := sb.Transfer(int(linked.PersonioID), sandbox.Transfer{Team: sandbox.Ptr(target)}); err != nil {
			t.Fatal(err)
		}
		if _, err := sb.Update(int(idle.PersonioID), sandbox.EmployeeInput{Position: sandbox.Ptr("Ghost")}); err != nil {
			t.Fatal(err)
		}
		partial := run(t, svc, org.ID, store.ModePartial)

		u, err := st.User(ctx, org.ID, uid)
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "Neu Name" || u.JobTitle != "Chief Sync Officer" {
			t.Fatalf("linked user not updated: %q, %q", u.Name, u.JobTitle)
		}
		teams := memberships(t, st, org.ID, uid)
		if teams[newTeam] != teammap.SourcePersonio || teams[manual] != "manual" || len(teams) != 2 {
			t.Fatalf("memberships %v (old %d, new %d, manual %d)", teams, oldTeam, newTeam, manual)
		}
		for _, c := range []struct{ o, id int64 }{{org.ID, gone}, {other.ID, foreign}} {
			g, err := st.User(ctx, c.o, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if g.Name != "Old Name" || g.JobTitle != "Old Title" {
				t.Fatalf("user %d touched: %q, %q", c.id, g.Name, g.JobTitle)
			}
		}
		events := audits(t, st, org.ID)
		if len(events) != 1 || events[0].TargetID == nil || *events[0].TargetID != uid || events[0].ActorID != nil || events[0].ActorName != lifecycle.ActorName {
			t.Fatalf("audit events %+v", events)
		}
		for _, want := range []string{`name "Old Name" → "Neu Name"`, `job title "Old Title" → "Chief Sync Officer"`, `team "Old" → "New"`} {
			if !strings.Contains(events[0].Details, want) {
				t.Fatalf("details %q lack %q", events[0].Details, want)
			}
		}
		if n := len(audits(t, st, other.ID)); n != 0 {
			t.Fatalf("other organisation has %d events", n)
		}

		// Nothing differs any more: neither a new sync nor re-applying the run changes a user.
		run(t, svc, org.ID, store.ModeFull)
		run(t, svc, org.ID, store.ModePartial)
		if n, err := lifecycle.New(lifecycle.Options{Store: st}).Apply(ctx, org.ID, partial.ID); err != nil || n != 0 {
			t.Fatalf("re-apply: %d, %v", n, err)
		}
		if n := len(audits(t, st, org.ID)); n != 1 {
			t.Fatalf("%d audit events after identical syncs", n)
		}
	})
}

func memberships(t *testing.T, st *store.Store, orgID, userID int64) map[int64]string {
	t.Helper()
	ms, err := st.MembershipsOfUsers(t.Context(), orgID, []int64{userID})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, m := range ms {
		out[m.TeamID] = m.Source
	}
	return out
}

func audits(t *testing.T, st *store.Store, orgID int64) []store.AuditEvent {
	t.Helper()
	es, _, err := st.ListAudit(t.Context(), orgID, store.AuditFilter{Action: lifecycle.ActionUpdated})
	if err != nil {
		t.Fatal(err)
	}
	return es
}
