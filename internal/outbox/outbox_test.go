package outbox_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/timetrack"
)

// clock is an injectable clock.
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
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one organisation with a member linked to a sandbox employee, an
// admin, time tracking and the outbox.
type env struct {
	t       *testing.T
	st      *store.Store
	sb      *sandbox.Server
	clock   *clock
	orgID   int64
	member  roster.Actor
	admin   roster.Actor
	tt      *timetrack.Service
	ob      *outbox.Service
	factory func(ctx context.Context, orgID int64, onCall func(hris.CallInfo)) (hris.Provider, error)
	// tag makes this test's comments unique in the sandbox.
	tag string
	// days counts the entries added (each on its own day: no overlaps).
	days int
}

func newEnv(t *testing.T, st *store.Store, onlyConfirmed bool) *env {
	t.Helper()
	ctx := t.Context()
	opts := sandbox.DefaultOptions()
	opts.Employees, opts.RateLimit = 5, false
	sb, baseURL := sandboxtest.Start(t, opts)
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	org := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin"}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	pid := int64(sb.Employees()[0].ID)
	now := c.Now()
	m := &store.User{OrgID: org.ID, Email: "ada@acme.test", Name: "Ada", Role: store.RoleMember, Status: store.StatusActive, PersonioID: &pid, CreatedAt: now, UpdatedAt: now}
	adm := &store.User{OrgID: org.ID, Email: "olga@acme.test", Name: "Olga", Role: store.RoleOwner, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
	for _, u := range []*store.User{m, adm} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	set := store.DefaultSyncSettings(org.ID)
	set.TimePush, set.TimeOnlyConfirmed = true, onlyConfirmed
	if err := st.SaveSyncSettings(ctx, &set); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	e := &env{t: t, st: st, sb: sb, clock: c, orgID: org.ID, tag: "tt-" + strings.ReplaceAll(t.Name(), "/", "-"),
		member: roster.Actor{UserID: m.ID, OrgID: org.ID, Name: m.Name, Role: m.Role},
		admin:  roster.Actor{UserID: adm.ID, OrgID: org.ID, Name: adm.Name, Role: adm.Role}}
	e.factory = func(_ context.Context, _ int64, onCall func(hris.CallInfo)) (hris.Provider, error) {
		return personio.New(personio.Config{BaseURL: baseURL, ClientID: sandbox.FullClientID, ClientSecret: sandbox.FullClientSecret, Version: "test",
			Timeout: 5 * time.Second, Limits: personio.NoLimits(), MaxRetries: 1, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond,
			Location: loc, OnCall: onCall})
	}
	e.tt = timetrack.New(timetrack.Options{Store: st, Now: c.Now})
	e.ob = e.outbox(timetrack.NewPusher(st))
	return e
}

func (e *env) outbox(p outbox.Pusher) *outbox.Service {
	return outbox.New(outbox.Options{Store: e.st, Providers: e.factory, Now: e.clock.Now, Notify: notify.New(e.st, nil, e.clock.Now, nil),
		Pushers: map[string]outbox.Pusher{store.OutboxTimeEntry: p}})
}

// add adds a completed entry of the member on a day of last year without
// generated attendance (each entry on its own day).
func (e *env) add(comment string) *store.TimeEntry {
	e.t.Helper()
	e.days++
	day := e.clock.Now().AddDate(-1, 0, -e.days).Format("2006-01-02")
	te, err := e.tt.Add(e.t.Context(), e.member, timetrack.Input{Day: day, Start: "09:00", End: "17:30", Break: "30", Comment: e.tag + " " + comment})
	if err != nil {
		e.t.Fatal(err)
	}
	return te
}

// periods returns the sandbox periods of this test.
func (e *env) periods() []sandbox.AttendancePeriod {
	var out []sandbox.AttendancePeriod
	for _, p := range e.sb.AttendancePeriods() {
		if strings.HasPrefix(p.Comment, e.tag+" ") {
			out = append(out, p)
		}
	}
	return out
}

func (e *env) push() outbox.Result {
	e.t.Helper()
	r, err := e.ob.PushDue(e.t.Context(), e.orgID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) items() []store.OutboxItem {
	e.t.Helper()
	its, _, err := e.st.ListOutboxItems(e.t.Context(), e.orgID, store.OutboxFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return its
}

func TestPushEditDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, false)
		ctx := t.Context()
		te := e.add("first")
		if r := e.push(); r.Pushed != 1 {
			t.Fatalf("push: %+v %+v", r, e.items())
		}
		ps := e.periods()
		if len(ps) != 1 || !strings.Contains(ps[0].Comment, "Break: 30 min") {
			t.Fatalf("periods after create: %+v", ps)
		}
		got, _ := st.TimeEntry(ctx, e.orgID, te.ID)
		if got.PersonioID != ps[0].ID {
			t.Fatalf("entry personio id %q, period %q", got.PersonioID, ps[0].ID)
		}
		// Edit → the same period is updated.
		day := got.Day
		if _, err := e.tt.Update(ctx, e.member, te.ID, timetrack.Input{Day: day, Start: "08:00", End: "16:00", Comment: e.tag + " edited"}); err != nil {
			t.Fatal(err)
		}
		if r := e.push(); r.Pushed != 1 {
			t.Fatalf("push edit: %+v", r)
		}
		ps = e.periods()
		if len(ps) != 1 || ps[0].Comment != e.tag+" edited" || ps[0].ID != got.PersonioID {
			t.Fatalf("periods after edit: %+v", ps)
		}
		// Delete → the period is deleted, then the entry.
		if err := e.tt.Delete(ctx, e.member, te.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.TimeEntry(ctx, e.orgID, te.ID); err != nil {
			t.Fatalf("a pushed entry must stay until its deletion is pushed: %v", err)
		}
		if r := e.push(); r.Pushed != 1 {
			t.Fatalf("push delete: %+v", r)
		}
		if ps := e.periods(); len(ps) != 0 {
			t.Fatalf("periods after delete: %+v", ps)
		}
		if _, err := st.TimeEntry(ctx, e.orgID, te.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("entry after pushed delete: %v", err)
		}
		// A running timer is never pushed.
		if _, err := e.tt.Start(ctx, e.member, e.tag+" timer", ""); err != nil {
			t.Fatal(err)
		}
		if r := e.push(); r != (outbox.Result{}) || len(e.periods()) != 0 {
			t.Fatalf("running timer pushed: %+v", r)
		}
	})
}

func TestOnlyConfirmed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, true)
		ctx := t.Context()
		ok := e.add("to confirm")
		bad := e.add("to reject")
		e.push()
		if ps := e.periods(); len(ps) != 0 {
			t.Fatalf("unconfirmed entries pushed: %+v", ps)
		}
		if _, err := e.tt.Decide(ctx, e.member, ok.ID, true); err == nil {
			t.Fatal("a member confirmed their own time")
		}
		if _, err := e.tt.Decide(ctx, e.admin, ok.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tt.Decide(ctx, e.admin, bad.ID, false); err != nil {
			t.Fatal(err)
		}
		if r := e.push(); r.Pushed != 1 {
			t.Fatalf("push: %+v", r)
		}
		ps := e.periods()
		if len(ps) != 1 || !strings.Contains(ps[0].Comment, "to confirm") || ps[0].Status != "CONFIRMED" {
			t.Fatalf("periods: %+v", ps)
		}
	})
}

// outage fails every attendance request with 5xx.
func (e *env) outage(on bool) {
	e.t.Helper()
	if !on {
		e.sb.ClearFaults()
		return
	}
	if err := e.sb.SetFaults(sandbox.Faults{Rate5xx: 1, Paths: []string{"/v2/attendance-periods"}}); err != nil {
		e.t.Fatal(err)
	}
}

func TestPersonioDownThreeDaysThenUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, false)
		ctx := t.Context()
		e.outage(true)
		a, b := e.add("a"), e.add("b")
		// An edit and a deletion during the outage coalesce with the pending pushes.
		if _, err := e.tt.Update(ctx, e.member, a.ID, timetrack.Input{Day: a.Day, Start: "10:00", End: "12:00", Comment: e.tag + " a2"}); err != nil {
			t.Fatal(err)
		}
		c := e.add("c")
		if err := e.tt.Delete(ctx, e.member, c.ID); err != nil {
			t.Fatal(err)
		}
		retried := 0
		for range 3 * 24 {
			r := e.push()
			retried += r.Retrying
			if r.Pushed != 0 || r.Failed != 0 {
				t.Fatalf("during the outage: %+v", r)
			}
			e.clock.Add(time.Hour)
		}
		if retried < 2*10 {
			t.Fatalf("only %d retries in 3 days", retried)
		}
		for _, it := range e.items() {
			if it.State != store.OutboxRetrying || it.Attempts < 10 || it.LastError == "" || strings.Contains(strings.ToLower(it.LastError), "secret") {
				t.Fatalf("item during outage: %+v", it)
			}
			if it.NextAttemptAt.Sub(e.clock.Now()) > outbox.MaxBackoff {
				t.Fatalf("backoff beyond the cap: %v", it.NextAttemptAt)
			}
		}
		e.outage(false)
		e.clock.Add(outbox.MaxBackoff)
		if r := e.push(); r.Pushed != 2 {
			t.Fatalf("after the outage: %+v", r)
		}
		ps := e.periods()
		if len(ps) != 2 {
			t.Fatalf("want exactly 2 periods, got %+v", ps)
		}
		comments := ps[0].Comment + "|" + ps[1].Comment
		if !strings.Contains(comments, e.tag+" a2") || !strings.Contains(comments, e.tag+" b") {
			t.Fatalf("periods: %s", comments)
		}
		// Nothing is pushed twice.
		e.clock.Add(24 * time.Hour)
		if r := e.push(); r != (outbox.Result{}) || len(e.periods()) != 2 {
			t.Fatalf("second push after outage: %+v", r)
		}
		_ = b
	})
}

func TestPersonioDownEightDaysFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, false)
		ctx := t.Context()
		e.outage(true)
		te := e.add("lost")
		failed := 0
		for range 8 * 4 {
			failed += e.push().Failed
			e.clock.Add(6 * time.Hour)
		}
		if failed != 1 {
			t.Fatalf("failed %d", failed)
		}
		its := e.items()
		if len(its) != 1 || its[0].State != store.OutboxFailed || its[0].RecordID != te.ID || its[0].LastError == "" {
			t.Fatalf("items: %+v", its)
		}
		ns, _, err := st.Notifications(ctx, e.orgID, e.admin.UserID, false, 10, 0)
		if err != nil || len(ns) != 1 || !strings.Contains(ns[0].Title, "could not be pushed") {
			t.Fatalf("admin notifications: %+v %v", ns, err)
		}
		// Failed items are not retried any more.
		e.outage(false)
		if r := e.push(); r != (outbox.Result{}) || len(e.periods()) != 0 {
			t.Fatalf("failed item pushed again: %+v", r)
		}
		_, total, counts, err := e.ob.List(ctx, e.orgID, outbox.Filter{State: store.OutboxFailed})
		if err != nil || total != 1 || counts[store.OutboxFailed] != 1 {
			t.Fatalf("list failed: %d %v %v", total, counts, err)
		}
	})
}

func TestCrashAfterSaveIDDoesNotDuplicate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, false)
		ctx := t.Context()
		te := e.add("crash")
		crashed := false
		outbox.SetAfterSaveID(e.ob, func(store.OutboxItem) error {
			if crashed {
				return nil
			}
			crashed = true
			return errors.New("process killed")
		})
		if _, err := e.ob.PushDue(ctx, e.orgID); err == nil {
			t.Fatal("the simulated crash was not reported")
		}
		if ps := e.periods(); len(ps) != 1 {
			t.Fatalf("Personio accepted the create: %+v", ps)
		}
		its := e.items()
		if len(its) != 1 || its[0].State != store.OutboxPending || its[0].PersonioID == "" {
			t.Fatalf("the id must be committed before the crash: %+v", its)
		}
		if r := e.push(); r.Pushed != 1 {
			t.Fatalf("retry: %+v", r)
		}
		ps := e.periods()
		got, _ := st.TimeEntry(ctx, e.orgID, te.ID)
		if len(ps) != 1 || got.PersonioID != ps[0].ID {
			t.Fatalf("duplicate or lost link: %+v, entry %q", ps, got.PersonioID)
		}
	})
}

// crashing panics after the HTTP call of a create, before saveID, once.
type crashing struct {
	inner   outbox.Pusher
	crashed bool
}

func (c *crashing) Push(ctx context.Context, p hris.Provider, it store.OutboxItem, saveID func(string) error) error {
	if c.crashed {
		return c.inner.Push(ctx, p, it, saveID)
	}
	c.crashed = true
	return c.inner.Push(ctx, p, it, func(string) error { panic("crash between Personio's answer and saveID") })
}

func TestCrashBeforeSaveIDFindsThePeriod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, false)
		e.ob = e.outbox(&crashing{inner: timetrack.NewPusher(st)})
		te := e.add("lost answer")
		if r := e.push(); r.Retrying != 1 {
			t.Fatalf("first attempt: %+v", r)
		}
		if its := e.items(); its[0].PersonioID != "" || its[0].Attempts != 1 {
			t.Fatalf("item: %+v", its[0])
		}
		e.clock.Add(outbox.FirstBackoff)
		if r := e.push(); r.Pushed != 1 {
			t.Fatalf("retry: %+v", r)
		}
		ps := e.periods()
		got, _ := st.TimeEntry(t.Context(), e.orgID, te.ID)
		if len(ps) != 1 || got.PersonioID != ps[0].ID || e.items()[0].PersonioID != ps[0].ID {
			t.Fatalf("want one period linked, got %+v, entry %q", ps, got.PersonioID)
		}
	})
}

func TestConcurrentPushDuePushesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, false)
		for i := range 6 {
			e.add("c" + string(rune('a'+i)))
		}
		other := e.outbox(timetrack.NewPusher(st))
		var wg sync.WaitGroup
		results := make([]outbox.Result, 4)
		for i := range results {
			svc := e.ob
			if i%2 == 1 {
				svc = other
			}
			wg.Go(func() {
				for {
					r, err := svc.PushDue(context.Background(), e.orgID)
					if err != nil {
						t.Error(err)
						return
					}
					results[i].Pushed += r.Pushed
					if its, _ := st.DueOutboxItems(context.Background(), e.orgID, nil, e.clock.Now(), 1); len(its) == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		total := 0
		for _, r := range results {
			total += r.Pushed
		}
		if total != 6 || len(e.periods()) != 6 {
			t.Fatalf("pushed %d, periods %d", total, len(e.periods()))
		}
		for _, it := range e.items() {
			if it.Attempts != 1 || it.State != store.OutboxPushed {
				t.Fatalf("item pushed more than once: %+v", it)
			}
		}
	})
}

func TestEnqueueCoalesces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, false)
		ctx := t.Context()
		now := e.clock.Now()
		enq := func(rec int64, op string) {
			t.Helper()
			if err := st.Tx(ctx, func(tx *store.Store) error {
				return outbox.Enqueue(ctx, tx, e.orgID, store.OutboxAbsence, rec, op, now)
			}); err != nil {
				t.Fatal(err)
			}
		}
		open := func(rec int64) string {
			t.Helper()
			it, err := st.OpenOutboxItem(ctx, e.orgID, store.OutboxAbsence, rec)
			if errors.Is(err, store.ErrNotFound) {
				return ""
			}
			if err != nil {
				t.Fatal(err)
			}
			return it.Op
		}
		enq(1, store.OutboxCreate)
		enq(1, store.OutboxUpdate)
		if got := open(1); got != store.OutboxCreate {
			t.Fatalf("create+update: %q", got)
		}
		enq(2, store.OutboxUpdate)
		enq(2, store.OutboxUpdate)
		if got := open(2); got != store.OutboxUpdate {
			t.Fatalf("update+update: %q", got)
		}
		enq(3, store.OutboxCreate)
		enq(3, store.OutboxDelete)
		if got := open(3); got != "" {
			t.Fatalf("create+delete before the push: %q", got)
		}
		enq(4, store.OutboxCreate)
		it, _ := st.OpenOutboxItem(ctx, e.orgID, store.OutboxAbsence, 4)
		if err := st.SaveOutboxPersonioID(ctx, e.orgID, it.ID, "77", now); err != nil {
			t.Fatal(err)
		}
		enq(4, store.OutboxDelete)
		if got := open(4); got != store.OutboxDelete {
			t.Fatalf("create with a Personio id + delete: %q", got)
		}
		enq(2, store.OutboxDelete)
		if got := open(2); got != store.OutboxDelete {
			t.Fatalf("update+delete: %q", got)
		}
		if n := len(e.items()); n != 3 {
			t.Fatalf("one row per record expected, got %d", n)
		}
		if err := outbox.Enqueue(ctx, st, e.orgID, store.OutboxAbsence, 9, "upsert", now); err == nil {
			t.Fatal("unknown op accepted")
		}
	})
}

func TestBackoff(t *testing.T) {
	for attempts, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 9: 256 * time.Minute, 10: 6 * time.Hour, 40: 6 * time.Hour} {
		if got := outbox.Backoff(attempts); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", attempts, got, want)
		}
	}
}
