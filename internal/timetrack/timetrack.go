// Package timetrack holds the time tracking use cases: a timer per member,
// entries added and edited by hand, the manager's confirmation, and the
// pushes of completed (or confirmed) entries to the HR system's attendance
// periods through the outbox.
package timetrack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// Limits of an entry.
const (
	MaxCommentLen = 500
	MaxProjectLen = 100
	MaxBreak      = 12 * 60
	MaxDuration   = 24 * time.Hour
	reviewLimit   = 500
)

// ErrOwnTime: nobody confirms or rejects their own time.
var ErrOwnTime = errors.New("you cannot confirm or reject your own time")

// Options configure a Service.
type Options struct {
	Store *store.Store
	Now   func() time.Time
	Log   *slog.Logger
}

// Service is the time tracking use cases.
type Service struct {
	st  *store.Store
	now func() time.Time
	log *slog.Logger
}

// New builds a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: o.Store, now: o.Now, log: o.Log}
}

// Input is an entry as typed in the form: Day YYYY-MM-DD, Start and End
// HH:MM in the organisation's time zone (End may be "" for a running entry
// only when started by the timer), Break in minutes.
type Input struct {
	Day, Start, End, Break, Comment, Project string
}

func (s *Service) location(ctx context.Context, orgID int64) (*time.Location, error) {
	org, err := s.st.Organization(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("timetrack: organisation: %w", err)
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}

// parse validates in and returns the entry's fields.
func parse(in Input, loc *time.Location, requireEnd bool) (day string, start time.Time, end *time.Time, brk int, err error) {
	p := roster.Problems{}
	d, derr := time.ParseInLocation("2006-01-02", strings.TrimSpace(in.Day), loc)
	if derr != nil {
		p.Add("day", "Enter the date as YYYY-MM-DD.")
	}
	clock := func(field, v string) (time.Time, bool) {
		t, err := time.Parse("15:04", strings.TrimSpace(v))
		if err != nil {
			p.Add(field, "Enter the time as HH:MM (24-hour clock).")
			return time.Time{}, false
		}
		return time.Date(d.Year(), d.Month(), d.Day(), t.Hour(), t.Minute(), 0, 0, loc), true
	}
	var okStart bool
	if derr == nil {
		start, okStart = clock("start", in.Start)
	} else if _, e := time.Parse("15:04", strings.TrimSpace(in.Start)); e != nil {
		p.Add("start", "Enter the time as HH:MM (24-hour clock).")
	}
	if strings.TrimSpace(in.End) == "" {
		if requireEnd {
			p.Add("end", "Enter when you stopped working.")
		}
	} else if derr == nil {
		e, ok := clock("end", in.End)
		if ok && okStart {
			if !e.After(start) {
				// Past midnight: an end before the start is on the next day.
				e = e.AddDate(0, 0, 1)
			}
			if e.Sub(start) > MaxDuration {
				p.Add("end", "An entry lasts at most 24 hours.")
			}
			end = &e
		}
	} else if _, e := time.Parse("15:04", strings.TrimSpace(in.End)); e != nil {
		p.Add("end", "Enter the time as HH:MM (24-hour clock).")
	}
	if b := strings.TrimSpace(in.Break); b != "" {
		n, err := strconv.Atoi(b)
		switch {
		case err != nil || n < 0:
			p.Add("break", "Enter the break in whole minutes (0 or more).")
		case n > MaxBreak:
			p.Add("break", "A break lasts at most 12 hours.")
		default:
			brk = n
		}
	}
	if end != nil && brk > 0 && time.Duration(brk)*time.Minute >= end.Sub(start) {
		p.Add("break", "The break must be shorter than the time between start and end.")
	}
	if len(in.Comment) > MaxCommentLen {
		p.Add("comment", fmt.Sprintf("Keep the comment under %d characters.", MaxCommentLen))
	}
	if len(in.Project) > MaxProjectLen {
		p.Add("project", fmt.Sprintf("Keep the project under %d characters.", MaxProjectLen))
	}
	if err := p.Err(); err != nil {
		return "", time.Time{}, nil, 0, err
	}
	return d.Format("2006-01-02"), start, end, brk, nil
}

// Week is a user's week of entries.
type Week struct {
	Monday   time.Time // the week's Monday (organisation's time zone)
	Days     []Day
	Total    time.Duration
	Running  *store.TimeEntry
	Location *time.Location
	// Linked reports a user linked to a Personio employee (entries can be
	// pushed); Push whether pushing is on.
	Linked, Push bool
	// States maps entry ids to the state of their latest push.
	States map[int64]store.OutboxItem
}

// Day is one day of a week.
type Day struct {
	Date    time.Time
	Entries []store.TimeEntry
	Total   time.Duration
}

// Worked is the working time of a completed entry (end − start − break).
func Worked(e *store.TimeEntry, now time.Time) time.Duration {
	end := now
	if e.EndAt != nil {
		end = *e.EndAt
	}
	d := end.Sub(e.StartAt) - time.Duration(e.BreakMinutes)*time.Minute
	return max(d, 0)
}

// Week returns the actor's entries of the week containing day
// (YYYY-MM-DD; "" for this week) with daily and weekly totals.
func (s *Service) Week(ctx context.Context, a roster.Actor, day string) (*Week, error) {
	loc, err := s.location(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	ref := s.now().In(loc)
	if day != "" {
		if d, err := time.ParseInLocation("2006-01-02", day, loc); err == nil {
			ref = d
		}
	}
	ref = time.Date(ref.Year(), ref.Month(), ref.Day(), 0, 0, 0, 0, loc)
	monday := ref.AddDate(0, 0, -((int(ref.Weekday()) + 6) % 7))
	sunday := monday.AddDate(0, 0, 6)
	es, err := s.st.UserTimeEntries(ctx, a.OrgID, a.UserID, monday.Format("2006-01-02"), sunday.Format("2006-01-02"))
	if err != nil {
		return nil, fmt.Errorf("timetrack: %w", err)
	}
	w := &Week{Monday: monday, Location: loc, States: map[int64]store.OutboxItem{}}
	for i := range 7 {
		w.Days = append(w.Days, Day{Date: monday.AddDate(0, 0, i)})
	}
	now := s.now()
	for _, e := range es {
		d, err := time.ParseInLocation("2006-01-02", e.Day, loc)
		if err != nil {
			continue
		}
		i := int(d.Sub(monday).Hours()/24 + 0.5)
		if i < 0 || i > 6 {
			continue
		}
		w.Days[i].Entries = append(w.Days[i].Entries, e)
		if e.EndAt != nil && e.Status != store.TimeRejected {
			w.Days[i].Total += Worked(&e, now)
			w.Total += Worked(&e, now)
		}
		if it, err := s.st.LastOutboxItem(ctx, a.OrgID, store.OutboxTimeEntry, e.ID); err == nil {
			w.States[e.ID] = *it
		}
	}
	if r, err := s.st.RunningTimeEntry(ctx, a.OrgID, a.UserID); err == nil {
		w.Running = r
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("timetrack: %w", err)
	}
	u, err := s.st.User(ctx, a.OrgID, a.UserID)
	if err != nil {
		return nil, fmt.Errorf("timetrack: %w", err)
	}
	w.Linked = u.PersonioID != nil
	set, err := s.st.SyncSettings(ctx, a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("timetrack: %w", err)
	}
	w.Push = set.TimePush
	return w, nil
}

// Start starts the actor's timer now; roster.ErrConflict when one runs.
func (s *Service) Start(ctx context.Context, a roster.Actor, comment, project string) (*store.TimeEntry, error) {
	p := roster.Problems{}
	if len(comment) > MaxCommentLen {
		p.Add("comment", fmt.Sprintf("Keep the comment under %d characters.", MaxCommentLen))
	}
	if len(project) > MaxProjectLen {
		p.Add("project", fmt.Sprintf("Keep the project under %d characters.", MaxProjectLen))
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	loc, err := s.location(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	e := &store.TimeEntry{OrgID: a.OrgID, UserID: a.UserID, Day: now.In(loc).Format("2006-01-02"), StartAt: now, Status: store.TimeRunning,
		Comment: strings.TrimSpace(comment), Project: strings.TrimSpace(project), CreatedAt: now, UpdatedAt: now}
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		if _, err := tx.RunningTimeEntry(ctx, a.OrgID, a.UserID); err == nil {
			return fmt.Errorf("%w: a timer is already running; stop it first", roster.ErrConflict)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.InsertTimeEntry(ctx, e)
	})
	if err != nil {
		return nil, fmt.Errorf("timetrack: start timer: %w", err)
	}
	return e, nil
}

// Stop stops the actor's running timer; roster.ErrNotFound when none runs.
func (s *Service) Stop(ctx context.Context, a roster.Actor) (*store.TimeEntry, error) {
	var e *store.TimeEntry
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		var err error
		if e, err = tx.RunningTimeEntry(ctx, a.OrgID, a.UserID); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Second)
		if !now.After(e.StartAt) {
			now = e.StartAt.Add(time.Second)
		}
		e.EndAt, e.Status, e.UpdatedAt = &now, store.TimeCompleted, now
		if err := tx.SaveTimeEntry(ctx, e); err != nil {
			return err
		}
		return s.schedule(ctx, tx, e)
	})
	if err != nil {
		return nil, fmt.Errorf("timetrack: stop timer: %w", err)
	}
	return e, nil
}

// Add adds a completed entry of the actor.
func (s *Service) Add(ctx context.Context, a roster.Actor, in Input) (*store.TimeEntry, error) {
	loc, err := s.location(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	day, start, end, brk, err := parse(in, loc, true)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	e := &store.TimeEntry{OrgID: a.OrgID, UserID: a.UserID, Day: day, StartAt: start.UTC(), EndAt: utc(end), BreakMinutes: brk,
		Comment: strings.TrimSpace(in.Comment), Project: strings.TrimSpace(in.Project), Status: store.TimeCompleted, CreatedAt: now, UpdatedAt: now}
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.InsertTimeEntry(ctx, e); err != nil {
			return err
		}
		return s.schedule(ctx, tx, e)
	})
	if err != nil {
		return nil, fmt.Errorf("timetrack: add entry: %w", err)
	}
	return e, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Get returns one of the actor's own live entries; roster.ErrNotFound for
// another user's entry or a deleted one.
func (s *Service) Get(ctx context.Context, a roster.Actor, id int64) (*store.TimeEntry, error) {
	return own(ctx, s.st, a, id)
}

func own(ctx context.Context, st *store.Store, a roster.Actor, id int64) (*store.TimeEntry, error) {
	e, err := st.TimeEntry(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	if e.UserID != a.UserID || e.DeletedAt != nil {
		return nil, roster.ErrNotFound
	}
	return e, nil
}

// Update edits one of the actor's entries. An edited confirmed or rejected
// entry needs its manager again (completed); a pushed one is pushed again.
func (s *Service) Update(ctx context.Context, a roster.Actor, id int64, in Input) (*store.TimeEntry, error) {
	loc, err := s.location(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	var e *store.TimeEntry
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		var err error
		if e, err = own(ctx, tx, a, id); err != nil {
			return err
		}
		day, start, end, brk, err := parse(in, loc, e.Status != store.TimeRunning)
		if err != nil {
			return err
		}
		e.Day, e.StartAt, e.EndAt, e.BreakMinutes = day, start.UTC(), utc(end), brk
		e.Comment, e.Project = strings.TrimSpace(in.Comment), strings.TrimSpace(in.Project)
		if e.EndAt != nil {
			e.Status, e.DecidedByID, e.DecidedAt = store.TimeCompleted, nil, nil
		}
		e.UpdatedAt = s.now().UTC()
		if err := tx.SaveTimeEntry(ctx, e); err != nil {
			return err
		}
		return s.schedule(ctx, tx, e)
	})
	if err != nil {
		return nil, fmt.Errorf("timetrack: edit entry %d: %w", id, err)
	}
	return e, nil
}

// Delete deletes one of the actor's entries. One that reached (or may have
// reached) Personio is kept, hidden, until its deletion is pushed.
func (s *Service) Delete(ctx context.Context, a roster.Actor, id int64) error {
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		e, err := own(ctx, tx, a, id)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		e.DeletedAt, e.UpdatedAt = &now, now
		if err := tx.SaveTimeEntry(ctx, e); err != nil {
			return err
		}
		return s.schedule(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("timetrack: delete entry %d: %w", id, err)
	}
	return nil
}

// ToReview returns the completed entries the actor may confirm: those of
// their reports, or of everyone for admins.
func (s *Service) ToReview(ctx context.Context, a roster.Actor) ([]store.ReviewTimeEntry, error) {
	var ids []int64
	if !a.IsAdmin() {
		var err error
		if ids, err = s.st.ReportIDs(ctx, a.OrgID, a.UserID); err != nil {
			return nil, fmt.Errorf("timetrack: %w", err)
		}
	}
	es, err := s.st.TimeEntriesToReview(ctx, a.OrgID, ids, a.IsAdmin(), reviewLimit)
	if err != nil {
		return nil, fmt.Errorf("timetrack: %w", err)
	}
	// Nobody confirms their own time.
	out := es[:0]
	for _, e := range es {
		if e.UserID != a.UserID {
			out = append(out, e)
		}
	}
	return out, nil
}

// Decide confirms (confirm true) or rejects a completed entry of one of the
// actor's reports (admins: anyone's but their own), audited.
func (s *Service) Decide(ctx context.Context, a roster.Actor, id int64, confirm bool) (*store.TimeEntry, error) {
	var e *store.TimeEntry
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		var err error
		if e, err = tx.TimeEntry(ctx, a.OrgID, id); err != nil {
			return err
		}
		if e.DeletedAt != nil {
			return roster.ErrNotFound
		}
		if e.UserID == a.UserID {
			return ErrOwnTime
		}
		if !a.IsAdmin() {
			ok, err := tx.IsManagerOf(ctx, a.OrgID, a.UserID, e.UserID)
			if err != nil {
				return err
			}
			if !ok {
				return roster.ErrNotFound
			}
		}
		if e.Status != store.TimeCompleted {
			return fmt.Errorf("%w: the entry is %s, only completed entries can be confirmed or rejected", roster.ErrConflict, e.Status)
		}
		status, action := store.TimeConfirmed, "time.confirmed"
		if !confirm {
			status, action = store.TimeRejected, "time.rejected"
		}
		now := s.now().UTC()
		if err := tx.DecideTimeEntry(ctx, a.OrgID, id, status, a.UserID, now); err != nil {
			return err
		}
		e.Status, e.DecidedByID, e.DecidedAt = status, &a.UserID, &now
		owner, err := tx.User(ctx, a.OrgID, e.UserID)
		if err != nil {
			return err
		}
		if err := tx.AddAudit(ctx, store.NewAuditEvent(a, action, "time_entry", e.ID, owner.Name, e.Day, now)); err != nil {
			return err
		}
		return s.schedule(ctx, tx, e)
	})
	if err != nil {
		return nil, fmt.Errorf("timetrack: decide entry %d: %w", id, err)
	}
	return e, nil
}

// Eligible reports whether an entry belongs in Personio under the
// settings: completed (or only confirmed) and not deleted.
func Eligible(e *store.TimeEntry, onlyConfirmed bool) bool {
	if e.DeletedAt != nil || e.EndAt == nil {
		return false
	}
	return e.Status == store.TimeConfirmed || (!onlyConfirmed && e.Status == store.TimeCompleted)
}

// schedule enqueues the push an entry's change needs, inside tx: create
// when it becomes eligible, update when a pushed entry changed, delete when
// a pushed (or possibly pushed) entry was deleted or is no longer eligible.
// A deleted entry that never reached Personio is removed at once.
func (s *Service) schedule(ctx context.Context, tx *store.Store, e *store.TimeEntry) error {
	now := s.now()
	open, err := tx.OpenOutboxItem(ctx, e.OrgID, store.OutboxTimeEntry, e.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	last, err := tx.LastOutboxItem(ctx, e.OrgID, store.OutboxTimeEntry, e.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// inPersonio: the entry is (or may be) in Personio, or on its way.
	inPersonio := e.PersonioID != "" || open != nil || (last != nil && last.Attempts > 0 && last.Op != store.OutboxDelete)
	set, err := tx.SyncSettings(ctx, e.OrgID)
	if err != nil {
		return err
	}
	u, err := tx.User(ctx, e.OrgID, e.UserID)
	if err != nil {
		return err
	}
	eligible := set.TimePush && u.PersonioID != nil && Eligible(e, set.TimeOnlyConfirmed)
	switch {
	case eligible && e.PersonioID != "":
		err = outbox.Enqueue(ctx, tx, e.OrgID, store.OutboxTimeEntry, e.ID, store.OutboxUpdate, now)
	case eligible:
		err = outbox.Enqueue(ctx, tx, e.OrgID, store.OutboxTimeEntry, e.ID, store.OutboxCreate, now)
	case inPersonio && (e.DeletedAt != nil || e.EndAt != nil):
		err = outbox.Enqueue(ctx, tx, e.OrgID, store.OutboxTimeEntry, e.ID, store.OutboxDelete, now)
	}
	if err != nil {
		return err
	}
	if e.DeletedAt == nil {
		return nil
	}
	// Purge a deleted entry that has nothing left to push.
	if e.PersonioID != "" {
		return nil
	}
	if _, err := tx.OpenOutboxItem(ctx, e.OrgID, store.OutboxTimeEntry, e.ID); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return tx.PurgeTimeEntry(ctx, e.OrgID, e.ID)
}

// Owners returns who owns the given entries (the API log's record labels).
func (s *Service) Owners(ctx context.Context, orgID int64, ids []int64) (map[int64]store.TimeEntryOwner, error) {
	m, err := s.st.TimeEntryOwners(ctx, orgID, ids)
	if err != nil {
		return nil, fmt.Errorf("timetrack: %w", err)
	}
	return m, nil
}
