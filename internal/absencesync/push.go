package absencesync

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/store"
)

// pushError is a push that cannot succeed by retrying (the user is not
// linked, the category not paired): the outbox marks it failed at once,
// since it matches hris.ErrInvalid. Its text is shown on the API log.
type pushError struct{ msg string }

func (e *pushError) Error() string        { return e.msg }
func (e *pushError) Is(target error) bool { return target == hris.ErrInvalid }

// Reasons a Roster absence cannot be sent to Personio; OnChange marks the
// absence with them (out of sync) instead of queueing a push.
const (
	whyUserNotLinked      = "Not sent to Personio: the person is not linked to a Personio employee."
	whyNoCategory         = "Not sent to Personio: the absence has no category."
	whyCategoryNotPaired  = "Not sent to Personio: the category is not paired with a Personio time-off type."
	personioCreatedByAPI  = "API"
	errNeedsSavedAbsence  = "absencesync: OnChange needs a saved absence"
	errEnqueueNotProvided = "absencesync: Roster leads but no outbox is configured"
)

// OnChange is absences.Options.OnChange: it is called inside the
// transaction of every change of a Roster absence (op: store.OutboxCreate
// on request, store.OutboxUpdate on edit, approval or rejection,
// store.OutboxDelete on cancellation) and decides from the settings what
// moves:
//
//   - Personio leads: nothing is sent; the request is kept and marked out of
//     sync (OutOfSyncPersonioLeads).
//   - Roster leads: a push is queued in the outbox when the absence belongs
//     in Personio (every request, or only approved ones when
//     AbsencesOnlyApproved): create the first time, update (delete +
//     create, keeping the link) after that; a request that no longer
//     belongs there (rejected, cancelled, back to pending with "only
//     approved") is deleted in Personio if it was ever sent, and nothing is
//     queued if it never was.
//   - Off: nothing moves.
//
// Absences imported from Personio are never pushed back.
func (s *Service) OnChange(ctx context.Context, tx *store.Store, a *store.Absence, op string) error {
	if a == nil || a.Source == store.SourcePersonio {
		return nil
	}
	if a.ID == 0 {
		return errors.New(errNeedsSavedAbsence)
	}
	set, err := tx.SyncSettings(ctx, a.OrgID)
	if err != nil {
		return fmt.Errorf("absencesync: load settings of org %d: %w", a.OrgID, err)
	}
	switch set.AbsencesLeading {
	case LeadingPersonio:
		return markOutOfSync(ctx, tx, a, OutOfSyncPersonioLeads)
	case LeadingRoster:
	default:
		return nil
	}
	if s.enqueue == nil {
		return errors.New(errEnqueueNotProvided)
	}
	queued, err := tx.AbsenceSyncHasOutboxItem(ctx, a.OrgID, a.ID)
	if err != nil {
		return fmt.Errorf("absencesync: %w", err)
	}
	sent := a.PersonioID != nil || queued
	want := op != store.OutboxDelete && belongs(a, set.AbsencesOnlyApproved)
	now := s.now()
	if !want {
		if !sent {
			return nil
		}
		return s.enqueue(ctx, tx, a.OrgID, store.OutboxAbsence, a.ID, store.OutboxDelete, now)
	}
	if why, err := unpushable(ctx, tx, a); err != nil {
		return err
	} else if why != "" {
		if err := markOutOfSync(ctx, tx, a, why); err != nil {
			return err
		}
		if sent {
			// What Personio holds is no longer what Roster has.
			return s.enqueue(ctx, tx, a.OrgID, store.OutboxAbsence, a.ID, store.OutboxDelete, now)
		}
		return nil
	}
	if a.OutOfSync != "" {
		if err := markOutOfSync(ctx, tx, a, ""); err != nil {
			return err
		}
	}
	qop := store.OutboxCreate
	if sent {
		qop = store.OutboxUpdate
	}
	return s.enqueue(ctx, tx, a.OrgID, store.OutboxAbsence, a.ID, qop, now)
}

// belongs reports whether a Roster absence should be in Personio.
func belongs(a *store.Absence, onlyApproved bool) bool {
	switch a.Status {
	case store.AbsenceApproved:
		return true
	case store.AbsencePending:
		return !onlyApproved
	}
	return false
}

// unpushable says why a cannot be sent to Personio ("" when it can).
func unpushable(ctx context.Context, st *store.Store, a *store.Absence) (string, error) {
	u, err := st.User(ctx, a.OrgID, a.UserID)
	if err != nil {
		return "", fmt.Errorf("absencesync: user %d: %w", a.UserID, err)
	}
	if u.PersonioID == nil {
		return whyUserNotLinked, nil
	}
	if a.CategoryID == nil {
		return whyNoCategory, nil
	}
	c, err := st.AbsenceSyncCategory(ctx, a.OrgID, *a.CategoryID)
	if err != nil {
		return "", fmt.Errorf("absencesync: category %d: %w", *a.CategoryID, err)
	}
	if c.PersonioTypeID == nil {
		return whyCategoryNotPaired, nil
	}
	return "", nil
}

func markOutOfSync(ctx context.Context, tx *store.Store, a *store.Absence, why string) error {
	a.OutOfSync = why
	if err := tx.AbsenceSyncSetOutOfSync(ctx, a.OrgID, a.ID, why); err != nil {
		return fmt.Errorf("absencesync: mark absence %d: %w", a.ID, err)
	}
	return nil
}

// Pusher performs the outbox items of kind store.OutboxAbsence (register it
// in outbox.Options.Pushers). It pushes the absence's current state:
//
//   - create or update: the time-off Roster wants (employee = the user's
//     Personio id, type = the category's Personio type, dates, half days,
//     comment, approved when the absence is). An absence already linked to
//     a time-off with that content is done; a linked one with other content
//     is deleted in Personio and created again, the new id replacing the old
//     in the link. Before creating, the pusher looks for a time-off of the
//     same employee, type and days created through the API and not linked
//     to another absence — one a crashed earlier attempt created — and
//     adopts it instead of creating a duplicate. The id is handed to saveID
//     as soon as Personio answers, then stored on the absence.
//   - delete (or an absence that no longer belongs in Personio): the linked
//     time-off is deleted (already gone counts as done) and the link
//     cleared.
//
// An item queued while Roster led and pushed after the setting changed to
// Personio or off is not sent: it fails at once with the reason.
type Pusher struct {
	st *store.Store
}

// Pusher returns the absence pusher of the service's store.
func (s *Service) Pusher() *Pusher { return &Pusher{st: s.st} }

// Push performs one item (outbox.Pusher).
func (p *Pusher) Push(ctx context.Context, hr hris.Provider, it store.OutboxItem, saveID func(personioID string) error) error {
	a, err := p.st.AbsenceSyncAbsence(ctx, it.OrgID, it.RecordID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a = nil
	case err != nil:
		return fmt.Errorf("absence %d: %w", it.RecordID, err)
	}
	set, err := p.st.SyncSettings(ctx, it.OrgID)
	if err != nil {
		return fmt.Errorf("settings of org %d: %w", it.OrgID, err)
	}
	if set.AbsencesLeading != LeadingRoster {
		// Switched to Personio or off after the change was queued: nothing
		// moves any more (shown as failed on the API log).
		return &pushError{msg: "Not sent to Personio: absences are no longer led by Roster (the setting changed before the push)."}
	}
	if it.Op == store.OutboxDelete || a == nil {
		return p.remove(ctx, hr, it, a)
	}
	if !belongs(a, set.AbsencesOnlyApproved) {
		return p.remove(ctx, hr, it, a)
	}
	want, err := p.desired(ctx, a)
	if err != nil {
		return err
	}
	h := pushHash(&want)
	if a.PersonioID != nil && a.PersonioHash == h {
		return saveID(strconv.FormatInt(*a.PersonioID, 10)) // already there
	}
	if a.PersonioID != nil {
		// An edit: delete what Personio holds, then create anew.
		if err := hr.DeleteTimeOff(ctx, *a.PersonioID); err != nil && !errors.Is(err, hris.ErrNotFound) {
			return err
		}
		if err := p.st.AbsenceSyncSetLink(ctx, a.OrgID, a.ID, nil, ""); err != nil {
			return fmt.Errorf("unlink absence %d: %w", a.ID, err)
		}
	}
	found, err := p.find(ctx, hr, a, want)
	if err != nil {
		return err
	}
	var id int64
	if found != nil {
		id = found.ID
	} else {
		created, err := hr.CreateTimeOff(ctx, want)
		if err != nil {
			return err
		}
		id = created.ID
	}
	if err := saveID(strconv.FormatInt(id, 10)); err != nil {
		return err
	}
	if err := p.st.AbsenceSyncSetLink(ctx, a.OrgID, a.ID, &id, h); err != nil {
		return fmt.Errorf("link absence %d to time-off %d: %w", a.ID, id, err)
	}
	return nil
}

// desired is the time-off Personio should hold for a.
func (p *Pusher) desired(ctx context.Context, a *store.Absence) (hris.NewTimeOff, error) {
	var t hris.NewTimeOff
	if why, err := unpushable(ctx, p.st, a); err != nil {
		return t, err
	} else if why != "" {
		return t, &pushError{msg: why}
	}
	u, err := p.st.User(ctx, a.OrgID, a.UserID)
	if err != nil {
		return t, fmt.Errorf("user %d: %w", a.UserID, err)
	}
	c, err := p.st.AbsenceSyncCategory(ctx, a.OrgID, *a.CategoryID)
	if err != nil {
		return t, fmt.Errorf("category %d: %w", *a.CategoryID, err)
	}
	start, err := hris.ParseDate(a.StartDate)
	if err != nil || start.IsZero() {
		return t, &pushError{msg: fmt.Sprintf("Not sent to Personio: the start date %q is not a date.", a.StartDate)}
	}
	end, err := hris.ParseDate(a.EndDate)
	if err != nil || end.IsZero() {
		return t, &pushError{msg: fmt.Sprintf("Not sent to Personio: the end date %q is not a date.", a.EndDate)}
	}
	return hris.NewTimeOff{EmployeeID: *u.PersonioID, TypeID: *c.PersonioTypeID, Start: start, End: end,
		HalfDayStart: a.HalfDayStart, HalfDayEnd: a.HalfDayEnd, Comment: a.Comment,
		SkipApproval: a.Status == store.AbsenceApproved}, nil
}

// find looks in Personio for a time-off matching want that was created
// through the API and is linked to no other absence (one an earlier
// attempt created before it could record the answer).
func (p *Pusher) find(ctx context.Context, hr hris.Provider, a *store.Absence, want hris.NewTimeOff) (*hris.TimeOff, error) {
	var cands []hris.TimeOff
	err := hr.ListTimeOffs(ctx, hris.TimeOffQuery{Start: want.Start, End: want.End, EmployeeIDs: []int64{want.EmployeeID}},
		func(page []hris.TimeOff) error {
			for _, t := range page {
				if t.EmployeeID == want.EmployeeID && t.TypeID == want.TypeID && t.Start == want.Start && t.End == want.End &&
					t.HalfDayStart == want.HalfDayStart && t.HalfDayEnd == want.HalfDayEnd &&
					(t.CreatedBy == personioCreatedByAPI || t.CreatedBy == "") &&
					t.Status != hris.TimeOffRejected && t.Status != hris.TimeOffCanceled {
					cands = append(cands, t)
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(cands))
	for i, t := range cands {
		ids[i] = t.ID
	}
	linked, err := p.st.AbsenceSyncByPersonioIDs(ctx, a.OrgID, ids)
	if err != nil {
		return nil, err
	}
	for i := range cands {
		if other, ok := linked[cands[i].ID]; !ok || other.ID == a.ID {
			return &cands[i], nil
		}
	}
	return nil, nil
}

// remove deletes the time-off linked to a (or recorded on the item) in
// Personio and clears the link. With no id known it looks for a time-off
// an interrupted create may have left.
func (p *Pusher) remove(ctx context.Context, hr hris.Provider, it store.OutboxItem, a *store.Absence) error {
	var id int64
	switch {
	case a != nil && a.PersonioID != nil:
		id = *a.PersonioID
	case it.PersonioID != "":
		v, err := strconv.ParseInt(it.PersonioID, 10, 64)
		if err != nil {
			return &pushError{msg: fmt.Sprintf("The recorded Personio id %q is not a time-off id.", it.PersonioID)}
		}
		id = v
	case a != nil:
		want, err := p.desired(ctx, a)
		if err != nil {
			return nil // never sendable, so never sent
		}
		found, err := p.find(ctx, hr, a, want)
		if err != nil {
			return err
		}
		if found == nil {
			return nil
		}
		id = found.ID
	default:
		return nil
	}
	if err := hr.DeleteTimeOff(ctx, id); err != nil && !errors.Is(err, hris.ErrNotFound) {
		return err
	}
	if a != nil && a.PersonioID != nil {
		if err := p.st.AbsenceSyncSetLink(ctx, a.OrgID, a.ID, nil, ""); err != nil {
			return fmt.Errorf("unlink absence %d: %w", a.ID, err)
		}
	}
	return nil
}
