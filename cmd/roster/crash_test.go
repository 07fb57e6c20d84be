package main

// Crash recovery (issue #10): a real `roster sync` process is killed with
// SIGKILL at random points of a full sync; the restarted process must take
// the abandoned run's lease over once it expired, close the abandoned run,
// and converge to the state a clean sync of the same company gives another
// organisation (the mirror, the linked users, the row counts of every
// organisation table). Two phases per database: the first import under
// kills, then changes in Personio (linked users renamed, new titles and
// supervisors, a leaver, a new hire) under kills.
//
// The processes are this test binary re-executed as roster (crashChildEnv),
// so the child runs the real command line with the real store, HR client
// and services; the test only shortens the sync lease (syncLeaseTTL).
//
// Fast variant (go test, make test): 5 + 3 kill points per database on a
// company of 600. Long variant: ROSTER_SOAK=1 gives 20 + 12 kill points on
// a company of 2,000. ROSTER_CRASH_SEED replays the kill points of a run.
//
// The outbox push (TestCrashRecoveryOutboxPush) is killed the same way:
// `roster sync --area timetracking` pushing time entries to Personio's
// attendance periods, on crashRoster's processes (the sync and the outbox
// leases shortened), killed at random points while it creates the periods
// of seeded entries (5 kills; 20 with ROSTER_SOAK=1) and during a mixed
// batch of edits, deletions and new entries (2; 8). The sandbox delays its
// answers to writes, so that kills often fall between Personio's write and
// roster saving the id. After the restarts every entry is in the sandbox
// exactly once, under the id its outbox item and entry carry.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/config"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

const (
	// crashChildEnv makes the test binary behave as the roster command:
	// its arguments are roster's.
	crashChildEnv = "ROSTER_CRASH_CHILD"
	// crashLeaseEnv is the sync lease TTL of a child process.
	crashLeaseEnv = "ROSTER_CRASH_LEASE_TTL"
)

func init() {
	if os.Getenv(crashChildEnv) != "1" {
		return
	}
	if ttl, err := time.ParseDuration(os.Getenv(crashLeaseEnv)); err == nil {
		syncLeaseTTL, outbox.LeaseTTL = ttl, ttl
	}
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "roster:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// crashPlan sizes one crash-recovery run.
type crashPlan struct {
	employees int
	latencyMS int // added to every sandbox request, so a run lasts long enough to be killed
	kills     int
	leaseTTL  time.Duration
}

func crashPlanFor() crashPlan {
	if os.Getenv("ROSTER_SOAK") == "1" {
		return crashPlan{employees: 2000, latencyMS: 40, kills: 20, leaseTTL: 2 * time.Second}
	}
	return crashPlan{employees: 600, latencyMS: 100, kills: 5, leaseTTL: 1500 * time.Millisecond}
}

// crashRoster runs roster processes against one database.
type crashRoster struct {
	t   *testing.T
	env map[string]string
	ttl time.Duration
	st  *store.Store
}

func newCrashRoster(t *testing.T, d store.Dialect, ttl time.Duration) *crashRoster {
	t.Helper()
	env := map[string]string{"ROSTER_DATA_DIR": t.TempDir(), "ROSTER_LOG_LEVEL": "warn", "ROSTER_ENV": "dev"}
	if d == store.Postgres {
		env["ROSTER_DATABASE_URL"] = storetest.URL(t, d)
	}
	return &crashRoster{t: t, env: env, ttl: ttl}
}

func (c *crashRoster) getenv(k string) string { return c.env[k] }

// command is a roster process with args.
func (c *crashRoster) command(stdout, stderr *bytes.Buffer, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROSTER_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, crashChildEnv+"=1", crashLeaseEnv+"="+c.ttl.String())
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd
}

// store opens the database the processes use (after the first migration).
func (c *crashRoster) store() *store.Store {
	c.t.Helper()
	if c.st != nil {
		return c.st
	}
	cfg, err := config.Load(c.getenv)
	if err != nil {
		c.t.Fatal(err)
	}
	st, err := store.Open(store.Options{DatabaseURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath()})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = st.Close() })
	c.st = st
	return st
}

// runs is the run queries of the HR tab, on the processes' database.
func (c *crashRoster) runs() *hrsync.Service {
	c.t.Helper()
	svc, err := hrsync.New(hrsync.Options{Store: c.store(), LeaseTTL: c.ttl, Providers: func(context.Context, int64, func(hris.CallInfo)) (hris.Provider, error) {
		return nil, errors.New("reads only")
	}})
	if err != nil {
		c.t.Fatal(err)
	}
	return svc
}

// syncSummary is the JSON `roster sync` prints.
type syncSummary struct {
	RunID   int64 `json:"run_id"`
	Started bool
	Status  string
	New     int
	Error   string
}

// syncToEnd runs `roster sync` for slug to its end in a child process.
func (c *crashRoster) syncToEnd(slug string) (syncSummary, time.Duration, error) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	start := time.Now()
	err := c.command(&out, &errOut, "sync", "--org", slug, "--mode", "full", "--area", "employees").Run()
	took := time.Since(start)
	var s syncSummary
	if jerr := json.Unmarshal(out.Bytes(), &s); jerr != nil {
		return s, took, fmt.Errorf("roster sync printed no summary (%v, exit %v): %s %s", jerr, err, out.String(), errOut.String())
	}
	if err != nil {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(errOut.String()))
	}
	return s, took, err
}

// crashOutcome is what one kill left behind.
type crashOutcome struct {
	after   time.Duration // since the process started
	outcome string
}

func (o crashOutcome) String() string {
	return fmt.Sprintf("%4dms: %s", o.after.Milliseconds(), o.outcome)
}

func TestCrashRecoveryFullSync(t *testing.T) {
	plan := crashPlanFor()
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("ROSTER_CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("crash plan: %d employees, %d ms latency per request, %d kills, lease TTL %s, ROSTER_CRASH_SEED=%d",
		plan.employees, plan.latencyMS, plan.kills, plan.leaseTTL, seed)
	for i, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			crashRecovery(t, d, plan, rng)
		})
	}
}

func crashRecovery(t *testing.T, d store.Dialect, plan crashPlan, rng *rand.Rand) {
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: plan.employees, Seed: 7})
	if err := sb.SetFaults(sandbox.Faults{LatencyMS: plan.latencyMS}); err != nil {
		t.Fatal(err)
	}
	r := newCrashRoster(t, d, plan.leaseTTL)
	dir := t.TempDir()
	pw, secret := filepath.Join(dir, "pw"), filepath.Join(dir, "secret")
	if err := os.WriteFile(pw, []byte("crash-password-123"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte(sandbox.FullClientSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	// Two organisations on the same company: "reference" is synced once
	// without faults, "acme" is the one whose processes are killed.
	for _, org := range []string{"Acme", "Reference"} {
		slug := strings.ToLower(org)
		for _, args := range [][]string{
			{"org", "create", "--name", org, "--timezone", "Europe/Berlin", "--owner-email", "owner@" + slug + ".test", "--owner-name", "Owner", "--owner-password-file", pw},
			{"hr", "connect", "--org", slug, "--base-url", sbURL, "--client-id", sandbox.FullClientID, "--client-secret-file", secret},
		} {
			if out, errOut, err := runCLI(t, r.getenv, args...); err != nil {
				t.Fatalf("%s: %v\n%s%s", args[0], err, out, errOut)
			}
		}
	}
	st := r.store()
	ctx := t.Context()
	acme, err := st.OrganizationBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := st.OrganizationBySlug(ctx, "reference")
	if err != nil {
		t.Fatal(err)
	}

	sum, clean, err := r.syncToEnd("reference")
	if err != nil || sum.Status != store.RunSucceeded || sum.New != plan.employees {
		t.Fatalf("clean sync: %v %+v", err, sum)
	}
	t.Logf("clean full sync of %d employees in a roster process: %s", plan.employees, clean.Round(time.Millisecond))

	sc := &crashScene{t: t, r: r, st: st, sb: sb, acme: acme, ref: ref, plan: plan, rng: rng, clean: clean}
	sc.killLoop("first import", plan.kills)
	sc.converge("first import", plan.kills)

	// Changes under kills: users linked to employees, then changes in
	// Personio (names, positions, supervisors, a leaver, a new hire) that
	// killed runs save in part. The restarted run must bring the mirror and
	// the linked users to the state a clean run gives the reference.
	sc.linkUsers(30)
	sc.changeCompany(sb, 30)
	sum, clean, err = r.syncToEnd("reference")
	if err != nil || sum.Status != store.RunSucceeded {
		t.Fatalf("clean sync of the changes: %v %+v", err, sum)
	}
	sc.clean = min(sc.clean, clean)
	kills := max(plan.kills*3/5, 3)
	sc.killLoop("changes", kills)
	sc.converge("changes", kills)
	sc.sameUsers()
}

// linkUsers gives both organisations a user linked to each of the first n
// employees.
func (sc *crashScene) linkUsers(n int) {
	t, st, ctx := sc.t, sc.st, sc.t.Context()
	t.Helper()
	emps := sortedEmployees(sc.sb)
	for _, org := range []*store.Organization{sc.acme, sc.ref} {
		var pairs []linking.Pair
		now := time.Now().UTC()
		for _, e := range emps[:n] {
			u := &store.User{OrgID: org.ID, Email: strings.ToLower(e.Email), Name: e.FirstName + " " + e.LastName,
				Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			pairs = append(pairs, linking.Pair{UserID: u.ID, PersonioID: int64(e.ID)})
		}
		linked, err := linking.New(st, nil, nil).Link(ctx, roster.Actor{OrgID: org.ID, Name: "crash test", Role: store.RoleAdmin}, pairs)
		if err != nil || linked != n {
			t.Fatalf("link %d users of %s: %d, %v", n, org.Slug, linked, err)
		}
	}
}

// changeCompany changes the company in Personio: among the first linked
// employees names, positions and supervisors, one leaver; positions of
// unlinked employees; one new hire.
func (sc *crashScene) changeCompany(sb *sandbox.Server, linked int) {
	t := sc.t
	t.Helper()
	emps := sortedEmployees(sb)
	str := func(v string) *string { return &v }
	boss := emps[0].ID
	for i, e := range emps[1:10] {
		in := sandbox.EmployeeInput{LastName: str(e.LastName + "-Neu"), Position: str(fmt.Sprintf("Crash Lead %d", i))}
		if i%2 == 0 {
			in.SupervisorID = &boss
		}
		if _, err := sb.Update(e.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range emps[linked : linked+100] {
		if _, err := sb.Update(e.ID, sandbox.EmployeeInput{Position: str("Crash Position")}); err != nil {
			t.Fatal(err)
		}
	}
	yesterday := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	if _, err := sb.Terminate(emps[10].ID, sandbox.Termination{LastWorkingDay: yesterday, TerminationDate: yesterday}); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Hire(sandbox.EmployeeInput{FirstName: str("Nova"), LastName: str("Crash"), Email: str("nova.crash@example.test"),
		HireDate: str(time.Now().AddDate(0, 0, 14).Format(time.DateOnly)), Position: str("New Hire")}); err != nil {
		t.Fatal(err)
	}
}

func sortedEmployees(sb *sandbox.Server) []sandbox.Employee {
	emps := sb.Employees()
	sort.Slice(emps, func(i, j int) bool { return emps[i].ID < emps[j].ID })
	return emps
}

// sameUsers compares the users of acme with the reference's, by email,
// on every field the sync manages.
func (sc *crashScene) sameUsers() {
	t := sc.t
	t.Helper()
	load := func(orgID int64) map[string]string {
		var us []store.User
		if err := sc.st.DB().Where("org_id = ?", orgID).Find(&us).Error; err != nil {
			t.Fatal(err)
		}
		email := map[int64]string{}
		for _, u := range us {
			email[u.ID] = u.Email
		}
		out := map[string]string{}
		for _, u := range us {
			manager := ""
			if u.ManagerID != nil {
				manager = email[*u.ManagerID]
			}
			out[strings.TrimPrefix(strings.TrimPrefix(u.Email, "owner@acme.test"), "owner@reference.test")] = fmt.Sprintf(
				"name=%q role=%s/%s status=%s title=%q personio=%v manager=%s/%s hire=%s last=%s term=%s cost=%q access=%s deactivate=%v deactivated=%v",
				u.Name, u.Role, u.RoleSource, u.Status, u.JobTitle, deref(u.PersonioID), manager, u.ManagerSource, u.HireDate,
				u.LastWorkingDay, u.TerminationDate, u.CostCenter, u.AccessFrom, u.DeactivateAt != nil, u.DeactivatedAt != nil)
		}
		return out
	}
	got, want := load(sc.acme.ID), load(sc.ref.ID)
	if len(got) != len(want) {
		t.Fatalf("acme has %d users after the kills, the reference %d", len(got), len(want))
	}
	changed := 0
	for email, w := range want {
		if got[email] != w {
			t.Errorf("user %s after the kills:\n got  %s\n want %s", email, got[email], w)
		}
		if strings.Contains(w, "Neu") || strings.Contains(w, "Crash Lead") {
			changed++
		}
	}
	t.Logf("changes: %d users equal to the reference's (%d with changes from Personio)", len(want), changed)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// crashScene is one database with the killed organisation (acme) and the
// reference synced without kills.
type crashScene struct {
	t         *testing.T
	r         *crashRoster
	st        *store.Store
	sb        *sandbox.Server
	acme, ref *store.Organization
	plan      crashPlan
	rng       *rand.Rand
	clean     time.Duration // the shortest clean run seen
	// checked once per database (each costs up to a TTL)
	checkedLiveLease, checkedClosed bool
}

// killLoop starts `roster sync` for acme and kills it at random points
// until kills processes were killed, checking the lease after each kill.
func (sc *crashScene) killLoop(phase string, kills int) {
	t, r, st, ctx, acme := sc.t, sc.r, sc.st, sc.t.Context(), sc.acme
	t.Helper()
	var outcomes []crashOutcome
	// Attempts until kills processes were killed: a process that
	// finishes before its kill point is not a kill (its duration then
	// refines the estimate of a clean run when shorter).
	killed := 0
	for k := 0; killed < kills; k++ {
		if k == 4*kills {
			t.Fatalf("only %d of %d kill points fell inside a run in %d attempts", killed, kills, k)
		}
		var out, errOut bytes.Buffer
		cmd := r.command(&out, &errOut, "sync", "--org", "acme", "--mode", "full", "--area", "employees")
		// Every other kill falls in the run's last quarter (and a little
		// beyond), where the removals, checks and after-run work happen;
		// the others anywhere from the process start.
		delay := time.Duration(sc.rng.Int64N(int64(sc.clean)))
		if k%2 == 1 {
			delay = sc.clean*3/4 + time.Duration(sc.rng.Int64N(int64(sc.clean)*7/20))
		}
		var before int64
		if runs, err := st.ListSyncRuns(ctx, acme.ID, 1); err != nil {
			t.Fatal(err)
		} else if len(runs) > 0 {
			before = runs[0].ID
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		started := time.Now()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var waitErr error
		wasKilled := false
		select {
		case waitErr = <-exited:
		case <-time.After(delay):
			sigErr := cmd.Process.Signal(syscall.SIGKILL)
			waitErr = <-exited
			// A process that exited by itself just before the signal is
			// not a kill.
			wasKilled = sigErr == nil && waitErr != nil
		}
		if wasKilled {
			killed++
		}
		killedAt := time.Now()
		after := killedAt.Sub(started)

		runs, err := st.ListSyncRuns(ctx, acme.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		var last *store.SyncRun
		if len(runs) > 0 && runs[0].ID > before {
			last = &runs[0] // the run this process began
		}
		lease, lerr := st.SyncLeaseOf(ctx, acme.ID, store.AreaEmployees)
		switch {
		case !wasKilled:
			if waitErr != nil {
				t.Fatalf("attempt %d: the run ended by itself and failed: %v\n%s%s", k+1, waitErr, out.String(), errOut.String())
			}
			outcomes = append(outcomes, crashOutcome{after, "finished before the kill point (not counted)"})
			sc.clean = min(sc.clean, after)
		case last == nil:
			outcomes = append(outcomes, crashOutcome{after, "killed before its run began (starting up)"})
		case last.Status != store.RunRunning:
			outcomes = append(outcomes, crashOutcome{after, fmt.Sprintf("killed after run %d was recorded as %s", last.ID, last.Status)})
		default:
			outcomes = append(outcomes, crashOutcome{after, fmt.Sprintf("killed in run %d, phase %s, %d page(s), %d employees processed",
				last.ID, last.Phase, last.PagesFetched, last.Processed)})
		}

		if lerr == nil {
			// No lock outlives its lease: the killed holder's lease expires
			// at most one TTL after its last renewal (before the kill).
			if limit := killedAt.Add(sc.plan.leaseTTL + 500*time.Millisecond); lease.ExpiresAt.After(limit) {
				t.Fatalf("attempt %d: lease expires at %s, more than the TTL %s after the kill at %s", k+1,
					lease.ExpiresAt.Format(time.StampMilli), sc.plan.leaseTTL, killedAt.Format(time.StampMilli))
			}
			if !wasKilled {
				t.Fatalf("attempt %d: a run that finished left its lease %+v", k+1, lease)
			}
			// While it lives, the lease is respected by a new process.
			if !sc.checkedLiveLease && last != nil && last.Status == store.RunRunning && time.Until(lease.ExpiresAt) > sc.plan.leaseTTL/2 {
				s, _, err := r.syncToEnd("acme")
				if s.Started {
					// Legitimate only when the process (slow to start on a
					// busy machine) began its run after the lease expired.
					run, rerr := st.SyncRun(ctx, acme.ID, s.RunID)
					if rerr != nil || !run.StartedAt.After(lease.ExpiresAt) {
						t.Fatalf("attempt %d: a run started under the killed process's live lease (expiring %s): %+v %v",
							k+1, lease.ExpiresAt.Format(time.StampMilli), run, rerr)
					}
					t.Logf("attempt %d: the process meant to meet the live lease started after it expired; checked on a later kill", k+1)
					continue
				}
				sc.checkedLiveLease = true
				if err == nil || !strings.Contains(err.Error(), "another sync") {
					t.Fatalf("attempt %d: a sync under the killed process's live lease: %v %+v", k+1, err, s)
				}
				t.Logf("attempt %d: a process started while the killed run's lease was live did not start a run (it reported run %d running)", k+1, s.RunID)
			}
			// A killed run is not running forever: a TTL after its lease
			// expired, the HR tab (hrsync's run queries) shows it failed,
			// without any other run (checked once, it costs a TTL).
			time.Sleep(time.Until(lease.ExpiresAt) + 50*time.Millisecond)
			if last != nil && last.Status == store.RunRunning && !sc.checkedClosed {
				sc.checkedClosed = true
				time.Sleep(sc.plan.leaseTTL)
				shown, err := r.runs().RunByID(ctx, acme.ID, last.ID)
				if err != nil {
					t.Fatal(err)
				}
				if shown.Status != store.RunFailed || !strings.Contains(shown.Error, "stopped without finishing") {
					t.Fatalf("attempt %d: run %d after its lease expired: %s %q, want failed as abandoned", k+1, last.ID, shown.Status, shown.Error)
				}
				t.Logf("attempt %d: run %d shown %s a TTL after its lease expired, with no other run", k+1, last.ID, shown.Status)
			}
		}
	}
	for i, o := range outcomes {
		t.Logf("%s: attempt %2d at %s", phase, i+1, o)
	}

}

// converge runs the restarted process to its end and checks that acme
// equals the reference: no run left running, no lease held, the same
// mirror and the same rows, no duplicates.
func (sc *crashScene) converge(phase string, kills int) {
	t, r, st, ctx, acme, ref := sc.t, sc.r, sc.st, sc.t.Context(), sc.acme, sc.ref
	t.Helper()
	company := len(sc.sb.Employees())
	// The restarted process converges.
	sum, took, err := r.syncToEnd("acme")
	if err != nil || !sum.Started || sum.Status != store.RunSucceeded {
		t.Fatalf("sync after the kills: %v %+v", err, sum)
	}
	t.Logf("%s: sync after %d kills: %s, %d new", phase, kills, took.Round(time.Millisecond), sum.New)

	// No run stays "running"; every killed run was closed as abandoned.
	var running int64
	if err := st.DB().Model(&store.SyncRun{}).Where("status = ?", store.RunRunning).Count(&running).Error; err != nil {
		t.Fatal(err)
	}
	if running != 0 {
		t.Fatalf("%d run(s) still running after recovery", running)
	}
	all, err := st.ListSyncRuns(ctx, acme.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, run := range all {
		if run.Status == store.RunFailed {
			failed++
			if !strings.Contains(run.Error, "stopped without finishing") {
				t.Errorf("killed run %d failed with %q, want the abandoned-run reason", run.ID, run.Error)
			}
		}
	}
	t.Logf("%s: acme has %d runs (%d closed as abandoned)", phase, len(all), failed)
	if _, err := st.SyncLeaseOf(ctx, acme.ID, store.AreaEmployees); err == nil {
		t.Fatal("the lease is still held after the last run finished")
	}

	// The mirror equals the clean sync's, without duplicates.
	got, want := crashMirror(t, st, acme.ID), crashMirror(t, st, ref.ID)
	if len(want) != company || len(got) != len(want) {
		t.Fatalf("mirror has %d employees after the kills, the clean sync %d (company %d)", len(got), len(want), company)
	}
	for id, w := range want {
		if g, ok := got[id]; !ok || !reflect.DeepEqual(g, w) {
			t.Fatalf("employee %d differs after the kills:\n got  %+v\n want %+v", id, g, w)
		}
	}
	var rows, distinct int64
	if err := st.DB().Model(&store.HREmployee{}).Where("org_id = ?", acme.ID).Count(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB().Model(&store.HREmployee{}).Where("org_id = ?", acme.ID).Distinct("personio_id").Count(&distinct).Error; err != nil {
		t.Fatal(err)
	}
	if rows != int64(company) || distinct != rows {
		t.Fatalf("mirror rows %d, distinct employees %d, company %d: duplicates", rows, distinct, company)
	}
	crashSameCounts(t, st, acme.ID, ref.ID)
}

// crashMirror returns the organisation's mirror by Personio id, without
// what differs between two organisations or two runs (ids, timestamps).
func crashMirror(t *testing.T, st *store.Store, orgID int64) map[int64]store.HREmployee {
	t.Helper()
	out := map[int64]store.HREmployee{}
	err := st.EachHREmployee(t.Context(), orgID, store.HREmployeeFilter{IncludeRemoved: true}, func(h *store.HREmployee) error {
		e := *h
		e.ID, e.OrgID, e.LastRunID = 0, 0, 0
		e.FirstSeenAt, e.LastSyncedAt = time.Time{}, time.Time{}
		if e.RemovedAt != nil {
			removed := time.Time{}
			e.RemovedAt = &removed
		}
		if e.PersonioUpdatedAt != nil {
			u := e.PersonioUpdatedAt.UTC()
			e.PersonioUpdatedAt = &u
		}
		out[e.PersonioID] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// crashSameCounts compares the row counts of every organisation table
// the sync writes (not its logs): the killed runs left nothing twice.
func crashSameCounts(t *testing.T, st *store.Store, orgID, refID int64) {
	t.Helper()
	tables, err := st.DB().Migrator().GetTables()
	if err != nil {
		t.Fatal(err)
	}
	logs := []string{"sync_run", "api_call", "audit", "sync_lease", "session", "goose", "job_claim", "notification"}
	checked := 0
	var names []string
	for _, tbl := range tables {
		if hasAnyPrefix(logs, tbl) || !st.DB().Migrator().HasColumn(tbl, "org_id") {
			continue
		}
		var a, b int64
		if err := st.DB().Table(tbl).Where("org_id = ?", orgID).Count(&a).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.DB().Table(tbl).Where("org_id = ?", refID).Count(&b).Error; err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Errorf("table %s: %d rows after the kills, %d after a clean sync", tbl, a, b)
		}
		checked++
		names = append(names, tbl)
	}
	t.Logf("row counts equal in %d organisation tables: %s", checked, strings.Join(names, ", "))
}

func hasAnyPrefix(prefixes []string, s string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// ---- outbox push under kills ----------------------------------------------

// outboxCrashPlan sizes one outbox crash-recovery run.
type outboxCrashPlan struct {
	employees, users, perUser int
	kills, mixedKills         int
	answerDelay               time.Duration // before Personio's answer to a write reaches roster
	latencyMS                 int           // sandbox latency of attendance requests, before they are handled
	leaseTTL                  time.Duration // sync and outbox leases of the killed processes
}

func outboxCrashPlanFor() outboxCrashPlan {
	if os.Getenv("ROSTER_SOAK") == "1" {
		return outboxCrashPlan{employees: 120, users: 40, perUser: 5, kills: 20, mixedKills: 8,
			answerDelay: 120 * time.Millisecond, latencyMS: 30, leaseTTL: 2 * time.Second}
	}
	return outboxCrashPlan{employees: 40, users: 12, perUser: 4, kills: 5, mixedKills: 2,
		answerDelay: 120 * time.Millisecond, latencyMS: 30, leaseTTL: 1200 * time.Millisecond}
}

// slowAnswers delays the answers to attendance-period writes after the
// sandbox performed them, so that a kill often falls between Personio's
// write and roster saving its id (the window the outbox must survive).
// It counts the writes the sandbox performed.
type slowAnswers struct {
	next  http.Handler
	delay time.Duration
	mu    sync.Mutex
	n     map[string]int // "POST 201", "PATCH 200", "DELETE 204", …
}

func (s *slowAnswers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || !strings.HasPrefix(r.URL.Path, "/v2/attendance-periods") {
		s.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	s.next.ServeHTTP(rec, r)
	key := fmt.Sprintf("%s %d", r.Method, rec.Code)
	if rec.Code == http.StatusOK && rec.Body.Len() == 0 && r.Context().Err() != nil {
		key = r.Method + " abandoned during the latency" // killed before the sandbox handled it
	}
	s.mu.Lock()
	s.n[key]++
	s.mu.Unlock()
	select {
	case <-time.After(s.delay):
	case <-r.Context().Done():
		return // the client was killed before the answer came
	}
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (s *slowAnswers) writes() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.n)
}

// total counts the writes the sandbox performed.
func (s *slowAnswers) total() int {
	n := 0
	for k, v := range s.writes() {
		if strings.HasSuffix(k, " 200") || strings.HasSuffix(k, " 201") || strings.HasSuffix(k, " 204") {
			n += v
		}
	}
	return n
}

// TestCrashRecoveryOutboxPush kills `roster sync --area timetracking` (the
// push of the time-entry outbox to Personio's attendance periods) with
// SIGKILL at random points, first while it creates the periods of the
// seeded entries, then during a mixed batch (edits, deletions, new entries).
// After each kill no lease outlives its TTL; the restarted processes push
// the rest; then every entry is in the sandbox exactly once, with the id
// its outbox item and the entry carry, edits applied and deletions gone.
func TestCrashRecoveryOutboxPush(t *testing.T) {
	plan := outboxCrashPlanFor()
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("ROSTER_CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("outbox crash plan: %d users × %d entries, %d + %d kills, answers to writes delayed %s, latency %d ms, lease TTL %s, ROSTER_CRASH_SEED=%d",
		plan.users, plan.perUser, plan.kills, plan.mixedKills, plan.answerDelay, plan.latencyMS, plan.leaseTTL, seed)
	for i, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			start := time.Now()
			rng := rand.New(rand.NewPCG(seed, uint64(100+i)))
			outboxCrashRecovery(t, d, plan, rng)
			t.Logf("%s: %s", d, time.Since(start).Round(time.Millisecond))
		})
	}
}

// outboxCrash is one database with acme, whose pushes are killed.
type outboxCrash struct {
	t     *testing.T
	r     *crashRoster
	st    *store.Store
	sb    *sandbox.Server
	slow  *slowAnswers
	acme  *store.Organization
	plan  outboxCrashPlan
	rng   *rand.Rand
	users []store.User // linked, by id
	days  int          // days used so far from day0, per user
	day0  time.Time
	// entries edited while their create was unknown
	correctedUnknown int
	// checked once per database
	checkedSyncLease, checkedOutboxLease bool
}

const crashComment = "crash entry #"

func outboxCrashRecovery(t *testing.T, d store.Dialect, plan outboxCrashPlan, rng *rand.Rand) {
	sb := sandbox.New(sandbox.Options{Employees: plan.employees, Seed: 7})
	if err := sb.SetFaults(sandbox.Faults{LatencyMS: plan.latencyMS, Paths: []string{"/v2/attendance-periods"}}); err != nil {
		t.Fatal(err)
	}
	slow := &slowAnswers{next: sb, delay: plan.answerDelay, n: map[string]int{}}
	srv := httptest.NewServer(sandboxtest.Validate(t, slow))
	t.Cleanup(srv.Close)
	r := newCrashRoster(t, d, plan.leaseTTL)
	dir := t.TempDir()
	pw, secret := filepath.Join(dir, "pw"), filepath.Join(dir, "secret")
	if err := os.WriteFile(pw, []byte("crash-password-123"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte(sandbox.FullClientSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"org", "create", "--name", "Acme", "--timezone", "Europe/Berlin", "--owner-email", "owner@acme.test", "--owner-name", "Owner", "--owner-password-file", pw},
		{"hr", "connect", "--org", "acme", "--base-url", srv.URL, "--client-id", sandbox.FullClientID, "--client-secret-file", secret},
	} {
		if out, errOut, err := runCLI(t, r.getenv, args...); err != nil {
			t.Fatalf("%s: %v\n%s%s", args[0], err, out, errOut)
		}
	}
	st := r.store()
	ctx := t.Context()
	acme, err := st.OrganizationBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if sum, _, err := r.syncToEnd("acme"); err != nil || sum.Status != store.RunSucceeded {
		t.Fatalf("first import: %v %+v", err, sum)
	}
	set, err := st.SyncSettings(ctx, acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	set.TimePush, set.TimeOnlyConfirmed = true, false
	if err := st.SaveSyncSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	oc := &outboxCrash{t: t, r: r, st: st, sb: sb, slow: slow, acme: acme, plan: plan, rng: rng,
		day0: time.Now().UTC().AddDate(-3, 0, 0).Truncate(24 * time.Hour)}
	oc.linkUsers()
	oc.seed(plan.perUser)

	oc.killLoop("creates", plan.kills, true)
	oc.converge("creates")
	t.Logf("creates: %d entries corrected while their create was unknown are in the sandbox once, corrected", oc.correctedUnknown)

	// A mixed batch: edits (update), deletions (delete), new entries
	// (create), killed as it is pushed.
	edited, deleted, added := oc.mixedBatch()
	oc.killLoop("mixed batch", plan.mixedKills, false)
	oc.converge("mixed batch")
	oc.checkMixed(edited, deleted, added)
	t.Logf("sandbox writes (method status: count): %v", slow.writes())
}

// linkUsers creates a user linked to each of the first plan.users employees.
func (oc *outboxCrash) linkUsers() {
	t, st, ctx := oc.t, oc.st, oc.t.Context()
	var pairs []linking.Pair
	now := time.Now().UTC()
	for _, e := range sortedEmployees(oc.sb)[:oc.plan.users] {
		u := &store.User{OrgID: oc.acme.ID, Email: strings.ToLower(e.Email), Name: e.FirstName + " " + e.LastName,
			Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, linking.Pair{UserID: u.ID, PersonioID: int64(e.ID)})
	}
	linked, err := linking.New(st, nil, nil).Link(ctx, roster.Actor{OrgID: oc.acme.ID, Name: "crash test", Role: store.RoleAdmin}, pairs)
	if err != nil || linked != len(pairs) {
		t.Fatalf("link %d users: %d, %v", len(pairs), linked, err)
	}
	if err := st.DB().Where("org_id = ? AND personio_id IS NOT NULL", oc.acme.ID).Order("id").Find(&oc.users).Error; err != nil {
		t.Fatal(err)
	}
	if len(oc.users) != len(pairs) {
		t.Fatalf("%d linked users, want %d", len(oc.users), len(pairs))
	}
}

// seed adds perUser completed entries to every linked user, each with its
// outbox create item (as a tracked day that TimePush sends), on days three
// years back (before the sandbox's own attendance periods).
func (oc *outboxCrash) seed(perUser int) []int64 {
	t, ctx := oc.t, oc.t.Context()
	now := time.Now().UTC()
	var ids []int64
	err := oc.st.Tx(ctx, func(tx *store.Store) error {
		for d := 0; d < perUser; d++ {
			for _, u := range oc.users {
				start := oc.day0.AddDate(0, 0, oc.days+d).Add(8 * time.Hour)
				end := start.Add(7*time.Hour + 30*time.Minute)
				te := &store.TimeEntry{OrgID: oc.acme.ID, UserID: u.ID, Day: start.Format(time.DateOnly), StartAt: start, EndAt: &end,
					Status: store.TimeCompleted, CreatedAt: now, UpdatedAt: now}
				if err := tx.InsertTimeEntry(ctx, te); err != nil {
					return err
				}
				te.Comment = fmt.Sprintf("%s%d", crashComment, te.ID)
				if err := tx.SaveTimeEntry(ctx, te); err != nil {
					return err
				}
				if err := outbox.Enqueue(ctx, tx, oc.acme.ID, store.OutboxTimeEntry, te.ID, store.OutboxCreate, now); err != nil {
					return err
				}
				ids = append(ids, te.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	oc.days += perUser
	return ids
}

// outboxState counts acme's outbox items by what a kill can leave.
type outboxState struct {
	pushed, open, failed   int
	triedNoID, triedWithID int // open items whose attempt began: outcome unknown / Personio id saved
}

func (oc *outboxCrash) state() outboxState {
	var items []store.OutboxItem
	if err := oc.st.DB().Where("org_id = ?", oc.acme.ID).Find(&items).Error; err != nil {
		oc.t.Fatal(err)
	}
	var s outboxState
	for _, it := range items {
		switch it.State {
		case store.OutboxPushed:
			s.pushed++
		case store.OutboxFailed:
			s.failed++
		default:
			s.open++
			if it.Attempts > 0 && it.PersonioID == "" {
				s.triedNoID++
			} else if it.Attempts > 0 {
				s.triedWithID++
			}
		}
	}
	return s
}

// orphans counts the sandbox's crash periods that no outbox item knows
// (created in Personio, the id not saved before the kill).
func (oc *outboxCrash) orphans() int {
	var known []string
	if err := oc.st.DB().Model(&store.OutboxItem{}).Where("org_id = ? AND personio_id <> ''", oc.acme.ID).Pluck("personio_id", &known).Error; err != nil {
		oc.t.Fatal(err)
	}
	k := map[string]bool{}
	for _, id := range known {
		k[id] = true
	}
	n := 0
	for _, p := range oc.sb.AttendancePeriods() {
		if strings.HasPrefix(p.Comment, crashComment) && !k[p.ID] {
			n++
		}
	}
	return n
}

// killLoop starts `roster sync --area timetracking` for acme and kills it
// at random points until kills processes were killed, checking both
// leases (the sync run's and the outbox pusher's) after each kill. With
// creates, it seeds more entries when everything was pushed, and edits
// the entries whose create a kill left unknown (tried, no id saved) before
// the restart, as a user who corrects the day meanwhile.
func (oc *outboxCrash) killLoop(phase string, kills int, creates bool) {
	t, r, st, ctx := oc.t, oc.r, oc.st, oc.t.Context()
	t.Helper()
	const perItem = 150 * time.Millisecond // about one push (a burst of 15, then 5/s; delayed answers)
	var outcomes []crashOutcome
	killed := 0
	for k := 0; killed < kills; k++ {
		if k == 4*kills {
			t.Fatalf("%s: only %d of %d kill points fell inside a push in %d attempts", phase, killed, kills, k)
		}
		before := oc.state()
		if before.open == 0 {
			if !creates {
				t.Fatalf("%s: everything was pushed before %d kills", phase, kills)
			}
			oc.seed(1)
			before = oc.state()
		}
		// From the process start (about 300 ms to a first push) to about
		// the end of what is open.
		span := min(time.Duration(before.open)*perItem, 2500*time.Millisecond)
		delay := 150*time.Millisecond + time.Duration(oc.rng.Int64N(int64(span)))
		writes := oc.slow.total()
		var out, errOut bytes.Buffer
		cmd := r.command(&out, &errOut, "sync", "--org", "acme", "--area", store.AreaTimeTracking)
		var lastRun int64
		if runs, err := st.ListSyncRuns(ctx, oc.acme.ID, 1); err != nil {
			t.Fatal(err)
		} else if len(runs) > 0 {
			lastRun = runs[0].ID
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		started := time.Now()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var waitErr error
		wasKilled := false
		select {
		case waitErr = <-exited:
		case <-time.After(delay):
			sigErr := cmd.Process.Signal(syscall.SIGKILL)
			waitErr = <-exited
			wasKilled = sigErr == nil && waitErr != nil
		}
		killedAt := time.Now()
		after := killedAt.Sub(started)
		s := oc.state()
		if s.failed > 0 {
			t.Fatalf("%s, attempt %d: %d outbox item(s) failed: %s", phase, k+1, s.failed, oc.lastErrors())
		}
		desc := fmt.Sprintf("%d pushed (%d writes reached the sandbox), %d open: %d attempt(s) begun without an id, %d with the id saved, %d period(s) in the sandbox whose id roster lacks",
			s.pushed-before.pushed, oc.slow.total()-writes, s.open, s.triedNoID, s.triedWithID, oc.orphans())
		var run *store.SyncRun
		if runs, err := st.ListSyncRuns(ctx, oc.acme.ID, 1); err != nil {
			t.Fatal(err)
		} else if len(runs) > 0 && runs[0].ID > lastRun {
			run = &runs[0]
		}
		switch {
		case !wasKilled:
			if waitErr != nil {
				t.Fatalf("%s, attempt %d: the push ended by itself and failed: %v\n%s%s", phase, k+1, waitErr, out.String(), errOut.String())
			}
			outcomes = append(outcomes, crashOutcome{after, "finished before the kill point (not counted): " + desc})
		case run == nil:
			killed++
			outcomes = append(outcomes, crashOutcome{after, "killed before its run began (starting up)"})
		default:
			killed++
			outcomes = append(outcomes, crashOutcome{after, fmt.Sprintf("killed in run %d (%s): %s", run.ID, run.Status, desc)})
		}
		oc.checkLeases(phase, k+1, killedAt, wasKilled)
		if creates && wasKilled && s.triedNoID > 0 {
			oc.editUnknown(phase, k+1)
		}
	}
	for i, o := range outcomes {
		t.Logf("%s: attempt %2d at %s", phase, i+1, o)
	}
}

// checkLeases checks the killed process's leases: none expires more than
// a TTL after the kill; while they live another process neither starts a
// push run nor pushes (checked once each per database); then it waits
// until they expired.
func (oc *outboxCrash) checkLeases(phase string, attempt int, killedAt time.Time, wasKilled bool) {
	t, ctx, ttl := oc.t, oc.t.Context(), oc.plan.leaseTTL
	t.Helper()
	var latest time.Time
	for _, area := range []string{store.AreaTimeTracking, "outbox"} {
		lease, err := oc.st.SyncLeaseOf(ctx, oc.acme.ID, area)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if limit := killedAt.Add(ttl + 500*time.Millisecond); lease.ExpiresAt.After(limit) {
			t.Fatalf("%s, attempt %d: the %s lease expires at %s, more than the TTL %s after the kill at %s", phase, attempt, area,
				lease.ExpiresAt.Format(time.StampMilli), ttl, killedAt.Format(time.StampMilli))
		}
		if !wasKilled {
			t.Fatalf("%s, attempt %d: a push that finished left its %s lease %+v", phase, attempt, area, lease)
		}
		if lease.ExpiresAt.After(latest) {
			latest = lease.ExpiresAt
		}
		if time.Until(lease.ExpiresAt) < ttl/2 {
			continue
		}
		writes := oc.slow.total()
		switch {
		case area == store.AreaTimeTracking && !oc.checkedSyncLease:
			// Another Sync Now › Time tracking does not start.
			var out, errOut bytes.Buffer
			err := oc.r.command(&out, &errOut, "sync", "--org", "acme", "--area", store.AreaTimeTracking).Run()
			done := time.Now()
			if done.After(lease.ExpiresAt) {
				t.Logf("%s, attempt %d: the process meant to meet the live push-run lease ended after it expired; checked on a later kill", phase, attempt)
				continue
			}
			if err == nil || !strings.Contains(errOut.String(), "another sync") || oc.slow.total() != writes {
				t.Fatalf("%s, attempt %d: a push under the killed run's live lease: %v, %d writes\n%s%s", phase, attempt, err,
					oc.slow.total()-writes, out.String(), errOut.String())
			}
			oc.checkedSyncLease = true
			t.Logf("%s, attempt %d: a Time tracking sync started under the killed run's live lease did not start", phase, attempt)
		case area == "outbox" && !oc.checkedOutboxLease:
			// An employee sync pushes the outbox after its run: not
			// while the killed pusher's lease lives.
			before := oc.state()
			sum, _, err := oc.r.syncToEnd("acme")
			done := time.Now()
			if err != nil || sum.Status != store.RunSucceeded {
				t.Fatalf("%s, attempt %d: employee sync under the killed pusher's lease: %v %+v", phase, attempt, err, sum)
			}
			if done.After(lease.ExpiresAt) {
				t.Logf("%s, attempt %d: the employee sync meant to meet the live outbox lease ended after it expired; checked on a later kill", phase, attempt)
				continue
			}
			if n := oc.slow.total() - writes; n != 0 || oc.state() != before {
				t.Fatalf("%s, attempt %d: the employee sync pushed %d item(s) under the killed pusher's live lease", phase, attempt, n)
			}
			oc.checkedOutboxLease = true
			t.Logf("%s, attempt %d: an employee sync under the killed pusher's live lease pushed nothing", phase, attempt)
		}
	}
	time.Sleep(time.Until(latest) + 50*time.Millisecond)
}

func (oc *outboxCrash) lastErrors() string {
	var errs []string
	_ = oc.st.DB().Model(&store.OutboxItem{}).Where("org_id = ? AND last_error <> ''", oc.acme.ID).Distinct("last_error").Limit(5).Pluck("last_error", &errs).Error
	return strings.Join(errs, " | ")
}

// converge runs the push to its end (a few runs at most) and checks the
// outcome: no run left running, the leases released, every item pushed
// once, with the id the sandbox has.
func (oc *outboxCrash) converge(phase string) {
	t, r, st, ctx := oc.t, oc.r, oc.st, oc.t.Context()
	t.Helper()
	start := time.Now()
	runs := 0
	for ; oc.state().open > 0; runs++ {
		if runs == 5 {
			t.Fatalf("%s: %d item(s) still open after %d runs: %s", phase, oc.state().open, runs, oc.lastErrors())
		}
		var out, errOut bytes.Buffer
		if err := r.command(&out, &errOut, "sync", "--org", "acme", "--area", store.AreaTimeTracking).Run(); err != nil {
			t.Fatalf("%s: push after the kills: %v\n%s%s", phase, err, out.String(), errOut.String())
		}
	}
	s := oc.state()
	t.Logf("%s: %d run(s) after the kills pushed the rest in %s: %d item(s) pushed", phase, runs, time.Since(start).Round(time.Millisecond), s.pushed)
	if s.failed > 0 {
		t.Fatalf("%s: %d item(s) failed: %s", phase, s.failed, oc.lastErrors())
	}

	var running int64
	if err := st.DB().Model(&store.SyncRun{}).Where("org_id = ? AND status = ?", oc.acme.ID, store.RunRunning).Count(&running).Error; err != nil {
		t.Fatal(err)
	}
	if running != 0 {
		t.Fatalf("%s: %d run(s) still running after recovery", phase, running)
	}
	all, err := st.ListSyncRuns(ctx, oc.acme.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	abandoned := 0
	for _, run := range all {
		if run.Status == store.RunFailed {
			abandoned++
			if !strings.Contains(run.Error, "stopped without finishing") {
				t.Errorf("%s: killed run %d failed with %q, want the abandoned-run reason", phase, run.ID, run.Error)
			}
		}
	}
	t.Logf("%s: acme has %d runs (%d closed as abandoned)", phase, len(all), abandoned)
	for _, area := range []string{store.AreaTimeTracking, "outbox"} {
		if l, err := st.SyncLeaseOf(ctx, oc.acme.ID, area); err == nil {
			t.Fatalf("%s: the %s lease is still held after the last push: %+v", phase, area, l)
		}
	}
	oc.sameAsSandbox(phase)
}

// sameAsSandbox checks that every live entry is in the sandbox exactly
// once (by person and start, and by its comment), under the id its entry
// and its last outbox item carry, with the entry's end and comment, and
// that the sandbox has no other crash period.
func (oc *outboxCrash) sameAsSandbox(phase string) {
	t, st := oc.t, oc.st
	t.Helper()
	var entries []store.TimeEntry
	if err := st.DB().Where("org_id = ?", oc.acme.ID).Find(&entries).Error; err != nil {
		t.Fatal(err)
	}
	person := map[int64]int{}
	for _, u := range oc.users {
		person[u.ID] = int(*u.PersonioID)
	}
	byID := map[string]sandbox.AttendancePeriod{}
	slots := map[string][]string{}
	for _, p := range oc.sb.AttendancePeriods() {
		if !strings.HasPrefix(p.Comment, crashComment) {
			continue
		}
		byID[p.ID] = p
		key := fmt.Sprintf("%d@%s", p.PersonID, p.Start)
		slots[key] = append(slots[key], p.ID)
	}
	for key, ids := range slots {
		if len(ids) != 1 {
			t.Errorf("%s: the sandbox has %d periods for %s: %v", phase, len(ids), key, ids)
		}
	}
	live := 0
	for _, e := range entries {
		if e.DeletedAt != nil {
			t.Errorf("%s: deleted entry %d was not purged after its deletion was pushed (personio id %q)", phase, e.ID, e.PersonioID)
			continue
		}
		live++
		it, err := st.LastOutboxItem(t.Context(), oc.acme.ID, store.OutboxTimeEntry, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := byID[e.PersonioID]
		switch {
		case e.PersonioID == "" || !ok:
			t.Errorf("%s: entry %d carries personio id %q, not in the sandbox", phase, e.ID, e.PersonioID)
		case it.State != store.OutboxPushed || it.PersonioID != e.PersonioID:
			t.Errorf("%s: entry %d (period %s): its outbox item %d is %s with id %q", phase, e.ID, e.PersonioID, it.ID, it.State, it.PersonioID)
		case p.PersonID != person[e.UserID] || p.Comment != e.Comment || periodLength(p) != e.EndAt.Sub(e.StartAt):
			t.Errorf("%s: entry %d: period %s is person %d %q lasting %s, want person %d %q lasting %s", phase, e.ID, p.ID,
				p.PersonID, p.Comment, periodLength(p), person[e.UserID], e.Comment, e.EndAt.Sub(e.StartAt))
		}
	}
	if len(byID) != live || len(slots) != live {
		t.Errorf("%s: the sandbox has %d crash periods in %d slots for %d entries", phase, len(byID), len(slots), live)
	}
	t.Logf("%s: %d entries in the sandbox exactly once, with the ids their outbox items and entries carry", phase, live)
}

// mixedBatch edits (comment and end), deletes and adds entries, each
// change enqueued as the time tracking service does.
func (oc *outboxCrash) mixedBatch() (edited, deleted map[int64]bool, added []int64) {
	t, st, ctx := oc.t, oc.st, oc.t.Context()
	var entries []store.TimeEntry
	if err := st.DB().Where("org_id = ? AND deleted_at IS NULL", oc.acme.ID).Order("id").Find(&entries).Error; err != nil {
		t.Fatal(err)
	}
	edited, deleted = map[int64]bool{}, map[int64]bool{}
	now := time.Now().UTC()
	err := st.Tx(ctx, func(tx *store.Store) error {
		for i, e := range entries {
			switch i % 4 {
			case 1:
				end := e.EndAt.Add(30 * time.Minute)
				e.EndAt, e.Comment, e.UpdatedAt = &end, e.Comment+" edited", now
				if err := tx.SaveTimeEntry(ctx, &e); err != nil {
					return err
				}
				if err := outbox.Enqueue(ctx, tx, oc.acme.ID, store.OutboxTimeEntry, e.ID, store.OutboxUpdate, now); err != nil {
					return err
				}
				edited[e.ID] = true
			case 2:
				e.DeletedAt, e.UpdatedAt = &now, now
				if err := tx.SaveTimeEntry(ctx, &e); err != nil {
					return err
				}
				if err := outbox.Enqueue(ctx, tx, oc.acme.ID, store.OutboxTimeEntry, e.ID, store.OutboxDelete, now); err != nil {
					return err
				}
				deleted[e.ID] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	added = oc.seed(1)
	t.Logf("mixed batch: %d edits, %d deletions, %d new entries", len(edited), len(deleted), len(added))
	return edited, deleted, added
}

// checkMixed checks the mixed batch's outcome beyond sameAsSandbox: edits
// in the sandbox, deleted entries gone from it and from roster.
func (oc *outboxCrash) checkMixed(edited, deleted map[int64]bool, added []int64) {
	t, st, ctx := oc.t, oc.st, oc.t.Context()
	for id := range deleted {
		if _, err := st.TimeEntry(ctx, oc.acme.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted entry %d still in roster: %v", id, err)
		}
	}
	// The sandbox's periods by the entry their comment names.
	comment := map[int64]string{}
	for _, p := range oc.sb.AttendancePeriods() {
		rest, ok := strings.CutPrefix(p.Comment, crashComment)
		if !ok {
			continue
		}
		no, _, _ := strings.Cut(rest, " ")
		id, err := strconv.ParseInt(no, 10, 64)
		if err != nil {
			t.Fatalf("period %s: comment %q", p.ID, p.Comment)
		}
		comment[id] = p.Comment
	}
	for id := range deleted {
		if c, ok := comment[id]; ok {
			t.Errorf("deleted entry %d is still in the sandbox (%q)", id, c)
		}
	}
	for id := range edited {
		if c := comment[id]; !strings.HasSuffix(c, " edited") {
			t.Errorf("the edit of entry %d did not reach the sandbox: %q", id, c)
		}
	}
	for _, id := range added {
		if _, ok := comment[id]; !ok {
			t.Errorf("new entry %d is not in the sandbox", id)
		}
	}
}

// periodLength is the length of a sandbox period (0 without an end).
func periodLength(p sandbox.AttendancePeriod) time.Duration {
	const wall = "2006-01-02T15:04:05"
	start, err1 := time.Parse(wall, p.Start)
	if p.End == nil || err1 != nil {
		return 0
	}
	end, err := time.Parse(wall, *p.End)
	if err != nil {
		return 0
	}
	return end.Sub(start)
}

// editUnknown edits (comment and end) the entries whose create was tried
// without its outcome being saved; the edit coalesces into the create.
func (oc *outboxCrash) editUnknown(phase string, attempt int) {
	t, st, ctx := oc.t, oc.st, oc.t.Context()
	var items []store.OutboxItem
	err := st.DB().Where("org_id = ? AND state IN ? AND attempts > 0 AND personio_id = ''", oc.acme.ID,
		[]string{store.OutboxPending, store.OutboxRetrying}).Find(&items).Error
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	err = st.Tx(ctx, func(tx *store.Store) error {
		for _, it := range items {
			e, err := tx.TimeEntry(ctx, oc.acme.ID, it.RecordID)
			if err != nil {
				return err
			}
			end := e.EndAt.Add(15 * time.Minute)
			e.EndAt, e.Comment, e.UpdatedAt = &end, e.Comment+" corrected", now
			if err := tx.SaveTimeEntry(ctx, e); err != nil {
				return err
			}
			if err := outbox.Enqueue(ctx, tx, oc.acme.ID, store.OutboxTimeEntry, e.ID, store.OutboxUpdate, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	oc.correctedUnknown += len(items)
	t.Logf("%s, attempt %d: %d entry(ies) whose create was left unknown corrected before the restart", phase, attempt, len(items))
}
