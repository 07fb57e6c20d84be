// Package outbox is the durable outbox of pushes to the HR system: every
// create, update or delete of a Roster absence or time entry that must reach
// Personio is a row, written in the transaction of the change, and pushed by
// PushDue with retries and exponential backoff for RetryWindow from the
// first change, then marked failed and shown. A Personio id is committed in
// its own statement as soon as Personio answers, so a crash between
// Personio's answer and the commit of the outcome never creates twice.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/store"
)

// Retry schedule.
const (
	// RetryWindow is how long an item is retried after its first change.
	RetryWindow = 7 * 24 * time.Hour
	// FirstBackoff is the wait after the first failure; it doubles with
	// every further failure up to MaxBackoff.
	FirstBackoff = time.Minute
	MaxBackoff   = 6 * time.Hour
	// batch is the number of due items loaded at once; maxPerRun bounds
	// one PushDue call.
	batch     = 100
	maxPerRun = 2000
)

// LeaseTTL bounds how long a crashed pusher blocks the organisation: the
// lease is renewed after every item. Only the crash-recovery test
// (cmd/roster/crash_test.go) shortens it, in the roster processes it kills.
var LeaseTTL = 10 * time.Minute

// Pusher performs the items of one kind against the HR system.
type Pusher interface {
	// Push performs one item against Personio. For a create it calls saveID(personioID) as
	// soon as Personio answers, before anything else; on a retry of a create whose outcome
	// is unknown it first looks in Personio for the record it may have created.
	Push(ctx context.Context, p hris.Provider, it store.OutboxItem, saveID func(personioID string) error) error
}

// Options configure a Service.
type Options struct {
	Store     *store.Store
	Providers func(ctx context.Context, orgID int64, onCall func(hris.CallInfo)) (hris.Provider, error)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	Log *slog.Logger
	// Pushers by kind (store.OutboxTimeEntry, store.OutboxAbsence).
	Pushers map[string]Pusher
	// Notify, if set, tells the admins about items that failed for good.
	Notify *notify.Service
}

// Result counts the outcomes of one PushDue.
type Result struct {
	Pushed, Retrying, Failed int
}

// Service pushes due items. It is safe for concurrent use; across processes
// one pusher runs per organisation at a time (a lease in sync_leases).
type Service struct {
	st        *store.Store
	providers func(ctx context.Context, orgID int64, onCall func(hris.CallInfo)) (hris.Provider, error)
	now       func() time.Time
	log       *slog.Logger
	pushers   map[string]Pusher
	notify    *notify.Service
	holder    string

	// afterSaveID is a test hook run right after a Personio id was saved.
	afterSaveID func(it store.OutboxItem) error
	mu          sync.Mutex
	calls       atomic.Int64
}

// New builds a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &Service{st: o.Store, providers: o.Providers, now: o.Now, log: o.Log, pushers: maps.Clone(o.Pushers), notify: o.Notify,
		holder: "outbox/" + hex.EncodeToString(b[:])}
}

// Register adds the pusher of a kind (composition, before first use).
func (s *Service) Register(kind string, p Pusher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pushers == nil {
		s.pushers = map[string]Pusher{}
	}
	s.pushers[kind] = p
}

func (s *Service) pusher(kind string) Pusher {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushers[kind]
}

func (s *Service) kinds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.pushers))
}

// Enqueue records a push of a record inside the caller's transaction tx. It
// coalesces with a not yet pushed item of the same record:
// create+update → create; update+update → update; create+delete before the
// create reached Personio (never attempted, no Personio id) → both dropped;
// …+delete → delete; delete+create/update → update.
func Enqueue(ctx context.Context, tx *store.Store, orgID int64, kind string, recordID int64, op string, now time.Time) error {
	switch op {
	case store.OutboxCreate, store.OutboxUpdate, store.OutboxDelete:
	default:
		return fmt.Errorf("outbox: unknown op %q", op)
	}
	now = now.UTC().Truncate(time.Microsecond)
	open, err := tx.OpenOutboxItem(ctx, orgID, kind, recordID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("outbox: %w", err)
	}
	if open == nil {
		it := &store.OutboxItem{OrgID: orgID, Kind: kind, RecordID: recordID, Op: op, State: store.OutboxPending,
			NextAttemptAt: now, FirstChangeAt: now, CreatedAt: now, UpdatedAt: now}
		if last, err := tx.LastOutboxItem(ctx, orgID, kind, recordID); err == nil {
			it.PersonioID = last.PersonioID
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("outbox: %w", err)
		}
		if err := tx.InsertOutboxItem(ctx, it); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		return nil
	}
	newOp := coalesce(open, op)
	if newOp == "" {
		if err := tx.DeleteOutboxItem(ctx, orgID, open.ID); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		return nil
	}
	// The change is pushed at once: a retrying item starts a fresh backoff,
	// but keeps its 7-day window from the first change.
	err = tx.UpdateOutboxItem(ctx, orgID, open.ID, map[string]any{"op": newOp, "next_attempt_at": now, "updated_at": now})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// coalesce returns the op of an open item after a further change op, or ""
// when both cancel out.
func coalesce(open *store.OutboxItem, op string) string {
	switch {
	case op == store.OutboxDelete && open.Op == store.OutboxCreate && open.PersonioID == "" && open.Attempts == 0:
		return ""
	case op == store.OutboxDelete:
		return store.OutboxDelete
	case open.Op == store.OutboxDelete:
		// The record is wanted again before its deletion was pushed: the
		// pusher updates it (or creates it when it is not in Personio).
		return store.OutboxUpdate
	case open.Op == store.OutboxCreate:
		return store.OutboxCreate
	default:
		return store.OutboxUpdate
	}
}

// Backoff is the wait before the next attempt after attempts failures.
func Backoff(attempts int) time.Duration {
	d := FirstBackoff
	for i := 1; i < attempts; i++ {
		d *= 2
		if d >= MaxBackoff {
			return MaxBackoff
		}
	}
	return d
}

type runKey struct{}

// WithRunID returns a context whose pushes are logged in the API log with
// the given sync run.
func WithRunID(ctx context.Context, runID int64) context.Context {
	return context.WithValue(ctx, runKey{}, runID)
}

func runIDFrom(ctx context.Context) *int64 {
	if id, ok := ctx.Value(runKey{}).(int64); ok && id != 0 {
		return &id
	}
	return nil
}

// AreaOf is the sync area (API log) of a kind.
func AreaOf(kind string) string {
	if kind == store.OutboxAbsence {
		return store.AreaAbsences
	}
	return store.AreaTimeTracking
}

// PushOrg pushes every due item of the organisation (the outbox job).
func (s *Service) PushOrg(ctx context.Context, orgID int64) error {
	_, err := s.PushDue(ctx, orgID)
	return err
}

// PushDue pushes the organisation's due items of the given kinds (every
// registered kind when none), oldest first. When another pusher of the
// organisation is running (in any process) it returns at once with an
// empty Result. Failures of single items are recorded on them (retrying or
// failed), not returned; the error reports what stopped the run.
func (s *Service) PushDue(ctx context.Context, orgID int64, kinds ...string) (Result, error) {
	var res Result
	if len(kinds) == 0 {
		kinds = s.kinds()
	}
	if len(kinds) == 0 {
		return res, nil
	}
	now := s.now()
	// Each call holds the lease under its own name, so that two calls of
	// this process exclude each other too.
	holder := fmt.Sprintf("%s/%d", s.holder, s.calls.Add(1))
	won, err := s.st.AcquireOutboxLease(ctx, orgID, holder, now, now.Add(LeaseTTL))
	if err != nil {
		return res, fmt.Errorf("outbox: %w", err)
	}
	if !won {
		return res, nil
	}
	defer func() {
		if err := s.st.ReleaseOutboxLease(context.WithoutCancel(ctx), orgID, holder); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "outbox: release lease", slog.Int64("org_id", orgID), slog.String("error", err.Error()))
		}
	}()

	var calls callBuffer
	var provider hris.Provider
	done := map[int64]bool{}
	for processed := 0; processed < maxPerRun; {
		items, err := s.st.DueOutboxItems(ctx, orgID, kinds, s.now(), batch)
		if err != nil {
			return res, fmt.Errorf("outbox: %w", err)
		}
		fresh := items[:0]
		for _, it := range items {
			if !done[it.ID] {
				fresh = append(fresh, it)
			}
		}
		if len(fresh) == 0 {
			break
		}
		if provider == nil {
			if provider, err = s.providers(ctx, orgID, calls.add); err != nil {
				return res, fmt.Errorf("outbox: connect to the HR system: %w", err)
			}
		}
		for _, it := range fresh {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			done[it.ID] = true
			processed++
			state, err := s.pushOne(ctx, provider, it)
			if ferr := s.st.InsertAPICalls(context.WithoutCancel(ctx), calls.take(orgID, runIDFrom(ctx), AreaOf(it.Kind))); ferr != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "outbox: API log", slog.Int64("org_id", orgID), slog.String("error", ferr.Error()))
			}
			if err != nil {
				return res, err
			}
			switch state {
			case store.OutboxPushed:
				res.Pushed++
			case store.OutboxRetrying:
				res.Retrying++
			case store.OutboxFailed:
				res.Failed++
			}
			n := s.now()
			held, err := s.st.AcquireOutboxLease(ctx, orgID, holder, n, n.Add(LeaseTTL))
			if err != nil {
				return res, fmt.Errorf("outbox: renew lease: %w", err)
			}
			if !held {
				return res, errors.New("outbox: the push lease was lost to another process")
			}
		}
	}
	if res != (Result{}) {
		s.log.LogAttrs(ctx, slog.LevelInfo, "outbox pushed", slog.Int64("org_id", orgID), slog.Int("pushed", res.Pushed),
			slog.Int("retrying", res.Retrying), slog.Int("failed", res.Failed))
	}
	return res, nil
}

// errCrash is returned by pushOne when the test hook simulated a crash.
var errCrash = errors.New("outbox: simulated crash")

// pushOne performs one item and records its outcome; it returns the new
// state ("" when the item changed while it was pushed and stays open).
func (s *Service) pushOne(ctx context.Context, p hris.Provider, it store.OutboxItem) (string, error) {
	pusher := s.pusher(it.Kind)
	if pusher == nil {
		return "", nil
	}
	orgID := it.OrgID
	stamp := s.now().UTC().Truncate(time.Microsecond)
	if !stamp.After(it.UpdatedAt) {
		stamp = it.UpdatedAt.Add(time.Microsecond)
	}
	// The attempt counts from here, before Personio is called: a crash
	// after Personio's answer but before its id is saved leaves an item
	// that was tried, which a later cancel must not simply drop (the
	// pusher finds what it may have created).
	if err := s.st.StampOutboxItem(ctx, orgID, it.ID, stamp, it.Attempts+1); err != nil {
		return "", fmt.Errorf("outbox: %w", err)
	}
	var hookErr error
	saveID := func(personioID string) error {
		// Its own statement, committed before anything else happens.
		if err := s.st.SaveOutboxPersonioID(context.WithoutCancel(ctx), orgID, it.ID, personioID, stamp); err != nil {
			return err
		}
		it.PersonioID = personioID
		if s.afterSaveID != nil {
			if err := s.afterSaveID(it); err != nil {
				hookErr = err
				return err
			}
		}
		return nil
	}
	pctx := hris.WithArea(ctx, AreaOf(it.Kind))
	err := safePush(pctx, pusher, p, it, saveID)
	if hookErr != nil {
		return "", errCrash
	}
	now := s.now().UTC()
	attempts := it.Attempts + 1
	fields := map[string]any{"attempts": attempts, "updated_at": now, "personio_id": it.PersonioID}
	state := store.OutboxPushed
	switch {
	case err == nil:
		fields["state"], fields["pushed_at"], fields["last_error"] = state, now, ""
	case errors.Is(err, hris.ErrInvalid) || now.Sub(it.FirstChangeAt) >= RetryWindow:
		state = store.OutboxFailed
		fields["state"], fields["last_error"] = state, errorText(err)
	default:
		state = store.OutboxRetrying
		fields["state"], fields["last_error"], fields["next_attempt_at"] = state, errorText(err), now.Add(Backoff(attempts))
	}
	ok, ferr := s.st.FinishOutboxItem(context.WithoutCancel(ctx), orgID, it.ID, stamp, fields)
	if ferr != nil {
		return "", fmt.Errorf("outbox: %w", ferr)
	}
	if !ok {
		// Changed while it was pushed (a coalesced edit): keep it open and
		// count the attempt; the next push sends the new state.
		err := s.st.UpdateOutboxItem(context.WithoutCancel(ctx), orgID, it.ID, map[string]any{"attempts": attempts, "personio_id": it.PersonioID})
		if err != nil {
			return "", fmt.Errorf("outbox: %w", err)
		}
		return "", nil
	}
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "outbox push failed", slog.Int64("org_id", orgID), slog.Int64("item_id", it.ID),
			slog.String("kind", it.Kind), slog.String("op", it.Op), slog.Int("attempts", attempts), slog.String("state", state),
			slog.String("error", errorText(err)))
	}
	if state == store.OutboxFailed && s.notify != nil {
		s.notifyFailed(ctx, it, errorText(err))
	}
	return state, nil
}

func (s *Service) notifyFailed(ctx context.Context, it store.OutboxItem, why string) {
	what := "time entry"
	if it.Kind == store.OutboxAbsence {
		what = "absence"
	}
	_, err := s.notify.NotifyAdmins(ctx, it.OrgID, notify.Note{
		Kind:      notify.KindHealth,
		Title:     fmt.Sprintf("A %s could not be pushed to Personio", what),
		Body:      fmt.Sprintf("The %s of %s %d failed after %d attempts and is no longer retried: %s", it.Op, what, it.RecordID, it.Attempts+1, why),
		Link:      "/settings/hr/api-log?tab=outbox&state=failed",
		DedupeKey: "outbox-failed:" + strconv.FormatInt(it.ID, 10),
		Email:     true,
	})
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "outbox: notify admins", slog.Int64("org_id", it.OrgID), slog.String("error", err.Error()))
	}
}

// safePush turns a pusher's panic into an error (the item is retried).
func safePush(ctx context.Context, pusher Pusher, p hris.Provider, it store.OutboxItem, saveID func(string) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the push stopped unexpectedly: %v", r)
		}
	}()
	return pusher.Push(ctx, p, it, saveID)
}

// errorText is the stored reason of a failure: the HR system's user
// message, never credentials (the client's errors carry none), truncated.
func errorText(err error) string {
	var he *hris.Error
	msg := err.Error()
	if errors.As(err, &he) {
		msg = he.UserMessage()
	}
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return msg
}

// callBuffer collects the provider's calls for the API log.
type callBuffer struct {
	mu  sync.Mutex
	cis []hris.CallInfo
}

func (b *callBuffer) add(ci hris.CallInfo) {
	b.mu.Lock()
	b.cis = append(b.cis, ci)
	b.mu.Unlock()
}

func (b *callBuffer) take(orgID int64, runID *int64, area string) []store.APICall {
	b.mu.Lock()
	cis := b.cis
	b.cis = nil
	b.mu.Unlock()
	out := make([]store.APICall, 0, len(cis))
	for _, ci := range cis {
		out = append(out, hrsync.APICallOf(orgID, runID, area, ci))
	}
	return out
}

// ---- queries for the API log ---------------------------------------------

// Filter selects items for the API log; zero fields do not filter.
type Filter struct {
	Kind, State string
	From, To    time.Time // created in [From, To)
	Page        int       // 1-based
	PageSize    int       // default 50
}

// List returns a page of the organisation's items of the last two months
// (failed first, then newest), the total and the counts per state.
func (s *Service) List(ctx context.Context, orgID int64, f Filter) ([]store.OutboxItem, int64, map[string]int64, error) {
	size := f.PageSize
	if size <= 0 {
		size = 50
	}
	page := max(f.Page, 1)
	since := s.now().AddDate(0, -2, 0)
	if f.From.Before(since) {
		f.From = since
	}
	items, total, err := s.st.ListOutboxItems(ctx, orgID, store.OutboxFilter{Kind: f.Kind, State: f.State, From: f.From, To: f.To,
		Limit: size, Offset: (page - 1) * size})
	if err != nil {
		return nil, 0, nil, fmt.Errorf("outbox: %w", err)
	}
	counts, err := s.st.CountOutboxByState(ctx, orgID, since)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("outbox: %w", err)
	}
	return items, total, counts, nil
}

// Prune deletes pushed items older than before (housekeeping).
func (s *Service) Prune(ctx context.Context, before time.Time) (int64, error) {
	return s.st.PruneOutboxItems(ctx, before)
}
