package timetrack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/store"
)

// Pusher pushes time entries (outbox kind store.OutboxTimeEntry) to the HR
// system's attendance periods.
type Pusher struct {
	St *store.Store
}

// NewPusher returns the time-entry pusher.
func NewPusher(st *store.Store) *Pusher { return &Pusher{St: st} }

// errNotLinked: the entry's user has no Personio employee any more.
var errNotLinked = fmt.Errorf("%w: the user is not linked to a Personio employee", hris.ErrInvalid)

// period is the attendance period of an entry: one work period from start
// to end; the break and the project are written into the comment (Roster
// projects are free text, not Personio project ids).
func period(e *store.TimeEntry, personID int64) hris.NewAttendancePeriod {
	parts := []string{}
	if c := strings.TrimSpace(e.Comment); c != "" {
		parts = append(parts, c)
	}
	if e.Project != "" {
		parts = append(parts, "Project: "+e.Project)
	}
	if e.BreakMinutes > 0 {
		parts = append(parts, fmt.Sprintf("Break: %d min", e.BreakMinutes))
	}
	return hris.NewAttendancePeriod{PersonID: personID, Type: hris.AttendanceWork, Start: e.StartAt, End: e.EndAt,
		Comment: strings.Join(parts, " · "), SkipApproval: e.Status == store.TimeConfirmed}
}

// Push performs one item.
func (p *Pusher) Push(ctx context.Context, prov hris.Provider, it store.OutboxItem, saveID func(personioID string) error) error {
	e, err := p.St.TimeEntry(ctx, it.OrgID, it.RecordID)
	if errors.Is(err, store.ErrNotFound) {
		if it.Op == store.OutboxDelete && it.PersonioID != "" {
			return ignoreNotFound(prov.DeleteAttendancePeriod(ctx, it.PersonioID))
		}
		return nil // gone without a trace in Personio: nothing to do
	}
	if err != nil {
		return err
	}
	id := e.PersonioID
	if id == "" {
		id = it.PersonioID
	}
	u, err := p.St.User(ctx, it.OrgID, e.UserID)
	if err != nil {
		return err
	}
	if u.PersonioID == nil {
		if it.Op == store.OutboxDelete && id != "" {
			return p.remove(ctx, prov, e, id)
		}
		return errNotLinked
	}
	np := period(e, *u.PersonioID)
	if id == "" && it.Attempts > 0 {
		// An earlier attempt may have created the period before we could
		// store its id: look for it before creating or deleting.
		if id, err = find(ctx, prov, np); err != nil {
			return err
		}
		if id != "" {
			if err := saveID(id); err != nil {
				return err
			}
		}
	}
	switch it.Op {
	case store.OutboxDelete:
		if id == "" {
			return p.forget(ctx, e)
		}
		return p.remove(ctx, prov, e, id)
	default:
		if e.EndAt == nil {
			return fmt.Errorf("%w: the entry has no end", hris.ErrInvalid)
		}
		if id != "" {
			if err := p.St.SetTimeEntryPersonioID(ctx, e.OrgID, e.ID, id); err != nil {
				return err
			}
			err := prov.UpdateAttendancePeriod(ctx, id, np)
			if !errors.Is(err, hris.ErrNotFound) {
				return err
			}
			// Deleted in Personio meanwhile: create it again.
		}
		newID, err := prov.CreateAttendancePeriod(ctx, np)
		if err != nil {
			return err
		}
		if err := saveID(newID); err != nil {
			return err
		}
		return p.St.SetTimeEntryPersonioID(ctx, e.OrgID, e.ID, newID)
	}
}

// remove deletes the period and then the entry's link (or the entry itself
// when it was deleted in Roster).
func (p *Pusher) remove(ctx context.Context, prov hris.Provider, e *store.TimeEntry, id string) error {
	if err := ignoreNotFound(prov.DeleteAttendancePeriod(ctx, id)); err != nil {
		return err
	}
	return p.forget(ctx, e)
}

func (p *Pusher) forget(ctx context.Context, e *store.TimeEntry) error {
	if e.DeletedAt != nil {
		return p.St.PurgeTimeEntry(ctx, e.OrgID, e.ID)
	}
	return p.St.SetTimeEntryPersonioID(ctx, e.OrgID, e.ID, "")
}

func ignoreNotFound(err error) error {
	if errors.Is(err, hris.ErrNotFound) {
		return nil
	}
	return err
}

// find looks for a period of the person with the entry's start; "" when
// there is none. The end and the comment are not compared: the entry may
// have been corrected since the attempt that created the period (the
// retry then updates it), and a person's periods cannot overlap, so a
// period with the same start is the one that attempt made (or one that
// would make a new create fail).
func find(ctx context.Context, prov hris.Provider, np hris.NewAttendancePeriod) (string, error) {
	start := np.Start.Truncate(time.Second)
	var found string
	stop := errors.New("found")
	err := prov.ListAttendancePeriods(ctx, hris.AttendanceQuery{PersonIDs: []int64{np.PersonID}, StartFrom: start, StartTo: start},
		func(page []hris.AttendancePeriod) error {
			for _, q := range page {
				if q.PersonID == np.PersonID && q.Start.Equal(start) {
					found = q.ID
					return stop
				}
			}
			return nil
		})
	if errors.Is(err, stop) {
		return found, nil
	}
	return "", err
}
