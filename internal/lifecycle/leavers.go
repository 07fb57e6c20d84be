package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// Audit actions of the leaver step.
const (
	ActionScheduled   = "user.deactivation_scheduled"
	ActionUnscheduled = "user.deactivation_unscheduled"
	ActionRehired     = "user.reactivated"
	ActionHoldConfirm = "sync.hold_confirmed"
	ActionHoldDiscard = "sync.hold_discarded"
	// HoldListLimit is how many users a hold summary lists.
	HoldListLimit = 50
)

type leaverAction int

const (
	actNone leaverAction = iota
	actDeactivate
	actLock
	actSchedule
	actUnschedule
	actRehire
)

// decision is what the leaver step does to one linked user.
type decision struct {
	row    *store.LeaverRow
	act    leaverAction
	reason string
	at     time.Time // actSchedule: when the deactivation takes effect
}

// destructive reports a deactivation or lock applied now (the safeguard
// counts these).
func (d decision) destructive() bool { return d.act == actDeactivate || d.act == actLock }

// deactivationMoment is when a leaver whose last day is day ("YYYY-MM-DD")
// is deactivated: the start of the next day in loc plus graceDays days.
func deactivationMoment(day string, loc *time.Location, graceDays int) (time.Time, bool) {
	d, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(d.Year(), d.Month(), d.Day()+1+graceDays, 0, 0, 0, 0, loc).UTC(), true
}

// decide works out what r needs at now under settings st in the
// organisation's time zone loc.
func decide(r *store.LeaverRow, st *store.SyncSettings, loc *time.Location, now time.Time) decision {
	d := decision{row: r}
	gone := r.RemovedAt != nil
	inactive := r.EmployeeStatus == string(hris.StatusInactive)
	lastDay := r.LastWorkingDay
	if lastDay == "" {
		lastDay = r.TerminationDate
	}
	at, scheduled := time.Time{}, false
	if lastDay != "" {
		at, scheduled = deactivationMoment(lastDay, loc, st.GraceDays)
	}
	due := gone || inactive || (scheduled && !now.Before(at))
	if r.UserStatus == store.StatusDeactivated || r.LockedAt != nil {
		if accounts.FromPersonio(r.DeactivationReason) && !due {
			d.act = actRehire
		}
		return d
	}
	if r.DeactivationSkipHash != "" && r.DeactivationSkipHash == r.RawHash {
		return d
	}
	switch {
	case due:
		d.act, d.reason = actDeactivate, accounts.ReasonPersonioLeaver
		switch {
		case gone:
			d.reason = accounts.ReasonPersonioRemoved
		case inactive:
			d.reason = accounts.ReasonPersonioInactive
		}
		if st.LockOnLastDay {
			d.act = actLock
		}
	case scheduled:
		if r.DeactivateAt == nil || !r.DeactivateAt.Equal(at) || r.DeactivationReason != accounts.ReasonPersonioLeaver {
			d.act, d.reason, d.at = actSchedule, accounts.ReasonPersonioLeaver, at
		}
	case r.DeactivateAt != nil && accounts.FromPersonio(r.DeactivationReason):
		d.act = actUnschedule
	}
	return d
}

// orgContext is what every leaver decision of an organisation needs.
type orgContext struct {
	settings *store.SyncSettings
	loc      *time.Location
}

func (u *Updater) orgContext(ctx context.Context, orgID int64) (*orgContext, error) {
	st, err := u.st.SyncSettings(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("lifecycle: load sync settings of org %d: %w", orgID, err)
	}
	org, err := u.st.Organization(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("lifecycle: load org %d: %w", orgID, err)
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil || org.TimeZone == "" {
		loc = time.UTC
	}
	return &orgContext{settings: st, loc: loc}, nil
}

// acc is the accounts service that deactivates, locks and restores users.
func (u *Updater) acc() *accounts.Service {
	if u.accounts != nil {
		return u.accounts
	}
	return accounts.New(accounts.Options{Store: u.st, Now: u.now, Logger: u.log})
}

func syncActor(orgID int64) roster.Actor { return roster.Actor{OrgID: orgID, Name: ActorName} }

// leavers brings every linked user in line with their employee's status
// and last day: schedules, reschedules or clears deactivations, reactivates
// rehires and applies the deactivations (or locks) due now unless the
// safeguard holds them. It returns the number of users deactivated or
// locked.
func (u *Updater) leavers(ctx context.Context, run *store.SyncRun) (int, error) {
	return u.reconcile(ctx, run.OrgID, &run.ID, store.LeaverFilter{})
}

// dueDeactivations applies scheduled deactivations whose time has come,
// under the same safeguard as a sync run.
func (u *Updater) dueDeactivations(ctx context.Context, orgID int64) (int, error) {
	now := u.now().UTC()
	if _, ok := store.LineageOriginOf(ctx); !ok {
		ctx = store.WithLineageOrigin(ctx, store.LineageOrigin{Source: "daily leaver check"})
	}
	return u.reconcile(ctx, orgID, nil, store.LeaverFilter{DueBy: &now})
}

func (u *Updater) reconcile(ctx context.Context, orgID int64, runID *int64, f store.LeaverFilter) (int, error) {
	oc, err := u.orgContext(ctx, orgID)
	if err != nil {
		return 0, err
	}
	rows, err := u.st.LeaverRows(ctx, orgID, f)
	if err != nil {
		return 0, fmt.Errorf("lifecycle: leavers of org %d: %w", orgID, err)
	}
	now := u.now().UTC()
	var due []decision
	for i := range rows {
		d := decide(&rows[i], oc.settings, oc.loc, now)
		switch d.act {
		case actNone:
		case actDeactivate, actLock:
			due = append(due, d)
		default:
			if err := u.applyNonDestructive(ctx, orgID, d, oc.loc); err != nil {
				return 0, err
			}
		}
	}
	if len(due) == 0 {
		return 0, nil
	}
	held, err := u.safeguard(ctx, orgID, runID, due, oc.settings)
	if err != nil || held {
		return 0, err
	}
	return u.applyDue(ctx, syncActor(orgID), orgID, runID, due)
}

// applyNonDestructive schedules, clears or reactivates one user.
func (u *Updater) applyNonDestructive(ctx context.Context, orgID int64, d decision, loc *time.Location) error {
	r, a, now := d.row, syncActor(orgID), u.now().UTC()
	err := u.st.Tx(ctx, func(tx *store.Store) error {
		switch d.act {
		case actSchedule:
			if err := tx.UpdateUserFields(ctx, orgID, r.UserID, map[string]any{"deactivate_at": d.at, "deactivation_reason": d.reason}); err != nil {
				return err
			}
			details := fmt.Sprintf("Personio employee %d leaves; deactivation on %s", r.PersonioID, d.at.In(loc).Format("2 Jan 2006, 15:04 MST"))
			return tx.AddAudit(ctx, store.NewAuditEvent(a, ActionScheduled, "user", r.UserID, r.UserEmail, details, now))
		case actUnschedule:
			if err := tx.UpdateUserFields(ctx, orgID, r.UserID, map[string]any{"deactivate_at": nil, "deactivation_reason": ""}); err != nil {
				return err
			}
			details := fmt.Sprintf("Personio employee %d no longer has a last working day", r.PersonioID)
			return tx.AddAudit(ctx, store.NewAuditEvent(a, ActionUnscheduled, "user", r.UserID, r.UserEmail, details, now))
		case actRehire:
			usr, err := tx.User(ctx, orgID, r.UserID)
			if err != nil {
				return err
			}
			_, err = u.acc().RestoreTx(ctx, tx, a, usr, "", ActionRehired, fmt.Sprintf("Personio employee %d is active again", r.PersonioID))
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("lifecycle: update leaver user %d: %w", r.UserID, err)
	}
	return nil
}

// safeguard decides whether the deactivations due must wait for an admin:
// while a hold is pending every deactivation waits (the hold is updated);
// otherwise a new hold is created and admins notified when more than
// SafeguardPercent % of the linked users or more than SafeguardMax users
// would be deactivated. It reports whether the deactivations are held.
func (u *Updater) safeguard(ctx context.Context, orgID int64, runID *int64, due []decision, st *store.SyncSettings) (bool, error) {
	ids := make([]int64, len(due))
	for i, d := range due {
		ids[i] = d.row.UserID
	}
	linked, err := u.st.CountLinkedUsers(ctx, orgID)
	if err != nil {
		return false, err
	}
	hold, err := u.st.PendingSyncHold(ctx, orgID)
	switch {
	case err == nil:
		if runID == nil {
			// A tick adds to what the last run held.
			ids = append(ids, holdUserIDs(hold)...)
			slices.Sort(ids)
			ids = slices.Compact(ids)
			runID = hold.RunID
		}
		hold.UserIDs, hold.Affected, hold.LinkedTotal, hold.RunID = encodeIDs(ids), len(ids), linked, runID
		if err := u.st.UpdatePendingSyncHold(ctx, hold); err != nil {
			return false, err
		}
		u.log.LogAttrs(ctx, slog.LevelWarn, "deactivations held by the pending safeguard hold",
			slog.Int64("org_id", orgID), slog.Int64("hold_id", hold.ID), slog.Int("affected", len(ids)))
		return true, nil
	case !errors.Is(err, roster.ErrNotFound):
		return false, err
	}
	n := len(due)
	if n*100 <= st.SafeguardPercent*linked && n <= st.SafeguardMax {
		return false, nil
	}
	hold = &store.SyncHold{OrgID: orgID, RunID: runID, Status: store.HoldPending, UserIDs: encodeIDs(ids), Affected: n,
		LinkedTotal: linked, CreatedAt: u.now().UTC()}
	if err := u.st.CreateSyncHold(ctx, hold); err != nil {
		return false, err
	}
	u.log.LogAttrs(ctx, slog.LevelWarn, "safeguard tripped: deactivations held", slog.Int64("org_id", orgID),
		slog.Int64("hold_id", hold.ID), slog.Int("affected", n), slog.Int("linked", linked))
	if u.notify != nil {
		note := notify.Note{Kind: notify.KindSafeguard, Link: "/settings/hr", DedupeKey: fmt.Sprintf("safeguard-hold-%d", hold.ID), Email: true,
			Title: fmt.Sprintf("%d users would be deactivated; confirm or discard", n),
			Body: fmt.Sprintf("The Personio sync paused: %d of %d linked users (%d %%) would be deactivated or locked, more than the safeguard allows "+
				"(%d %% or %d people). Nothing was changed. Review the list under Settings › HR software and confirm or discard.",
				n, linked, percent(n, linked), st.SafeguardPercent, st.SafeguardMax)}
		if _, err := u.notify.NotifyAdmins(ctx, orgID, note); err != nil {
			return true, err
		}
	}
	return true, nil
}

// applyDue deactivates or locks each user of due in its own transaction,
// after checking the user still is neither deactivated nor locked; the last
// active owner is never deactivated by the sync. It notifies admins in-app
// of the users deactivated and returns how many were.
func (u *Updater) applyDue(ctx context.Context, a roster.Actor, orgID int64, runID *int64, due []decision) (int, error) {
	acc := u.acc()
	var names []string
	for _, d := range due {
		var done bool
		err := u.st.Tx(ctx, func(tx *store.Store) error {
			usr, err := tx.User(ctx, orgID, d.row.UserID)
			if err != nil {
				return err
			}
			if usr.Status == store.StatusDeactivated || usr.LockedAt != nil {
				return nil
			}
			if usr.Role == store.RoleOwner && usr.Status == store.StatusActive {
				n, err := tx.CountActiveOwners(ctx, orgID)
				if err != nil {
					return err
				}
				if n <= 1 {
					u.log.LogAttrs(ctx, slog.LevelWarn, "last active owner left in Personio; kept active",
						slog.Int64("org_id", orgID), slog.Int64("user_id", usr.ID))
					return nil
				}
			}
			done = true
			if d.act == actLock {
				return acc.LockTx(ctx, tx, a, usr, d.reason)
			}
			return acc.DeactivateTx(ctx, tx, a, usr, d.reason, runID)
		})
		if err != nil {
			return len(names), fmt.Errorf("lifecycle: deactivate user %d: %w", d.row.UserID, err)
		}
		if done {
			names = append(names, d.row.UserName)
		}
	}
	if len(names) > 0 && u.notify != nil {
		key := ""
		if runID != nil {
			key = fmt.Sprintf("deactivated-run-%d", *runID)
		}
		shown := names
		if len(shown) > 10 {
			shown = append(slices.Clone(shown[:10]), fmt.Sprintf("and %d more", len(names)-10))
		}
		note := notify.Note{Kind: notify.KindDeactivated, Link: "/users?status=deactivated", DedupeKey: key,
			Title: fmt.Sprintf("%d users left and lost access", len(names)),
			Body:  "Deactivated or locked after their Personio record: " + strings.Join(shown, ", ") + "."}
		if len(names) == 1 {
			note.Title = names[0] + " left and lost access"
		}
		if _, err := u.notify.NotifyAdmins(ctx, orgID, note); err != nil {
			return len(names), err
		}
	}
	return len(names), nil
}

func percent(n, of int) int {
	if of == 0 {
		return 100
	}
	return (n*100 + of/2) / of
}

func encodeIDs(ids []int64) string {
	if ids == nil {
		ids = []int64{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

func holdUserIDs(h *store.SyncHold) []int64 {
	var ids []int64
	_ = json.Unmarshal([]byte(h.UserIDs), &ids)
	return ids
}

// HoldUser is one user a safeguard hold would deactivate.
type HoldUser struct {
	ID          int64
	Name, Email string
	// Reason says in words why the user would be deactivated.
	Reason string
}

// HoldSummary is a pending safeguard hold for the HR software tab.
type HoldSummary struct {
	Hold store.SyncHold
	// Percent is the share of the linked users the hold affects.
	Percent int
	// Users are the first HoldListLimit users of the hold, by id.
	Users []HoldUser
}

// PendingHold returns the organisation's pending safeguard hold, or nil.
func (u *Updater) PendingHold(ctx context.Context, a roster.Actor) (*HoldSummary, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	h, err := u.st.PendingSyncHold(ctx, a.OrgID)
	if errors.Is(err, roster.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ids := holdUserIDs(h)
	slices.Sort(ids)
	if len(ids) > HoldListLimit {
		ids = ids[:HoldListLimit]
	}
	oc, err := u.orgContext(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	rows, err := u.st.LeaverRows(ctx, a.OrgID, store.LeaverFilter{UserIDs: ids})
	if err != nil {
		return nil, err
	}
	reasons := make(map[int64]string, len(rows))
	now := u.now().UTC()
	for i := range rows {
		d := decide(&rows[i], oc.settings, oc.loc, now)
		switch {
		case d.destructive() && d.act == actLock:
			reasons[rows[i].UserID] = accounts.ReasonText(d.reason) + " (lock)"
		case d.destructive():
			reasons[rows[i].UserID] = accounts.ReasonText(d.reason)
		default:
			reasons[rows[i].UserID] = "no longer due; will be skipped"
		}
	}
	users, err := u.st.UsersByIDs(ctx, a.OrgID, ids)
	if err != nil {
		return nil, err
	}
	out := &HoldSummary{Hold: *h, Percent: percent(h.Affected, h.LinkedTotal)}
	for _, id := range ids {
		usr, ok := users[id]
		if !ok {
			continue
		}
		reason, ok := reasons[id]
		if !ok {
			reason = "no longer linked or in scope; will be skipped"
		}
		out.Users = append(out.Users, HoldUser{ID: id, Name: usr.Name, Email: usr.Email, Reason: reason})
	}
	return out, nil
}

// decideHold marks a pending hold of the actor's organisation decided and
// returns it with the current decisions on its users.
func (u *Updater) decideHold(ctx context.Context, a roster.Actor, holdID int64, status string) (*store.SyncHold, []decision, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, nil, err
	}
	h, err := u.st.SyncHold(ctx, a.OrgID, holdID)
	if err != nil {
		return nil, nil, err
	}
	if h.Status != store.HoldPending {
		return nil, nil, &roster.ValidationError{Fields: map[string]string{"": "This safeguard hold was already " + h.Status + "."}}
	}
	oc, err := u.orgContext(ctx, a.OrgID)
	if err != nil {
		return nil, nil, err
	}
	rows, err := u.st.LeaverRows(ctx, a.OrgID, store.LeaverFilter{UserIDs: holdUserIDs(h)})
	if err != nil {
		return nil, nil, err
	}
	now := u.now().UTC()
	var out []decision
	for i := range rows {
		if d := decide(&rows[i], oc.settings, oc.loc, now); d.destructive() {
			out = append(out, d)
		}
	}
	by := a.UserID
	if err := u.st.DecideSyncHold(ctx, a.OrgID, h.ID, status, &by, now); err != nil {
		if errors.Is(err, roster.ErrConflict) {
			return nil, nil, &roster.ValidationError{Fields: map[string]string{"": "This safeguard hold was already decided."}}
		}
		return nil, nil, err
	}
	return h, out, nil
}

// ConfirmHold applies the deactivations (or locks) a pending safeguard hold
// kept back, re-checking that each is still due, and marks the hold
// confirmed. It returns how many users were deactivated or locked.
func (u *Updater) ConfirmHold(ctx context.Context, a roster.Actor, holdID int64) (int, error) {
	h, due, err := u.decideHold(ctx, a, holdID, store.HoldConfirmed)
	if err != nil {
		return 0, err
	}
	ctx = store.WithLineageOrigin(ctx, store.LineageOrigin{RunID: h.RunID, Source: "held deactivation confirmed by " + a.Name})
	n, err := u.applyDue(ctx, a, a.OrgID, h.RunID, due)
	if err != nil {
		return n, err
	}
	details := fmt.Sprintf("%d of %d held users deactivated or locked", n, h.Affected)
	if err := u.st.AddAudit(ctx, store.NewAuditEvent(a, ActionHoldConfirm, "sync_hold", h.ID, fmt.Sprintf("hold %d", h.ID), details, u.now().UTC())); err != nil {
		return n, err
	}
	return n, nil
}

// DiscardHold drops a pending safeguard hold: its users are not deactivated
// and the sync leaves them alone until their Personio record changes. It
// returns how many users were skipped.
func (u *Updater) DiscardHold(ctx context.Context, a roster.Actor, holdID int64) (int, error) {
	h, due, err := u.decideHold(ctx, a, holdID, store.HoldDiscarded)
	if err != nil {
		return 0, err
	}
	err = u.st.Tx(ctx, func(tx *store.Store) error {
		for _, d := range due {
			fields := map[string]any{"deactivation_skip_hash": d.row.RawHash, "deactivate_at": nil}
			if accounts.FromPersonio(d.row.DeactivationReason) {
				fields["deactivation_reason"] = ""
			}
			if err := tx.UpdateUserFields(ctx, a.OrgID, d.row.UserID, fields); err != nil {
				return err
			}
		}
		details := fmt.Sprintf("%d held users kept; the sync skips them until their Personio record changes", len(due))
		return tx.AddAudit(ctx, store.NewAuditEvent(a, ActionHoldDiscard, "sync_hold", h.ID, fmt.Sprintf("hold %d", h.ID), details, u.now().UTC()))
	})
	if err != nil {
		return 0, fmt.Errorf("lifecycle: discard hold %d: %w", h.ID, err)
	}
	return len(due), nil
}
