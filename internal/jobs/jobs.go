// Package jobs registers Roster's in-process schedules with gocron: per
// organisation the daily full sync and the partial syncs, and the daily
// housekeeping. Jobs are named, never overlap, have timeouts, and run once
// per slot even when several Roster processes share one database.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/robfig/cron/v3"

	"github.com/rosterhq/roster/internal/store"
)

// Sync modes the scheduler asks for.
const (
	ModeFull    = "full"
	ModePartial = "partial"
)

// SyncRunner runs one scheduled employee sync of an organisation.
type SyncRunner interface {
	RunScheduled(ctx context.Context, orgID int64, mode string) error
}

// Housekeeper prunes old data once a day.
type Housekeeper interface {
	Prune(ctx context.Context, now time.Time) error
}

// LifecycleTicker does the people-lifecycle work that falls due with time
// (scheduled deactivations, invitations due today) for one organisation.
type LifecycleTicker interface {
	Tick(ctx context.Context, orgID int64) error
}

// OutboxPusher pushes an organisation's due outbox items (absences and
// time entries to the HR system).
type OutboxPusher interface {
	PushOrg(ctx context.Context, orgID int64) error
}

// HealthChecker checks the sync health of every organisation that is
// connected or has an open problem (stale data, alerts).
type HealthChecker interface {
	CheckAll(ctx context.Context, now time.Time) error
}

// HealthSpec is when the health check runs: every 15 minutes, so stale data
// is noticed even when no sync runs.
const HealthSpec = "*/15 * * * *"

// OutboxSpec is when the outbox job runs: every 5 minutes, so retries with
// a short backoff happen on time.
const OutboxSpec = "*/5 * * * *"

// LifecycleSpec is when the lifecycle tick runs: every 15 minutes, so a
// leaver is deactivated within 15 minutes of the end of their last day.
const LifecycleSpec = "*/15 * * * *"

// Options configure the scheduler.
type Options struct {
	Store       *store.Store
	Sync        SyncRunner
	Housekeeper Housekeeper
	// Lifecycle, if set, ticks every connected organisation on LifecycleSpec.
	Lifecycle LifecycleTicker
	// Outbox, if set, pushes every connected organisation's due outbox
	// items on OutboxSpec.
	Outbox OutboxPusher
	// Health, if set, checks the sync health of every organisation on
	// HealthSpec (job "health").
	Health HealthChecker
	Logger *slog.Logger
	// Clock drives the schedules (a fake clock in tests).
	Clock clockwork.Clock
	// JobTimeout bounds one sync (default 2h).
	JobTimeout time.Duration
	// ReconcileEvery re-reads every organisation's settings so changes made
	// through another replica are picked up (default 1 minute).
	ReconcileEvery time.Duration
}

// Scheduler owns the gocron scheduler and the per-organisation jobs.
type Scheduler struct {
	opts   Options
	sched  gocron.Scheduler
	holder string
	mu     sync.Mutex
	plans  map[int64]plan // what is scheduled per organisation
	jobs   map[int64][]uuid.UUID
}

type plan struct {
	full, partial string // cron specs; "" when off
}

// New builds the scheduler; Start starts it.
func New(o Options) (*Scheduler, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.JobTimeout == 0 {
		o.JobTimeout = 2 * time.Hour
	}
	if o.ReconcileEvery == 0 {
		o.ReconcileEvery = time.Minute
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	s := &Scheduler{opts: o, holder: hex.EncodeToString(b), plans: map[int64]plan{}, jobs: map[int64][]uuid.UUID{}}
	sched, err := gocron.NewScheduler(gocron.WithClock(o.Clock), gocron.WithLogger(logAdapter{o.Logger}),
		gocron.WithStopTimeout(30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	s.sched = sched
	return s, nil
}

// Start registers the housekeeping jobs and every organisation's syncs.
func (s *Scheduler) Start(ctx context.Context) error {
	if s.opts.Housekeeper != nil {
		const spec = "15 3 * * *"
		cs, err := cron.ParseStandard(spec)
		if err != nil {
			return err
		}
		if _, err := s.sched.NewJob(gocron.CronJob(spec, false), gocron.NewTask(func(ctx context.Context) {
			if !s.claim(ctx, "housekeeping", cs) {
				return
			}
			ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
			defer cancel()
			if err := s.opts.Housekeeper.Prune(ctx, s.opts.Clock.Now()); err != nil {
				s.opts.Logger.Error("housekeeping failed", "err", err)
			}
		}), gocron.WithName("housekeeping"), gocron.WithSingletonMode(gocron.LimitModeReschedule)); err != nil {
			return err
		}
	}
	if s.opts.Lifecycle != nil {
		cs, err := cron.ParseStandard(LifecycleSpec)
		if err != nil {
			return err
		}
		if _, err := s.sched.NewJob(gocron.CronJob(LifecycleSpec, false), gocron.NewTask(func(ctx context.Context) {
			if !s.claim(ctx, "lifecycle", cs) {
				return
			}
			s.TickLifecycle(ctx)
		}), gocron.WithName("lifecycle"), gocron.WithSingletonMode(gocron.LimitModeReschedule)); err != nil {
			return err
		}
	}
	if s.opts.Outbox != nil {
		cs, err := cron.ParseStandard(OutboxSpec)
		if err != nil {
			return err
		}
		if _, err := s.sched.NewJob(gocron.CronJob(OutboxSpec, false), gocron.NewTask(func(ctx context.Context) {
			if !s.claim(ctx, "outbox", cs) {
				return
			}
			s.PushOutbox(ctx)
		}), gocron.WithName("outbox"), gocron.WithSingletonMode(gocron.LimitModeReschedule)); err != nil {
			return err
		}
	}
	if s.opts.Health != nil {
		cs, err := cron.ParseStandard(HealthSpec)
		if err != nil {
			return err
		}
		if _, err := s.sched.NewJob(gocron.CronJob(HealthSpec, false), gocron.NewTask(func(ctx context.Context) {
			if !s.claim(ctx, "health", cs) {
				return
			}
			ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			defer cancel()
			if err := s.opts.Health.CheckAll(ctx, s.opts.Clock.Now()); err != nil {
				s.opts.Logger.Error("health check failed", "err", err)
			}
		}), gocron.WithName("health"), gocron.WithSingletonMode(gocron.LimitModeReschedule)); err != nil {
			return err
		}
	}
	if _, err := s.sched.NewJob(gocron.DurationJob(s.opts.ReconcileEvery), gocron.NewTask(func(ctx context.Context) {
		if err := s.Reconcile(ctx); err != nil {
			s.opts.Logger.Error("reconcile schedules failed", "err", err)
		}
	}), gocron.WithName("reconcile-schedules"), gocron.WithSingletonMode(gocron.LimitModeReschedule)); err != nil {
		return err
	}
	if err := s.Reconcile(ctx); err != nil {
		return err
	}
	s.sched.Start()
	return nil
}

// TickLifecycle runs the lifecycle tick for every connected organisation;
// one organisation's failure is logged and does not stop the others.
func (s *Scheduler) TickLifecycle(ctx context.Context) {
	ids, err := s.opts.Store.ConnectedOrgIDs(ctx)
	if err != nil {
		s.opts.Logger.Error("lifecycle tick: list organisations", "err", err)
		return
	}
	for _, id := range ids {
		tctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		if err := s.opts.Lifecycle.Tick(tctx, id); err != nil {
			s.opts.Logger.Error("lifecycle tick failed", "org_id", id, "err", err)
		}
		cancel()
	}
}

// PushOutbox pushes the due outbox items of every connected organisation;
// one organisation's failure is logged and does not stop the others.
func (s *Scheduler) PushOutbox(ctx context.Context) {
	ids, err := s.opts.Store.ConnectedOrgIDs(ctx)
	if err != nil {
		s.opts.Logger.Error("outbox: list organisations", "err", err)
		return
	}
	for _, id := range ids {
		tctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		if err := s.opts.Outbox.PushOrg(tctx, id); err != nil {
			s.opts.Logger.Error("outbox push failed", "org_id", id, "err", err)
		}
		cancel()
	}
}

// Shutdown stops the scheduler, waiting for running jobs up to the stop timeout.
func (s *Scheduler) Shutdown() error { return s.sched.Shutdown() }

// Reconcile brings every organisation's jobs in line with its connection and
// settings: connected with background sync on → scheduled; otherwise removed.
func (s *Scheduler) Reconcile(ctx context.Context) error {
	ids, err := s.opts.Store.ConnectedOrgIDs(ctx)
	if err != nil {
		return err
	}
	want := map[int64]bool{}
	var errs []error
	for _, id := range ids {
		want[id] = true
		if err := s.Replan(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	s.mu.Lock()
	var gone []int64
	for id := range s.plans {
		if !want[id] {
			gone = append(gone, id)
		}
	}
	s.mu.Unlock()
	for _, id := range gone {
		s.remove(id)
	}
	return errors.Join(errs...)
}

// Replan (re)schedules one organisation after its settings or connection changed.
func (s *Scheduler) Replan(ctx context.Context, orgID int64) error {
	conn, err := s.opts.Store.HRConnection(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && conn.Status != store.ConnConnected) {
		s.remove(orgID)
		return nil
	}
	if err != nil {
		return err
	}
	st, err := s.opts.Store.SyncSettings(ctx, orgID)
	if err != nil {
		return err
	}
	org, err := s.opts.Store.Organization(ctx, orgID)
	if err != nil {
		return err
	}
	p := planFor(org.TimeZone, st)
	s.mu.Lock()
	same := s.plans[orgID] == p && len(s.jobs[orgID]) > 0
	s.mu.Unlock()
	if same {
		return nil
	}
	s.remove(orgID)
	if p == (plan{}) {
		return nil
	}
	var ids []uuid.UUID
	for _, j := range []struct{ spec, mode string }{{p.full, ModeFull}, {p.partial, ModePartial}} {
		mode := j.mode
		cs, err := cron.ParseStandard(j.spec)
		if err != nil {
			return fmt.Errorf("schedule %q: %w", j.spec, err)
		}
		job, err := s.sched.NewJob(gocron.CronJob(j.spec, false), gocron.NewTask(func(ctx context.Context) {
			if !s.claim(ctx, JobName(orgID, mode), cs) {
				return
			}
			ctx, cancel := context.WithTimeout(ctx, s.opts.JobTimeout)
			defer cancel()
			if err := s.opts.Sync.RunScheduled(ctx, orgID, mode); err != nil {
				s.opts.Logger.Error("scheduled sync failed", "org_id", orgID, "mode", mode, "err", err)
			}
		}), gocron.WithName(JobName(orgID, mode)), gocron.WithTags(orgTag(orgID)), gocron.WithSingletonMode(gocron.LimitModeReschedule))
		if err != nil {
			return fmt.Errorf("schedule %s sync of org %d: %w", mode, orgID, err)
		}
		ids = append(ids, job.ID())
	}
	s.mu.Lock()
	s.plans[orgID], s.jobs[orgID] = p, ids
	s.mu.Unlock()
	return nil
}

func (s *Scheduler) remove(orgID int64) {
	s.mu.Lock()
	ids := s.jobs[orgID]
	delete(s.jobs, orgID)
	delete(s.plans, orgID)
	s.mu.Unlock()
	for _, id := range ids {
		_ = s.sched.RemoveJob(id)
	}
}

// NextRuns returns the next full and partial run times of an organisation
// (zero when not scheduled in this process).
func (s *Scheduler) NextRuns(orgID int64) (full, partial time.Time) {
	s.mu.Lock()
	ids := s.jobs[orgID]
	s.mu.Unlock()
	for _, j := range s.sched.Jobs() {
		for i, id := range ids {
			if j.ID() != id {
				continue
			}
			next, err := j.NextRun()
			if err != nil {
				continue
			}
			if i == 0 {
				full = next
			} else {
				partial = next
			}
		}
	}
	return full, partial
}

// planFor turns settings into cron specs in the organisation's time zone.
// Partial syncs run at whole hours divisible by the interval (so every
// replica computes the same slots).
func planFor(tz string, st *store.SyncSettings) plan {
	if !st.BackgroundSync {
		return plan{}
	}
	hm := strings.SplitN(st.FullSyncTime, ":", 2)
	if len(hm) != 2 {
		hm = []string{"06", "30"}
	}
	h, m := strings.TrimLeft(hm[0], "0"), strings.TrimLeft(hm[1], "0")
	if h == "" {
		h = "0"
	}
	if m == "" {
		m = "0"
	}
	every := st.PartialIntervalHours
	if every < 1 {
		every = 2
	}
	prefix := "CRON_TZ=" + tz + " "
	return plan{full: prefix + m + " " + h + " * * *", partial: prefix + "0 */" + fmt.Sprint(every) + " * * *"}
}

// JobName names an organisation's sync job (also the distributed lock key).
func JobName(orgID int64, mode string) string { return fmt.Sprintf("%s-sync:org:%d", mode, orgID) }

func orgTag(orgID int64) string { return fmt.Sprintf("org:%d", orgID) }

// claim lets exactly one process run each scheduled slot of a job. The slot
// is the schedule's activation this firing belongs to (slotOf), claimed with
// an insert only one process can win. The claim is never released, so the
// slot cannot run twice.
func (s *Scheduler) claim(ctx context.Context, job string, sched cron.Schedule) bool {
	now := s.opts.Clock.Now()
	slot := slotOf(sched, now)
	won, err := s.opts.Store.ClaimJobSlot(ctx, job, slot, s.holder, now)
	if err != nil {
		s.opts.Logger.Error("claim scheduled slot", "job", job, "err", err)
		return false
	}
	if !won {
		s.opts.Logger.Debug("slot already run by another process", "job", job, "slot", slot)
	}
	return won
}

// slotEarly is how early a process may fire (its clock ahead of the others')
// and still name the slot it fires for.
const slotEarly = 5 * time.Minute

// slotOf is the activation a firing at now belongs to: the latest one at or
// before now + slotEarly. A process that fires late (load, a paused VM)
// names the slot it is late for, however late, and never a future slot
// that a process firing on time would then find taken; one that fires more
// than an interval late names only the latest slot due, so a backlog runs
// once. Activations are looked for in the last 25 hours (the longest
// interval is a day); without one, the next activation after now − 30 min.
func slotOf(sched cron.Schedule, now time.Time) time.Time {
	limit := now.Add(slotEarly)
	var prev time.Time
	for t := sched.Next(now.Add(-25 * time.Hour)); !t.IsZero() && !t.After(limit); t = sched.Next(t) {
		prev = t
	}
	if prev.IsZero() {
		return sched.Next(now.Add(-30 * time.Minute))
	}
	return prev
}

type logAdapter struct{ l *slog.Logger }

func (g logAdapter) Debug(msg string, args ...any) { g.l.Debug(msg, args...) }
func (g logAdapter) Info(msg string, args ...any)  { g.l.Info(msg, args...) }
func (g logAdapter) Warn(msg string, args ...any)  { g.l.Warn(msg, args...) }
func (g logAdapter) Error(msg string, args ...any) { g.l.Error(msg, args...) }
