package absencesync

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/store"
)

// employeesPerQuery is how many employees one time-off query names
// (repeated employees[] keys keep the URL short enough).
const employeesPerQuery = 50

// berlin is the time zone in which Personio reads updated_from/updated_to
// (whole days).
var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// ImportResult counts what an import did.
type ImportResult struct {
	// Fetched time-offs of linked users; Created, Updated (content changed
	// in Personio; a confirmed absence goes back to "to confirm"),
	// Unchanged, Deleted (gone from Personio, or rejected or cancelled
	// there), Unmapped (imported without a category), Skipped (unusable, or
	// linked to a Roster request pushed earlier).
	Fetched, Created, Updated, Unchanged, Deleted, Unmapped, Skipped int
	// Failure says why Personio could not be read ("" when it could); it
	// is also a run warning, and nothing was changed.
	Failure string
}

// Import is the lifecycle step run after every employee sync (register it
// in lifecycle.Options.Also). While Personio leads it imports the
// time-offs of the linked users: a full run the days from WindowPastDays
// ago to WindowFutureDays ahead, deleting the imported absences of that
// window that Personio no longer has; a partial run the time-offs changed
// on the days of the run's look-back window (updated_from/updated_to,
// whole Berlin days), which cannot reveal deletions: those are removed by
// the next full run. A failure to read Personio becomes a run warning and
// never fails the employee sync.
func (s *Service) Import(ctx context.Context, run *store.SyncRun) error {
	_, err := s.ImportRun(ctx, run)
	if err == nil || ctx.Err() != nil {
		return err
	}
	// The employees are synced; absences that could not be written are
	// retried by the next run.
	s.log.LogAttrs(ctx, slog.LevelWarn, "absence import failed", slog.Int64("org_id", run.OrgID), slog.Int64("run_id", run.ID),
		slog.String("error", err.Error()))
	return s.st.AddSyncRunWarnings(ctx, []store.SyncRunWarning{{RunID: run.ID, OrgID: run.OrgID, Code: WarnImportFailed,
		Message: "Absences could not be imported from Personio; the next sync tries again.", CreatedAt: s.now().UTC()}})
}

// ImportRun is Import with its counts.
func (s *Service) ImportRun(ctx context.Context, run *store.SyncRun) (ImportResult, error) {
	var res ImportResult
	orgID, runID := run.OrgID, run.ID
	set, err := s.st.SyncSettings(ctx, orgID)
	if err != nil {
		return res, fmt.Errorf("absencesync: load settings of org %d: %w", orgID, err)
	}
	if set.AbsencesLeading != LeadingPersonio {
		return res, nil
	}
	linked, err := s.st.LinkedPersonioUsers(ctx, orgID)
	if err != nil {
		return res, fmt.Errorf("absencesync: linked users of org %d: %w", orgID, err)
	}
	if len(linked) == 0 {
		return res, nil
	}
	now := s.now()
	full := run.Mode == store.ModeFull
	var q hris.TimeOffQuery
	var from, to string
	if full {
		today := hris.DateOf(now.In(orgLocation(ctx, s.st, orgID)))
		q.Start, q.End = today.AddDays(-WindowPastDays), today.AddDays(WindowFutureDays)
		from, to = q.Start.String(), q.End.String()
	} else {
		started := run.StartedAt
		if started.IsZero() {
			started = now
		}
		since := started.Add(-time.Duration(max(set.LookbackHours, 1)) * time.Hour)
		q.UpdatedFrom, q.UpdatedTo = hris.DateOf(since.In(berlin)), hris.DateOf(now.In(berlin))
	}

	var mu sync.Mutex
	var calls []store.APICall
	onCall := func(ci hris.CallInfo) {
		c := hrsync.APICallOf(orgID, &runID, store.AreaAbsences, ci)
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
	}
	takeCalls := func() []store.APICall {
		mu.Lock()
		defer mu.Unlock()
		cs := calls
		calls = nil
		return cs
	}
	fail := func(cause error) (ImportResult, error) {
		if ctx.Err() != nil {
			return res, fmt.Errorf("absencesync: import of org %d: %w", orgID, cause)
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "absence import failed", slog.Int64("org_id", orgID), slog.Int64("run_id", runID),
			slog.String("error", cause.Error()))
		msg := "Absences could not be imported from Personio; nothing was changed: " + hris.UserMessage(cause)
		res.Failure = msg
		cs := takeCalls()
		err := s.st.Tx(ctx, func(tx *store.Store) error {
			if err := tx.InsertAPICalls(ctx, cs); err != nil {
				return err
			}
			return tx.AddSyncRunWarnings(ctx, []store.SyncRunWarning{{RunID: runID, OrgID: orgID, Code: WarnImportFailed, Message: msg, CreatedAt: now.UTC()}})
		})
		return res, err
	}

	provider, err := s.providers(hris.WithArea(ctx, store.AreaAbsences), orgID, onCall)
	if err != nil {
		return fail(err)
	}
	employees := make([]int64, 0, len(linked))
	for pid := range linked {
		employees = append(employees, pid)
	}
	slices.Sort(employees)
	fetched := map[int64]hris.TimeOff{}
	var order []int64
	actx := hris.WithArea(ctx, store.AreaAbsences)
	for start := 0; start < len(employees); start += employeesPerQuery {
		cq := q
		cq.EmployeeIDs = employees[start:min(start+employeesPerQuery, len(employees))]
		err := provider.ListTimeOffs(actx, cq, func(page []hris.TimeOff) error {
			for _, t := range page {
				if _, ok := linked[t.EmployeeID]; !ok {
					continue
				}
				if _, dup := fetched[t.ID]; !dup {
					order = append(order, t.ID)
				}
				fetched[t.ID] = t
			}
			return nil
		})
		if err != nil {
			return fail(err)
		}
	}

	cats, err := s.st.AbsenceSyncCategoriesByType(ctx, orgID)
	if err != nil {
		return res, fmt.Errorf("absencesync: %w", err)
	}
	existing, err := s.st.AbsenceSyncByPersonioIDs(ctx, orgID, order)
	if err != nil {
		return res, fmt.Errorf("absencesync: %w", err)
	}
	var warns []store.SyncRunWarning
	warn := func(personioID int64, code, msg string) {
		warns = append(warns, store.SyncRunWarning{RunID: runID, OrgID: orgID, PersonioID: personioID, Code: code, Message: msg, CreatedAt: now.UTC()})
	}
	var writes []*store.Absence
	var deletes []int64
	for _, id := range order {
		t := fetched[id]
		if t.ID == 0 || t.Start.IsZero() || t.End.IsZero() || t.End.Before(t.Start) {
			res.Skipped++
			warn(t.ID, WarnInvalidTimeOff, fmt.Sprintf("Time-off %d of employee %d has no usable dates; it was not imported.", t.ID, t.EmployeeID))
			continue
		}
		res.Fetched++
		cur, has := existing[t.ID]
		if has && cur.Source != store.SourcePersonio {
			// A Roster request pushed while Roster led: it stays Roster's.
			res.Skipped++
			continue
		}
		if t.Status == hris.TimeOffRejected || t.Status == hris.TimeOffCanceled {
			if has {
				deletes = append(deletes, cur.ID)
				res.Deleted++
			}
			continue
		}
		var catID *int64
		if c, ok := cats[t.TypeID]; ok {
			catID = &c
		} else {
			res.Unmapped++
			warn(t.ID, WarnUnmappedType, fmt.Sprintf("The Personio time-off type %q (id %d) is paired with no Roster category: time-off %d was imported without a category. Pair it under Settings › Absence categories.",
				t.TypeName, t.TypeID, t.ID))
		}
		userID := linked[t.EmployeeID]
		h := importHash(&t)
		if has && cur.PersonioHash == h && cur.UserID == userID {
			if !samePtr(cur.CategoryID, catID) && catID != nil {
				// The type was paired since: fill the category in, the
				// content is unchanged so the confirmation stays.
				a := cur
				a.CategoryID, a.UpdatedAt = catID, now.UTC()
				writes = append(writes, &a)
			}
			res.Unchanged++
			continue
		}
		pid := t.ID
		a := &store.Absence{OrgID: orgID, Status: store.AbsenceToConfirm, Source: store.SourcePersonio, PersonioID: &pid, CreatedAt: now.UTC()}
		if has {
			a = &cur
			// A change in Personio needs a new confirmation.
			a.Status, a.DecidedByID, a.DecidedAt, a.DecisionNote = store.AbsenceToConfirm, nil, nil, ""
			res.Updated++
		} else {
			res.Created++
		}
		a.UserID, a.CategoryID = userID, catID
		a.StartDate, a.EndDate = t.Start.String(), t.End.String()
		a.HalfDayStart, a.HalfDayEnd, a.Comment = t.HalfDayStart, t.HalfDayEnd, t.Comment
		a.PersonioHash, a.OutOfSync, a.UpdatedAt = h, "", now.UTC()
		writes = append(writes, a)
	}
	if full {
		users := make(map[int64]bool, len(linked))
		for _, uid := range linked {
			users[uid] = true
		}
		imported, err := s.st.AbsenceSyncImportedInWindow(ctx, orgID, from, to)
		if err != nil {
			return res, fmt.Errorf("absencesync: %w", err)
		}
		for _, a := range imported {
			if a.PersonioID == nil || !users[a.UserID] {
				continue // the user was unlinked: not asked for
			}
			if _, ok := fetched[*a.PersonioID]; !ok {
				deletes = append(deletes, a.ID)
				res.Deleted++
			}
		}
	}
	cs := takeCalls()
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		for _, a := range writes {
			if err := tx.AbsenceSyncSave(ctx, a); err != nil {
				return fmt.Errorf("save absence of time-off %d: %w", *a.PersonioID, err)
			}
		}
		if err := tx.AbsenceSyncDelete(ctx, orgID, deletes); err != nil {
			return err
		}
		if err := tx.AddSyncRunWarnings(ctx, warns); err != nil {
			return err
		}
		return tx.InsertAPICalls(ctx, cs)
	})
	if err != nil {
		return res, fmt.Errorf("absencesync: save import of org %d (run %d): %w", orgID, runID, err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "absences imported from personio", slog.Int64("org_id", orgID), slog.Int64("run_id", runID),
		slog.String("mode", run.Mode), slog.Int("fetched", res.Fetched), slog.Int("created", res.Created), slog.Int("updated", res.Updated),
		slog.Int("unchanged", res.Unchanged), slog.Int("deleted", res.Deleted), slog.Int("unmapped", res.Unmapped))
	return res, nil
}

func samePtr(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
