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
// Hook for the outbox push (not covered yet): TestCrashRecoveryOutboxPush
// would reuse crashRoster (child processes, lease TTL, store) and
// crashScene (kill loop with its lease checks, convergence) with killLoop
// taking the roster command to kill instead of `sync`; its check is that
// the sandbox received each push exactly once after the restart.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/config"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/linking"
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
		syncLeaseTTL = ttl
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
