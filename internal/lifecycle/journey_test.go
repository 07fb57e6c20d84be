package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/hrinvite"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// clock is a settable time shared by the sandbox, the sync and the
// lifecycle (their goroutines read it while the test moves it).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// journey is an organisation in Europe/Berlin connected to an in-process
// sandbox company of 30 employees, with an owner, a second admin, the
// employee sync wired to a lifecycle Updater (notifications, email,
// invitations via HR) and one clock for all of them.
type journey struct {
	t      *testing.T
	st     *store.Store
	sb     *sandbox.Server
	org    *store.Organization
	owner  *store.User
	admin2 *store.User
	clk    *clock
	loc    *time.Location
	mb     *mail.Mailbox
	up     *lifecycle.Updater
	svc    *hrsync.Service
	base   string
	// failAfterRun makes the next runs fail after writing the mirror, as
	// a crash or a lost lease at the end of a run would.
	failAfterRun bool
}

func newJourney(t *testing.T, st *store.Store) *journey {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	j := &journey{t: t, st: st, loc: loc, mb: mail.NewMailbox(), clk: &clock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, loc)}}
	ctx := t.Context()
	opts := sandbox.DefaultOptions()
	opts.Employees, opts.Seed, opts.RateLimit, opts.Now = 30, 7, false, j.clk.Now
	j.sb, j.base = sandboxtest.Start(t, opts)

	j.org = &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin"}
	if err := st.CreateOrganization(ctx, j.org); err != nil {
		t.Fatal(err)
	}
	j.owner = j.newUser("olga@acme.test", "Olga Owner", store.RoleOwner, nil)
	j.admin2 = j.newUser("adam@acme.test", "Adam Admin", store.RoleAdmin, nil)
	// Safeguard out of the way: these tests are about joiners and movers.
	j.settings(func(s *store.SyncSettings) { s.SafeguardPercent, s.SafeguardMax = 100, 1000 })

	acc := accounts.New(accounts.Options{Store: st, Mailer: j.mb, BaseURL: "http://roster.test", BcryptCost: 4, Now: j.clk.Now})
	ntf := notify.New(st, acc.EmailUser, j.clk.Now, nil)
	inv := hrinvite.New(st, acc, j.clk.Now, nil)
	j.up = lifecycle.New(lifecycle.Options{Store: st, Now: j.clk.Now, Notify: ntf, Accounts: acc, Invite: inv})

	providers := func(_ context.Context, _ int64, onCall func(hris.CallInfo)) (hris.Provider, error) {
		return personio.New(personio.Config{
			BaseURL: j.base, ClientID: sandbox.FullClientID, ClientSecret: sandbox.FullClientSecret, Version: "test",
			Timeout: 5 * time.Second, Limits: personio.NoLimits(), MaxRetries: 3,
			BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Location: loc, OnCall: onCall,
		})
	}
	j.svc, err = hrsync.New(hrsync.Options{Store: st, Providers: providers, Now: j.clk.Now, LeaseTTL: 3 * time.Second,
		AfterRun: func(ctx context.Context, r *store.SyncRun) error {
			if j.failAfterRun {
				return errors.New("simulated failure at the end of the run")
			}
			return j.up.AfterRun(ctx, r)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := j.svc.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return j
}

func (j *journey) newUser(email, name, role string, pid *int64) *store.User {
	j.t.Helper()
	u := &store.User{OrgID: j.org.ID, Email: email, Name: name, Role: role, Status: store.StatusActive, PasswordHash: "x", PersonioID: pid}
	if err := j.st.CreateUser(j.t.Context(), u); err != nil {
		j.t.Fatal(err)
	}
	return u
}

func (j *journey) settings(fn func(*store.SyncSettings)) {
	j.t.Helper()
	s, err := j.st.SyncSettings(j.t.Context(), j.org.ID)
	if err != nil {
		j.t.Fatal(err)
	}
	fn(s)
	if err := j.st.SaveSyncSettings(j.t.Context(), s); err != nil {
		j.t.Fatal(err)
	}
}

// sync runs an employee sync a minute later on the clock (so that the
// sandbox's changes are strictly older than the run).
func (j *journey) sync(mode, trigger string) *store.SyncRun {
	j.t.Helper()
	j.clk.Add(time.Minute)
	r, started, err := j.svc.Run(j.t.Context(), j.org.ID, hrsync.Request{Area: store.AreaEmployees, Mode: mode, Trigger: trigger})
	if err != nil || !started || r.Status != store.RunSucceeded {
		j.t.Fatalf("%s sync (%s): started %v, err %v, run %+v", mode, trigger, started, err, r)
	}
	j.clk.Add(time.Minute)
	return r
}

func (j *journey) firstImport() *store.SyncRun {
	return j.sync(store.ModeFull, store.TriggerFirstImport)
}

func (j *journey) partial() *store.SyncRun {
	return j.sync(store.ModePartial, store.TriggerSchedule)
}

func (j *journey) tick(at time.Time) {
	j.t.Helper()
	j.clk.Set(at)
	if err := j.up.Tick(j.t.Context(), j.org.ID); err != nil {
		j.t.Fatal(err)
	}
}

// hire adds an employee to the sandbox company.
func (j *journey) hire(first, last string, edit func(*sandbox.EmployeeInput)) sandbox.Employee {
	j.t.Helper()
	in := sandbox.EmployeeInput{FirstName: &first, LastName: &last,
		Email: sandbox.Ptr(strings.ToLower(first+"."+last) + "@acme.test"), Position: sandbox.Ptr("Engineer")}
	if edit != nil {
		edit(&in)
	}
	e, err := j.sb.Hire(in)
	if err != nil {
		j.t.Fatal(err)
	}
	return e
}

func (j *journey) update(id int, in sandbox.EmployeeInput) {
	j.t.Helper()
	if _, err := j.sb.Update(id, in); err != nil {
		j.t.Fatal(err)
	}
}

func (j *journey) employee(pid int) store.HREmployee {
	j.t.Helper()
	e, err := j.st.HREmployee(j.t.Context(), j.org.ID, int64(pid))
	if err != nil {
		j.t.Fatalf("employee %d: %v", pid, err)
	}
	return *e
}

// link creates an active member linked to the Personio employee pid.
func (j *journey) link(pid int, email string) *store.User {
	j.t.Helper()
	p := int64(pid)
	return j.newUser(email, fmt.Sprintf("User %d", pid), store.RoleMember, &p)
}

func (j *journey) user(id int64) *store.User {
	j.t.Helper()
	u, err := j.st.User(j.t.Context(), j.org.ID, id)
	if err != nil {
		j.t.Fatal(err)
	}
	return u
}

func (j *journey) userLinkedTo(pid int) (*store.User, bool) {
	j.t.Helper()
	linked, err := j.st.LinkedUsers(j.t.Context(), j.org.ID, []int64{int64(pid)})
	if err != nil {
		j.t.Fatal(err)
	}
	u, ok := linked[int64(pid)]
	return &u, ok
}

// team creates a Roster team; mapTo maps the Personio team named unit
// (as the mirror has it) to it.
func (j *journey) team(name string) int64 {
	j.t.Helper()
	tm := &store.Team{OrgID: j.org.ID, Name: name}
	if err := j.st.CreateTeam(j.t.Context(), tm); err != nil {
		j.t.Fatal(err)
	}
	return tm.ID
}

func (j *journey) mapTo(pidInUnit int, teamID int64) {
	j.t.Helper()
	e := j.employee(pidInUnit)
	if e.TeamName == "" {
		j.t.Fatalf("employee %d has no team", pidInUnit)
	}
	m := &store.TeamMapping{OrgID: j.org.ID, Source: store.TeamSourceTeam, PersonioKey: store.HRUnitKey(e.TeamID, e.TeamName),
		PersonioName: e.TeamName, TeamID: teamID}
	if err := j.st.SaveTeamMapping(j.t.Context(), m); err != nil {
		j.t.Fatal(err)
	}
}

// notes lists a user's notifications, newest first.
func (j *journey) notes(userID int64) []store.Notification {
	j.t.Helper()
	ns, _, err := j.st.Notifications(j.t.Context(), j.org.ID, userID, false, 100, 0)
	if err != nil {
		j.t.Fatal(err)
	}
	return ns
}

// mails lists the messages sent to addr, newest first.
func (j *journey) mails(addr string) []mail.Stored {
	var out []mail.Stored
	for _, m := range j.mb.Messages() {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

func (j *journey) audits(action string) []store.AuditEvent {
	j.t.Helper()
	es, _, err := j.st.ListAudit(j.t.Context(), j.org.ID, store.AuditFilter{Action: action})
	if err != nil {
		j.t.Fatal(err)
	}
	return es
}

func (j *journey) date(daysFromToday int) string {
	return j.clk.Now().In(j.loc).AddDate(0, 0, daysFromToday).Format(time.DateOnly)
}

// TestJourneyFieldChangesFollowPersonio: the fields Personio manages on a
// linked user follow the employee after a partial sync, and a second sync
// writes nothing.
func TestJourneyFieldChangesFollowPersonio(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		j := newJourney(t, st)
		fiona := j.hire("Fiona", "Field", func(in *sandbox.EmployeeInput) {
			in.Team, in.HireDate = sandbox.Ptr("Platform"), sandbox.Ptr(j.date(-400))
			in.CostCenters = []sandbox.CostCenterShare{{Name: "CC-100 Engineering", Percentage: 100}}
		})
		j.firstImport()
		u := j.link(fiona.ID, "fiona.field@acme.test")
		if err := st.UpdateUserFields(t.Context(), j.org.ID, u.ID, map[string]any{"picture_url": "https://old.example/p.png"}); err != nil {
			t.Fatal(err)
		}

		j.update(fiona.ID, sandbox.EmployeeInput{FirstName: sandbox.Ptr("Fee"), LastName: sandbox.Ptr("Feldmann"),
			Position: sandbox.Ptr("Staff Engineer"), HireDate: sandbox.Ptr(j.date(-380)),
			CostCenters: []sandbox.CostCenterShare{{Name: "CC-200 Sales", Percentage: 60}, {Name: "CC-300 Ops", Percentage: 40}}})
		lastDay, endDate := j.date(40), j.date(45)
		if _, err := j.sb.Terminate(fiona.ID, sandbox.Termination{LastWorkingDay: lastDay, TerminationDate: endDate}); err != nil {
			t.Fatal(err)
		}
		j.partial()

		got := j.user(u.ID)
		e := j.employee(fiona.ID)
		want := map[string][2]string{
			"name":             {got.Name, "Fee Feldmann"},
			"job title":        {got.JobTitle, "Staff Engineer"},
			"hire date":        {got.HireDate, j.date(-380)},
			"last working day": {got.LastWorkingDay, lastDay},
			"termination date": {got.TerminationDate, endDate},
			"cost center":      {got.CostCenter, "CC-200 Sales, CC-300 Ops"},
			"picture":          {got.PictureURL, e.ProfilePictureURL},
		}
		for field, v := range want {
			if v[0] != v[1] {
				t.Errorf("%s: user has %q, Personio %q", field, v[0], v[1])
			}
		}
		if !strings.Contains(got.PictureURL, fmt.Sprintf("/employees/%d/profile-picture", fiona.ID)) {
			t.Errorf("picture URL %q is not the employee's", got.PictureURL)
		}
		if got.PersonioSyncedAt == nil || got.Status != store.StatusActive {
			t.Errorf("synced at %v, status %s", got.PersonioSyncedAt, got.Status)
		}
		updates := j.audits(lifecycle.ActionUpdated)
		if len(updates) != 1 || !strings.Contains(updates[0].Details, `name "User `) || !strings.Contains(updates[0].Details, `→ "Fee Feldmann"`) {
			t.Fatalf("audit of the update: %+v", updates)
		}

		// Nothing changed in Personio: neither sync kind writes the user again.
		stamp := got.UpdatedAt
		j.partial()
		j.sync(store.ModeFull, store.TriggerSchedule)
		if n := len(j.audits(lifecycle.ActionUpdated)); n != 1 {
			t.Fatalf("%d update audits after identical syncs, want 1", n)
		}
		if again := j.user(u.ID); !again.UpdatedAt.Equal(stamp) {
			t.Fatalf("user rewritten by identical syncs: updated_at %v → %v", stamp, again.UpdatedAt)
		}
	})
}
