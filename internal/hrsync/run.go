package hrsync

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/store"
)

// Phases of a run, shown with its progress.
const (
	PhaseStarting = "starting"
	PhaseFetching = "fetching"
	PhaseRemovals = "removals"
	PhaseChecks   = "checks"
	PhaseDone     = "done"
	PhaseFailed   = "failed"
)

// PageSize is the number of employees requested per page.
const PageSize = 100

// finishTimeout bounds the writes that close a run, which happen even when
// the run's context was cancelled.
const finishTimeout = 30 * time.Second

// runState is one executing run.
type runState struct {
	s         *Service
	run       *store.SyncRun
	leaseArea string
	full      bool
	calls     *callLog
	norm      *normalizer
	prog      store.SyncRunProgress
	// seen holds the ids applied by this run (removal detection, run
	// warnings of partial syncs); warned the ids with a run warning.
	seen   map[int64]struct{}
	warned map[int64]struct{}
	// analyzed is set once the mirror's statistics were refreshed.
	analyzed bool
	// pv is the preview this run computes (previewOnly) or applies;
	// collect gathers the diff while the run's transaction is open.
	pv          *store.SyncPreview
	previewOnly bool
	committed   bool // an apply's transaction committed
	collect     *collector
}

// execute runs r to the end and records its outcome. It returns the final
// run row, and an error when the run failed.
func (s *Service) execute(parent context.Context, r *store.SyncRun, req Request) (*store.SyncRun, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	ctx = hris.WithArea(ctx, store.AreaEmployees)
	rs := &runState{
		s: s, run: r, leaseArea: leaseArea(req.Area), full: req.Mode == store.ModeFull,
		calls: newCallLog(r.OrgID, r.ID, store.AreaEmployees),
		prog:  store.SyncRunProgress{Phase: PhaseStarting},
		seen:  map[int64]struct{}{}, warned: map[int64]struct{}{},
	}

	stop := make(chan struct{})
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		rs.heartbeat(ctx, cancel, stop)
	}()
	var runErr error
	if req.Preview || req.ApplyPreview != 0 {
		runErr = rs.staged(ctx, req)
	} else {
		runErr = rs.dispatch(ctx, req.Area)
	}
	close(stop)
	<-hbDone
	if runErr != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil && !errors.Is(runErr, cause) {
			runErr = fmt.Errorf("%w (%w)", cause, runErr)
		}
	}

	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer fcancel()
	final, finishErr := rs.finish(fctx, runErr)
	if s.onFinish != nil && final != nil {
		s.onFinish(fctx, final)
	}
	switch {
	case runErr != nil:
		return final, fmt.Errorf("hrsync: %s %s sync of org %d (run %d): %w", r.Mode, r.Area, r.OrgID, r.ID, errors.Join(runErr, finishErr))
	case finishErr != nil:
		return final, fmt.Errorf("hrsync: %s %s sync of org %d (run %d): %w", r.Mode, r.Area, r.OrgID, r.ID, finishErr)
	}
	s.log.LogAttrs(fctx, slog.LevelInfo, "hr sync finished", slog.Int64("org_id", r.OrgID), slog.Int64("run_id", r.ID),
		slog.String("area", r.Area), slog.String("mode", r.Mode), slog.Int("processed", rs.prog.Processed),
		slog.Int("new", rs.prog.NewCount), slog.Int("changed", rs.prog.ChangedCount), slog.Int("removed", rs.prog.RemovedCount),
		slog.Int("warnings", rs.prog.WarningCount), slog.Int("api_calls", rs.prog.APICalls), slog.Int64("duration_ms", final.DurationMS))
	return final, nil
}

// finish writes the remaining API calls and the outcome, and releases the
// lease.
func (rs *runState) finish(ctx context.Context, runErr error) (*store.SyncRun, error) {
	st := rs.s.st
	var errs []error
	if err := rs.calls.flush(ctx, st); err != nil {
		errs = append(errs, err)
	}
	rs.prog.APICalls = rs.calls.count()
	rs.prog.HeartbeatAt = rs.s.now()
	errText := ""
	if runErr != nil {
		rs.prog.Phase = PhaseFailed
		errText = rs.failureText(runErr)
	} else {
		rs.prog.Phase = PhaseDone
	}
	status := store.RunSucceeded
	switch {
	case errors.Is(runErr, ErrStalePreview):
		status = store.RunRefused
	case runErr != nil:
		status = store.RunFailed
	case rs.previewOnly:
		status = store.RunPreviewed
	}
	if rs.pv != nil {
		if err := rs.closePreview(ctx, runErr); err != nil {
			errs = append(errs, err)
		}
	}
	if err := st.FinishSyncRunAs(ctx, rs.run.OrgID, rs.run.ID, rs.prog, rs.s.now(), status, errText); err != nil {
		errs = append(errs, err)
	}
	if err := st.ReleaseSyncLease(ctx, rs.run.OrgID, rs.leaseArea, rs.s.holder); err != nil {
		errs = append(errs, err)
	}
	final, err := st.SyncRun(ctx, rs.run.OrgID, rs.run.ID)
	if err != nil {
		errs = append(errs, fmt.Errorf("reload run: %w", err))
		final = rs.run
	}
	return final, errors.Join(errs...)
}

// failureText is the reason shown on a failed run.
func (rs *runState) failureText(err error) string {
	var msg string
	var he *hris.Error
	switch {
	case errors.Is(err, ErrLeaseLost):
		msg = "The run lost its lock to another Roster process (its heartbeat could not be saved in time) and stopped."
	case errors.Is(err, ErrShuttingDown):
		msg = "The run was stopped because Roster shut down."
	case errors.As(err, &he):
		msg = he.UserMessage()
	case errors.Is(err, context.Canceled):
		msg = "The run was cancelled."
	case errors.Is(err, context.DeadlineExceeded):
		msg = "The run took too long and was stopped."
	default:
		msg = err.Error()
	}
	if rs.prog.PagesFetched > 0 {
		msg += fmt.Sprintf(" %d page(s) fetched before the failure were saved", rs.prog.PagesFetched)
		if rs.full {
			msg += "; no employee was marked as removed"
		}
		msg += "."
	}
	return msg
}

// heartbeat renews the lease every TTL/3 until stop; when the lease is lost
// it cancels the run.
func (rs *runState) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, stop <-chan struct{}) {
	every := max(rs.s.ttl/3, 10*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	lastOK := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := rs.s.now()
		held, err := rs.s.st.HeartbeatSyncRun(ctx, rs.run.OrgID, rs.leaseArea, rs.s.holder, rs.run.ID, now, now.Add(rs.s.ttl))
		switch {
		case err == nil && held:
			lastOK = time.Now()
		case err == nil && !held:
			cancel(ErrLeaseLost)
			return
		case time.Since(lastOK) > rs.s.ttl:
			// The database stayed unreachable for a whole TTL: another
			// process may take the lease over now.
			cancel(fmt.Errorf("%w: %w", ErrLeaseLost, err))
			return
		}
	}
}

// areaOrder is the order in which a run of all areas syncs the areas
// after the employees.
var areaOrder = []string{store.AreaAbsences, store.AreaTimeTracking}

// dispatch runs the requested area: the employees, another area's
// function, or the employees and then every registered area.
func (rs *runState) dispatch(ctx context.Context, area string) error {
	switch area {
	case store.AreaEmployees:
		return rs.sync(ctx)
	case store.AreaAll:
		if err := rs.sync(ctx); err != nil {
			return err
		}
		for _, a := range areaOrder {
			if rs.s.areas[a] != nil {
				if err := rs.area(ctx, a); err != nil {
					return err
				}
			}
		}
		return nil
	default:
		return rs.area(ctx, area)
	}
}

// area runs one area's function and adds its counts to the run: Processed,
// NewCount (pushed or imported), RemovedCount, WarningCount (left to
// retry) and ErrorCount (failed).
func (rs *runState) area(ctx context.Context, area string) error {
	if err := rs.progress(ctx, area); err != nil {
		return err
	}
	c, err := rs.s.areas[area](hris.WithArea(ctx, area), rs.run)
	rs.prog.Processed += c.Processed
	rs.prog.NewCount += c.Pushed + c.Imported
	rs.prog.RemovedCount += c.Removed
	rs.prog.WarningCount += c.Retrying
	rs.prog.ErrorCount += c.Failed
	if err != nil {
		return fmt.Errorf("%s: %w", area, err)
	}
	return nil
}

// sync fetches and applies the employees, then removals and checks.
func (rs *runState) sync(ctx context.Context) error {
	s, orgID := rs.s, rs.run.OrgID
	settings, err := s.st.SyncSettings(ctx, orgID)
	if err != nil {
		return fmt.Errorf("load sync settings: %w", err)
	}
	if rs.norm, err = newNormalizer(settings); err != nil {
		return err
	}
	provider, err := s.providers(ctx, orgID, rs.calls.add)
	if err != nil {
		return fmt.Errorf("connect to the HR system: %w", err)
	}
	q := hris.EmployeeQuery{PageSize: PageSize}
	if !rs.full {
		lookback := time.Duration(max(settings.LookbackHours, 1)) * time.Hour
		since := s.now().Add(-lookback)
		q.UpdatedSince = &since
	}
	if err := rs.progress(ctx, PhaseFetching); err != nil {
		return err
	}
	if err := rs.fetch(ctx, provider, q); err != nil {
		return err
	}
	rs.analyze(ctx, true)
	if rs.full {
		if err := rs.progress(ctx, PhaseRemovals); err != nil {
			return err
		}
		if err := rs.markRemoved(ctx); err != nil {
			return err
		}
	}
	if err := rs.progress(ctx, PhaseChecks); err != nil {
		return err
	}
	if err := rs.check(ctx); err != nil {
		return err
	}
	if s.afterRun != nil {
		if _, err := rs.adoptUnfinished(ctx); err != nil {
			return err
		}
		if err := s.afterRun(ctx, rs.run); err != nil {
			return fmt.Errorf("apply changes to linked users: %w", err)
		}
	}
	return nil
}

// fetch streams the pages into applyPage on a second goroutine, so that the
// next page is fetched, decoded and normalised while the previous ones are
// written. At most pipelineDepth pages wait in between. On SQLite the writer
// takes all that wait (up to groupRows records) into one transaction, which
// costs far less than a transaction per page when Personio answers faster
// than the database writes (a first import: every commit rewrites the
// index pages it touched); pages that arrive one by one (rate limits) are
// still written one by one, as soon as they arrive. PostgreSQL commits a
// page cheaply, and larger transactions raised the peak heap of a 50,000
// employee import by 10–25 MiB there (make bench, case 5).
func (rs *runState) fetch(ctx context.Context, provider hris.EmployeeReader, q hris.EmployeeQuery) error {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	groupRows := 0
	if rs.s.st.Dialect() == store.SQLite {
		groupRows = 300
	}
	pages := make(chan []hris.Employee, pipelineDepth)
	applied := make(chan error, 1)
	go func() {
		var err error
		for page := range pages {
			if err != nil {
				continue // drain after a failure
			}
			group, n := [][]hris.Employee{page}, len(page)
			for n < groupRows && len(pages) > 0 {
				// Only this goroutine receives: a waiting page is there.
				next := <-pages
				group, n = append(group, next), n+len(next)
			}
			if err = rs.applyPage(actx, group...); err != nil {
				cancel(err)
			}
		}
		applied <- err
	}()
	fetchErr := provider.ListEmployees(actx, q, func(page []hris.Employee) error {
		rs.norm.prepare(page)
		select {
		case pages <- page:
			return nil
		case <-actx.Done():
			return context.Cause(actx)
		}
	})
	close(pages)
	if err := <-applied; err != nil {
		return err
	}
	if fetchErr != nil {
		return fmt.Errorf("fetch employees: %w", fetchErr)
	}
	return nil
}

// pipelineDepth is the number of fetched pages that may wait to be written.
const pipelineDepth = 2

// analyze refreshes the mirror's planner statistics once per run that
// inserts many rows: when its 1,000th new row is written (so that the
// lookups of the following pages use the right index), or at the end of a
// run that inserted at least 100 rows. Later drift is autovacuum's job.
func (rs *runState) analyze(ctx context.Context, final bool) {
	if rs.analyzed || rs.prog.NewCount < 100 || (!final && rs.prog.NewCount < 1000) {
		return
	}
	rs.analyzed = true
	if err := rs.s.st.AnalyzeHREmployees(ctx); err != nil {
		// Only an optimisation: the sync is correct without it.
		rs.s.log.LogAttrs(ctx, slog.LevelWarn, "hr sync: refreshing statistics failed", slog.Int64("org_id", rs.run.OrgID),
			slog.Int64("run_id", rs.run.ID), slog.String("error", err.Error()))
	}
}

// progress records a new phase.
func (rs *runState) progress(ctx context.Context, phase string) error {
	if err := rs.calls.flush(ctx, rs.s.st); err != nil {
		return err
	}
	rs.prog.Phase = phase
	rs.prog.APICalls = rs.calls.count()
	rs.prog.HeartbeatAt = rs.s.now()
	return rs.s.st.UpdateSyncRunProgress(ctx, rs.run.OrgID, rs.run.ID, rs.prog)
}

// applyPage writes one or more pages in one transaction: the rows that
// changed (batched inserts and upserts), the run warnings of their records,
// the API calls so far and the run's progress.
func (rs *runState) applyPage(ctx context.Context, pages ...[]hris.Employee) error {
	orgID, runID := rs.run.OrgID, rs.run.ID
	now := rs.s.now().UTC()
	prog := rs.prog
	size := 0
	for _, page := range pages {
		size += len(page)
	}
	rows := make([]store.HREmployee, 0, size)
	ids := make([]int64, 0, size)
	inGroup := make(map[int64]struct{}, size)
	var warns []store.SyncRunWarning
	warnedIDs := make([]int64, 0)
	for _, page := range pages {
		prog.PagesFetched++
		for i := range page {
			e := &page[i]
			prog.Processed++
			if e.ID == 0 {
				prog.ErrorCount++
				warns = append(warns, store.SyncRunWarning{RunID: runID, OrgID: orgID, Code: WarnNoID, CreatedAt: now,
					Message: fmt.Sprintf("Record %d of page %d has no usable id and was skipped: %s", i+1, prog.PagesFetched, warningText(e.Warnings))})
				continue
			}
			if _, dup := rs.seen[e.ID]; dup {
				continue // listed twice (pages shifted while fetching): applied once
			}
			if _, dup := inGroup[e.ID]; dup {
				continue
			}
			row, ws, err := rs.norm.normalize(e)
			if err != nil {
				prog.ErrorCount++
				warns = append(warns, store.SyncRunWarning{RunID: runID, OrgID: orgID, PersonioID: e.ID, Code: WarnInvalidValue, CreatedAt: now,
					Message: "The record could not be saved: " + err.Error()})
				continue
			}
			row.OrgID, row.FirstSeenAt, row.LastSyncedAt, row.LastRunID = orgID, now, now, runID
			rows = append(rows, row)
			ids = append(ids, e.ID)
			inGroup[e.ID] = struct{}{}
			if len(ws) > 0 {
				warns = append(warns, runWarnings(orgID, runID, e.ID, ws, now)...)
				warnedIDs = append(warnedIDs, e.ID)
			}
		}
	}

	calls := rs.calls.take()
	var written int
	err := rs.s.st.Tx(ctx, func(tx *store.Store) error {
		states, err := tx.HREmployeeStates(ctx, orgID, ids)
		if err != nil {
			return err
		}
		writes := rows[:0]
		p := prog
		for _, row := range rows {
			cur, exists := states[row.PersonioID]
			if exists && !rs.full && cur.InScope && !row.InScope && !cur.Removed {
				// Scope exits happen in full syncs only.
				row.InScope, row.ScopeReason = true, ""
			}
			switch {
			case !exists:
				p.NewCount++
			case cur.RawHash == row.RawHash && cur.InScope == row.InScope && cur.ScopeReason == row.ScopeReason && !cur.Removed:
				p.UnchangedCount++
				continue
			default:
				p.ChangedCount++
			}
			writes = append(writes, row)
		}
		if rs.collect != nil {
			if err := rs.collect.page(ctx, tx, orgID, writes, states); err != nil {
				return err
			}
		}
		if err := tx.WriteHREmployees(ctx, writes, states); err != nil {
			return err
		}
		if err := tx.AddSyncRunWarnings(ctx, warns); err != nil {
			return err
		}
		if err := tx.InsertAPICalls(ctx, calls); err != nil {
			return err
		}
		written = len(writes)
		p.RowsWritten += int64(written)
		p.WarningCount = len(rs.warned) + countNew(rs.warned, warnedIDs)
		p.APICalls = rs.calls.count()
		p.HeartbeatAt = now
		if err := tx.UpdateSyncRunProgress(ctx, orgID, runID, p); err != nil {
			return err
		}
		prog = p
		return nil
	})
	if err != nil {
		rs.calls.putBack(calls)
		if len(pages) > 1 {
			return fmt.Errorf("save pages %d to %d: %w", prog.PagesFetched-len(pages)+1, prog.PagesFetched, err)
		}
		return fmt.Errorf("save page %d: %w", prog.PagesFetched, err)
	}
	rs.prog = prog
	for _, id := range ids {
		rs.seen[id] = struct{}{}
	}
	for _, id := range warnedIDs {
		rs.warned[id] = struct{}{}
	}
	rs.analyze(ctx, false)
	return nil
}

func countNew(set map[int64]struct{}, ids []int64) int {
	n := 0
	for _, id := range ids {
		if _, ok := set[id]; !ok {
			n++
		}
	}
	return n
}

func warningText(ws []hris.FieldWarning) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		parts = append(parts, w.String())
	}
	if len(parts) == 0 {
		return "no details"
	}
	return strings.Join(parts, "; ")
}

// markRemoved marks live mirror rows that this full sync did not see as
// removed, streaming the mirror's ids in batches.
func (rs *runState) markRemoved(ctx context.Context) error {
	st, orgID := rs.s.st, rs.run.OrgID
	var missing []int64
	live := 0
	err := st.EachLiveHREmployeeID(ctx, orgID, 5000, func(ids []int64) error {
		live += len(ids)
		for _, id := range ids {
			if _, ok := rs.seen[id]; !ok {
				missing = append(missing, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	if len(rs.seen) == 0 {
		return fmt.Errorf("the HR system returned no employees although %d are known; nothing was removed (check the credential's permissions)", live)
	}
	if rs.collect != nil {
		if err := rs.collect.removed(ctx, st, orgID, missing); err != nil {
			return err
		}
	}
	n, err := st.MarkHREmployeesRemoved(ctx, orgID, missing, rs.s.now(), rs.run.ID)
	if err != nil {
		return err
	}
	rs.prog.RemovedCount += int(n)
	rs.prog.RowsWritten += n
	return nil
}

// check finds the problems between records (duplicate emails, unknown
// supervisors, reporting cycles) with queries over the mirror, writes them
// to the employees whose check warnings changed, and records them on the
// run (a partial sync: only for the employees it fetched).
func (rs *runState) check(ctx context.Context) error {
	st, orgID, runID := rs.s.st, rs.run.OrgID, rs.run.ID
	desired := map[int64][]store.EmployeeWarning{}

	dups, err := st.DuplicateHREmails(ctx, orgID)
	if err != nil {
		return err
	}
	for i := 0; i < len(dups); {
		j := i
		for j < len(dups) && dups[j].Email == dups[i].Email {
			j++
		}
		for k := i; k < j; k++ {
			others := make([]string, 0, j-i-1)
			for m := i; m < j; m++ {
				if m != k {
					others = append(others, strconv.FormatInt(dups[m].PersonioID, 10))
				}
			}
			desired[dups[k].PersonioID] = append(desired[dups[k].PersonioID], store.EmployeeWarning{Code: WarnDuplicateEmail, Field: "email",
				Message: "The email address is also used by employee " + joinLimited(others, 5) + ": it cannot be used to link or invite."})
		}
		i = j
	}

	unknown, err := st.UnknownHRSupervisors(ctx, orgID)
	if err != nil {
		return err
	}
	for _, u := range unknown {
		desired[u.PersonioID] = append(desired[u.PersonioID], store.EmployeeWarning{Code: WarnUnknownSupervisor, Field: "supervisor",
			Message: fmt.Sprintf("The supervisor (employee %d) is not among the synced employees.", u.SupervisorID)})
	}

	edges := map[int64]int64{}
	if err := st.EachHRSupervisorEdge(ctx, orgID, func(e store.HRSupervisorEdge) error {
		edges[e.PersonioID] = e.SupervisorID
		return nil
	}); err != nil {
		return err
	}
	for id, cycle := range supervisorCycles(edges) {
		desired[id] = append(desired[id], store.EmployeeWarning{Code: WarnSupervisorCycle, Field: "supervisor",
			Message: "The reporting line forms a cycle: " + cycle + "."})
	}
	clear(edges)

	current, err := st.HRCheckWarnings(ctx, orgID)
	if err != nil {
		return err
	}
	updates := map[int64]string{}
	now := rs.s.now()
	var warns []store.SyncRunWarning
	for id, ws := range desired {
		b, err := json.Marshal(ws)
		if err != nil {
			return fmt.Errorf("encode check warnings: %w", err)
		}
		if current[id] != string(b) {
			updates[id] = string(b)
		}
		if _, fetched := rs.seen[id]; rs.full || fetched {
			warns = append(warns, runWarnings(orgID, runID, id, ws, now)...)
			rs.warned[id] = struct{}{}
		}
	}
	for id := range current {
		if _, ok := desired[id]; !ok {
			updates[id] = "[]"
		}
	}
	n, err := st.SetHRCheckWarnings(ctx, orgID, updates)
	if err != nil {
		return err
	}
	rs.prog.RowsWritten += n
	slices.SortFunc(warns, func(a, b store.SyncRunWarning) int { return cmp.Compare(a.PersonioID, b.PersonioID) })
	if err := st.AddSyncRunWarnings(ctx, warns); err != nil {
		return err
	}
	rs.prog.WarningCount = len(rs.warned)
	return nil
}

func joinLimited(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:n], ", ") + fmt.Sprintf(" and %d more", len(ids)-n)
}

// supervisorCycles returns, for every employee on a reporting cycle, the
// cycle as text ("1 → 2 → 1"). edges maps employee → supervisor.
func supervisorCycles(edges map[int64]int64) map[int64]string {
	const (
		unvisited = iota
		onPath
		done
	)
	state := make(map[int64]uint8, len(edges))
	out := map[int64]string{}
	var path []int64
	for start := range edges {
		if state[start] != unvisited {
			continue
		}
		path = path[:0]
		id := start
		for {
			st := state[id]
			if st == done {
				break
			}
			if st == onPath {
				cycle := slices.Clone(path[slices.Index(path, id):])
				// Start the text at the smallest id so that it does not
				// depend on where the walk entered the cycle.
				m := slices.Index(cycle, slices.Min(cycle))
				cycle = slices.Concat(cycle[m:], cycle[:m])
				names := make([]string, 0, len(cycle)+1)
				for _, c := range cycle {
					names = append(names, strconv.FormatInt(c, 10))
				}
				names = append(names, names[0])
				text := joinCycle(names)
				for _, c := range cycle {
					out[c] = text
				}
				break
			}
			state[id] = onPath
			path = append(path, id)
			next, ok := edges[id]
			if !ok {
				break
			}
			id = next
		}
		for _, p := range path {
			state[p] = done
		}
	}
	return out
}

func joinCycle(ids []string) string {
	if len(ids) > 12 {
		return strings.Join(ids[:10], " → ") + fmt.Sprintf(" → … (%d employees)", len(ids)-1)
	}
	return strings.Join(ids, " → ")
}
