// Package absencesync moves absences between Roster and Personio according
// to the organisation's leading-system setting (PRODUCT.md section 7):
//
//   - Personio leads: every employee sync run imports the time-offs of the
//     linked users (Import, a lifecycle step). They appear as "from Personio
//     — to confirm" until a manager confirms them; a change in Personio
//     sends a confirmed absence back to "to confirm"; a full run removes the
//     imported absences that Personio no longer has. Requests made in Roster
//     meanwhile are kept and marked out of sync.
//   - Roster leads: every change of a Roster request enqueues a push in the
//     durable outbox (OnChange), and the absence Pusher performs it.
//     Time-offs created in Personio meanwhile are not imported.
//   - Off: nothing moves.
package absencesync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/store"
)

// Leading systems (store.SyncSettings.AbsencesLeading).
const (
	LeadingPersonio = "personio"
	LeadingRoster   = "roster"
	LeadingOff      = "off"
)

// The window of a full import, in days around today (the organisation's
// time zone): absences that ended more than WindowPastDays ago are history
// nobody needs to confirm, and Personio rarely holds requests more than a
// year ahead.
const (
	WindowPastDays   = 90
	WindowFutureDays = 365
)

// OutOfSyncPersonioLeads marks a Roster request made or changed while
// Personio leads.
const OutOfSyncPersonioLeads = "Made in Roster while Personio leads: not sent to Personio"

// Run warning codes of the import.
const (
	// WarnUnmappedType: the time-off's type is paired with no Roster
	// category; the absence is imported without a category.
	WarnUnmappedType = "absence_type_unmapped"
	// WarnInvalidTimeOff: the time-off has no usable id or dates; skipped.
	WarnInvalidTimeOff = "absence_invalid"
	// WarnImportFailed: the time-offs could not be read; the employee sync
	// itself succeeded and nothing was changed.
	WarnImportFailed = "absences_failed"
)

// ProviderFactory builds the HR system client of an organisation; onCall
// receives every HTTP attempt for the API log (hrconnect.Service.Provider).
type ProviderFactory func(ctx context.Context, orgID int64, onCall func(hris.CallInfo)) (hris.Provider, error)

// EnqueueFunc queues a push inside the caller's transaction (outbox.Enqueue).
type EnqueueFunc func(ctx context.Context, tx *store.Store, orgID int64, kind string, recordID int64, op string, now time.Time) error

// Options configure a Service. Store is required; Providers is needed by
// Import; Outbox by AreaSync (Sync Now › Absences) while Roster leads.
type Options struct {
	Store     *store.Store
	Providers ProviderFactory
	// Enqueue queues pushes (OnChange); outbox.Enqueue when nil.
	Enqueue EnqueueFunc
	Outbox  *outbox.Service
	Now     func() time.Time
	Log     *slog.Logger
}

// Service imports time-offs, decides what to push and pushes absences.
type Service struct {
	st        *store.Store
	providers ProviderFactory
	enqueue   EnqueueFunc
	outbox    *outbox.Service
	now       func() time.Time
	log       *slog.Logger
}

// New builds a Service; Now defaults to time.Now, Log discards when nil.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Enqueue == nil {
		o.Enqueue = outbox.Enqueue
	}
	return &Service{st: o.Store, providers: o.Providers, enqueue: o.Enqueue, outbox: o.Outbox, now: o.Now, log: o.Log}
}

// importHash identifies the content of an imported time-off: a second run
// that finds the same hash writes nothing.
func importHash(t *hris.TimeOff) string {
	return hashOf(fmt.Sprintf("in|%d|%d|%s|%s|%s|%t|%t|%s", t.EmployeeID, t.TypeID, t.Status, t.Start, t.End,
		t.HalfDayStart, t.HalfDayEnd, t.Comment))
}

// pushHash identifies what was pushed for a Roster absence.
func pushHash(t *hris.NewTimeOff) string {
	return hashOf(fmt.Sprintf("out|%d|%d|%s|%s|%t|%t|%s|%t", t.EmployeeID, t.TypeID, t.Start, t.End,
		t.HalfDayStart, t.HalfDayEnd, t.Comment, t.SkipApproval))
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

func orgLocation(ctx context.Context, st *store.Store, orgID int64) *time.Location {
	org, err := st.Organization(ctx, orgID)
	if err != nil {
		return time.UTC
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// AreaSync is the sync of the absences area (hrsync.Options.Areas,
// Sync Now › Absences): while Personio leads it imports the time-offs as an
// employee sync of the run's mode would; while Roster leads it pushes the
// absences due in the outbox; off, it does nothing. In a run of all areas
// the employee sync's lifecycle steps have imported and pushed already, so
// it does nothing more.
func (s *Service) AreaSync(ctx context.Context, run *store.SyncRun) (hrsync.AreaCounts, error) {
	var c hrsync.AreaCounts
	if run.Area == store.AreaAll {
		return c, nil
	}
	set, err := s.st.SyncSettings(ctx, run.OrgID)
	if err != nil {
		return c, fmt.Errorf("absencesync: load settings of org %d: %w", run.OrgID, err)
	}
	switch set.AbsencesLeading {
	case LeadingPersonio:
		res, err := s.ImportRun(ctx, run)
		c.Processed, c.Imported, c.Removed = res.Fetched, res.Created+res.Updated, res.Deleted
		if err == nil && res.Failure != "" {
			err = errors.New(res.Failure)
		}
		return c, err
	case LeadingRoster:
		if s.outbox == nil {
			return c, errors.New("absencesync: no outbox to push absences with")
		}
		res, err := s.outbox.PushDue(outbox.WithRunID(ctx, run.ID), run.OrgID, store.OutboxAbsence)
		c.Processed, c.Pushed, c.Retrying, c.Failed = res.Pushed+res.Retrying+res.Failed, res.Pushed, res.Retrying, res.Failed
		return c, err
	}
	return c, nil
}
