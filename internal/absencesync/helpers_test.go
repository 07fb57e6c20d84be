package absencesync_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/absencesync"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
)

// clock is a settable time shared by the sandbox and the sync.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// edits changes time-offs as Personio lists them: the sandbox has no way
// to edit a time-off in place, so a test "edits one in Personio" by
// rewriting it on the way out of the client.
type edits struct {
	mu sync.Mutex
	fn map[int64]func(*hris.TimeOff)
}

func (e *edits) set(id int64, fn func(*hris.TimeOff)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fn == nil {
		e.fn = map[int64]func(*hris.TimeOff){}
	}
	e.fn[id] = fn
}

// provider wraps the sandbox client with the edits and, when crashAfterCreate
// is set, forgets Personio's answer to the next create (a crash right after
// Personio accepted it).
type provider struct {
	hris.Provider
	ed               *edits
	crashAfterCreate *bool
}

var errCrash = errors.New("simulated crash after Personio accepted the time-off")

func (p *provider) ListTimeOffs(ctx context.Context, q hris.TimeOffQuery, fn func([]hris.TimeOff) error) error {
	return p.Provider.ListTimeOffs(ctx, q, func(page []hris.TimeOff) error {
		p.ed.mu.Lock()
		for i := range page {
			if f := p.ed.fn[page[i].ID]; f != nil {
				f(&page[i])
			}
		}
		p.ed.mu.Unlock()
		return fn(page)
	})
}

func (p *provider) CreateTimeOff(ctx context.Context, t hris.NewTimeOff) (hris.TimeOff, error) {
	got, err := p.Provider.CreateTimeOff(ctx, t)
	if err == nil && *p.crashAfterCreate {
		*p.crashAfterCreate = false
		return hris.TimeOff{}, errCrash
	}
	return got, err
}

// fx is an organisation in Europe/Berlin connected to an in-process
// sandbox of 20 employees, with users Ada (employee 1002), Bob (1003),
// Carl (not linked) and the manager Mia (1004); categories Vacation and
// Sick paired with Personio's types, Unpaired not paired.
type fx struct {
	t                *testing.T
	st               *store.Store
	sb               *sandbox.Server
	clk              *clock
	ed               *edits
	crashAfterCreate bool
	org              int64
	ada, bob, carl   int64
	vacation, sick   int64
	unpaired         int64
	svc              *absencesync.Service
	out              *outbox.Service
	typeVacation     int
	typeSick         int
	typeUnpaid       int
	providers        func(context.Context, int64, func(hris.CallInfo)) (hris.Provider, error)
}

const (
	empAda = 1002
	empBob = 1003
	empMia = 1004
)

func setup(t *testing.T, st *store.Store, leading string, onlyApproved bool) *fx {
	t.Helper()
	ctx := t.Context()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	f := &fx{t: t, st: st, clk: &clock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, loc)}, ed: &edits{}}
	opts := sandbox.DefaultOptions()
	opts.Employees, opts.Seed, opts.RateLimit, opts.Now = 20, 3, false, f.clk.Now
	var base string
	f.sb, base = sandboxtest.Start(t, opts)
	types := f.sb.TimeOffTypeIDs()
	f.typeVacation, f.typeSick, f.typeUnpaid = types["Paid vacation"], types["Sick leave"], types["Unpaid vacation"]
	if f.typeVacation == 0 || f.typeSick == 0 || f.typeUnpaid == 0 {
		t.Fatalf("sandbox time-off types: %v", types)
	}

	now := f.clk.Now().UTC()
	org := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	f.org = org.ID
	mk := func(name string, pid int64) int64 {
		u := &store.User{OrgID: org.ID, Email: name + "@acme.test", Name: name, Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
		if pid != 0 {
			u.PersonioID = &pid
		}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	f.ada, f.bob, f.carl = mk("ada", empAda), mk("bob", empBob), mk("carl", 0)
	mk("mia", empMia)
	cat := func(name string, typeID int) int64 {
		c := &store.AbsenceCategory{OrgID: org.ID, Name: name, HalfDays: true, CreatedAt: now, UpdatedAt: now}
		if typeID != 0 {
			id := int64(typeID)
			c.PersonioTypeID, c.PersonioTypeName = &id, name
		}
		if err := st.DB().Create(c).Error; err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	f.vacation, f.sick, f.unpaired = cat("Vacation", f.typeVacation), cat("Sick", f.typeSick), cat("Unpaired", 0)
	set := store.DefaultSyncSettings(org.ID)
	set.AbsencesLeading, set.AbsencesOnlyApproved = leading, onlyApproved
	if err := st.SaveSyncSettings(ctx, &set); err != nil {
		t.Fatal(err)
	}

	providers := func(_ context.Context, _ int64, onCall func(hris.CallInfo)) (hris.Provider, error) {
		cl, err := personio.New(personio.Config{
			BaseURL: base, ClientID: sandbox.FullClientID, ClientSecret: sandbox.FullClientSecret, Version: "test",
			Timeout: 5 * time.Second, Limits: personio.NoLimits(), MaxRetries: 2,
			BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Location: loc, OnCall: onCall,
		})
		if err != nil {
			return nil, err
		}
		return &provider{Provider: cl, ed: f.ed, crashAfterCreate: &f.crashAfterCreate}, nil
	}
	f.providers = providers
	f.svc = absencesync.New(absencesync.Options{Store: st, Providers: providers, Enqueue: outbox.Enqueue, Now: f.clk.Now})
	f.out = outbox.New(outbox.Options{Store: st, Providers: providers, Now: f.clk.Now,
		Pushers: map[string]outbox.Pusher{store.OutboxAbsence: f.svc.Pusher()}})
	return f
}

// run records an employee sync run of the mode and imports the absences.
func (f *fx) run(mode string) absencesync.ImportResult {
	f.t.Helper()
	now := f.clk.Now()
	r := &store.SyncRun{OrgID: f.org, Area: store.AreaEmployees, Mode: mode, Trigger: store.TriggerManual, Status: store.RunRunning,
		StartedAt: now, HeartbeatAt: now}
	if err := f.st.DB().Create(r).Error; err != nil {
		f.t.Fatal(err)
	}
	res, err := f.svc.ImportRun(f.t.Context(), r)
	if err != nil {
		f.t.Fatalf("import: %v", err)
	}
	return res
}

func (f *fx) absences() []store.Absence {
	f.t.Helper()
	var out []store.Absence
	if err := f.st.DB().Where("org_id = ?", f.org).Order("id").Find(&out).Error; err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fx) absence(id int64) store.Absence {
	f.t.Helper()
	var a store.Absence
	if err := f.st.DB().Where("org_id = ? AND id = ?", f.org, id).First(&a).Error; err != nil {
		f.t.Fatal(err)
	}
	return a
}

// byPersonio returns the imported absence of a time-off (false if none).
func (f *fx) byPersonio(id int) (store.Absence, bool) {
	f.t.Helper()
	var as []store.Absence
	if err := f.st.DB().Where("org_id = ? AND personio_id = ?", f.org, id).Find(&as).Error; err != nil {
		f.t.Fatal(err)
	}
	if len(as) == 0 {
		return store.Absence{}, false
	}
	return as[0], true
}

// request creates a Roster absence as the absences use case does and calls
// OnChange in the same transaction.
func (f *fx) request(userID, catID int64, start, end, status string) *store.Absence {
	f.t.Helper()
	now := f.clk.Now().UTC()
	a := &store.Absence{OrgID: f.org, UserID: userID, CategoryID: &catID, StartDate: start, EndDate: end, Comment: "Trip",
		Status: status, Source: store.SourceRoster, CreatedAt: now, UpdatedAt: now}
	f.change(a, store.OutboxCreate, func(tx *store.Store) error { return tx.DB().Create(a).Error })
	return a
}

// change saves a and calls OnChange with op in one transaction.
func (f *fx) change(a *store.Absence, op string, save func(tx *store.Store) error) {
	f.t.Helper()
	err := f.st.Tx(f.t.Context(), func(tx *store.Store) error {
		if save == nil {
			save = func(tx *store.Store) error { return tx.DB().Save(a).Error }
		}
		if err := save(tx); err != nil {
			return err
		}
		return f.svc.OnChange(f.t.Context(), tx, a, op)
	})
	if err != nil {
		f.t.Fatalf("change absence (%s): %v", op, err)
	}
}

// edit loads the absence, changes it with fn and saves it with OnChange(op),
// as the absences use case does.
func (f *fx) edit(id int64, op string, fn func(a *store.Absence)) *store.Absence {
	f.t.Helper()
	a := f.absence(id)
	fn(&a)
	a.UpdatedAt = f.clk.Now().UTC()
	f.change(&a, op, nil)
	return &a
}

func (f *fx) outboxItems() []store.OutboxItem {
	f.t.Helper()
	var out []store.OutboxItem
	if err := f.st.DB().Where("org_id = ?", f.org).Order("id").Find(&out).Error; err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fx) push() outbox.Result {
	f.t.Helper()
	res, err := f.out.PushDue(f.t.Context(), f.org, store.OutboxAbsence)
	if err != nil {
		f.t.Fatalf("push: %v", err)
	}
	return res
}

// apiTimeOffs returns the time-offs of an employee created through the API.
func (f *fx) apiTimeOffs(emp int) []sandbox.TimeOff {
	var out []sandbox.TimeOff
	for _, t := range f.sb.TimeOffs(emp) {
		if t.CreatedBy == "API" {
			out = append(out, t)
		}
	}
	return out
}

// inWindow reports whether a sandbox time-off is imported by a full run
// (overlaps the window, not rejected or cancelled).
func (f *fx) inWindow(t sandbox.TimeOff) bool {
	today := f.clk.Now().In(time.FixedZone("", 0)).Add(time.Hour) // Berlin in March: UTC+1
	from := today.AddDate(0, 0, -absencesync.WindowPastDays).Format(time.DateOnly)
	to := today.AddDate(0, 0, absencesync.WindowFutureDays).Format(time.DateOnly)
	return t.StartDate <= to && t.EndDate >= from && t.Status != "rejected" && t.Status != "canceled"
}
