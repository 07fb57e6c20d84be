package hrsync

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/dryrun"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// ErrStalePreview is returned by the apply of a preview when Personio's
// records or Roster's data changed since the preview was computed: nothing
// was applied.
var ErrStalePreview = errors.New("the preview is out of date")

// errPreviewDone ends the transaction of a preview (it is rolled back).
var errPreviewDone = errors.New("preview computed: roll back")

// maxPushItems bounds the pending pushes a preview lists.
const maxPushItems = 5000

// Preview and apply run in three steps:
//
//  1. fetch: the employees are fetched page by page. A preview stores every
//     record (sync_preview_records) and a fingerprint of them; an apply
//     only fingerprints what it fetches and refuses when the fingerprint
//     differs from the preview's (Personio changed).
//  2. in one database transaction, the stored records go through the very
//     code of a normal run (applyPage, removals, checks, the lifecycle of
//     linked users), with emails and the follow-up steps held back
//     (package dryrun). The collector records every change as an item.
//     A preview rolls the transaction back and keeps the items; an apply
//     commits only when its items equal the preview's (else Roster's data
//     changed, and it rolls back too).
//  3. an apply then sends the held-back emails, runs the follow-up steps
//     (pushes, bank details, health) and, for a sync of all areas, the
//     absence and time-tracking syncs.
//
// So what an apply does is, by construction, what its preview showed; and
// after an apply, a new preview of the same data is empty.

// staged runs a preview or the apply of one.
func (rs *runState) staged(ctx context.Context, req Request) error {
	st, orgID := rs.s.st, rs.run.OrgID
	if req.Preview {
		rs.previewOnly = true
		pv := &store.SyncPreview{OrgID: orgID, RunID: rs.run.ID, Area: rs.run.Area, Mode: rs.run.Mode, Trigger: rs.run.Trigger,
			Status: store.PreviewComputing, CreatedByID: req.StartedBy, CreatedAt: rs.s.now().UTC()}
		if err := st.CreateSyncPreview(ctx, pv); err != nil {
			return fmt.Errorf("record the preview: %w", err)
		}
		rs.pv = pv
	} else {
		// begin moved the preview from ready to applying with this run.
		pv, err := st.SyncPreview(ctx, orgID, req.ApplyPreview)
		if err != nil {
			return fmt.Errorf("preview %d: %w", req.ApplyPreview, err)
		}
		if pv.Status != store.PreviewApplying || pv.ApplyRunID == nil || *pv.ApplyRunID != rs.run.ID {
			return fmt.Errorf("preview %d is %s: only a ready preview can be applied", pv.ID, pv.Status)
		}
		rs.pv = pv
	}

	settings, err := st.SyncSettings(ctx, orgID)
	if err != nil {
		return fmt.Errorf("load sync settings: %w", err)
	}
	if rs.norm, err = newNormalizer(settings); err != nil {
		return err
	}
	provider, err := rs.s.providers(ctx, orgID, rs.calls.add)
	if err != nil {
		return fmt.Errorf("connect to the HR system: %w", err)
	}
	q := hris.EmployeeQuery{PageSize: PageSize}
	if !rs.full {
		if rs.pv.UpdatedSince != nil {
			since := *rs.pv.UpdatedSince
			q.UpdatedSince = &since
		} else {
			since := rs.s.now().Add(-time.Duration(max(settings.LookbackHours, 1)) * time.Hour).UTC()
			q.UpdatedSince = &since
			rs.pv.UpdatedSince = &since
		}
	}
	if err := rs.progress(ctx, PhaseFetching); err != nil {
		return err
	}
	prints, err := rs.fetchStaged(ctx, provider, q)
	if err != nil {
		return err
	}
	hash := fingerprint(prints)
	if rs.previewOnly {
		rs.pv.PersonioHash, rs.pv.Records = hash, len(prints)
	} else if hash != rs.pv.PersonioHash {
		return rs.stale(ctx, personioChanges(ctx, st, orgID, rs.pv.ID, prints))
	}
	clear(prints)

	items, effects, err := rs.applyInTx(ctx)
	if err != nil {
		return err
	}
	if rs.previewOnly {
		return rs.savePreview(ctx, items)
	}
	rs.committed = true
	// Committed: what was held back happens now.
	if errs := effects.Run(store.WithoutTx(ctx)); len(errs) > 0 {
		return fmt.Errorf("the changes were applied, but a step after them failed: %w", errors.Join(errs...))
	}
	if rs.run.Area == store.AreaAll {
		for _, a := range areaOrder {
			if rs.s.areas[a] != nil {
				if err := rs.area(ctx, a); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fetchStaged fetches every page; a preview stores the records. It returns
// each record's fingerprint line ("id:hash").
func (rs *runState) fetchStaged(ctx context.Context, provider hris.EmployeeReader, q hris.EmployeeQuery) ([]string, error) {
	st, orgID := rs.s.st, rs.run.OrgID
	var prints []string
	seen := map[int64]struct{}{}
	noID := int64(0)
	err := provider.ListEmployees(ctx, q, func(page []hris.Employee) error {
		recs := make([]store.SyncPreviewRecord, 0, len(page))
		for i := range page {
			e := rs.withoutSecrets(&page[i])
			b, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("encode employee %d: %w", e.ID, err)
			}
			key := e.ID
			if key == 0 {
				noID--
				key = noID // kept, so that the apply warns about it too
			} else if _, dup := seen[key]; dup {
				continue
			}
			seen[key] = struct{}{}
			sum := sha256.Sum256(b)
			prints = append(prints, strconv.FormatInt(key, 10)+":"+hex.EncodeToString(sum[:16]))
			if rs.previewOnly {
				recs = append(recs, store.SyncPreviewRecord{PreviewID: rs.pv.ID, PersonioID: key, OrgID: orgID, Payload: string(b)})
			}
		}
		rs.prog.PagesFetched++
		rs.prog.Processed += len(page)
		if err := st.AddSyncPreviewRecords(ctx, recs); err != nil {
			return fmt.Errorf("store the fetched records: %w", err)
		}
		return rs.progress(ctx, PhaseFetching)
	})
	if err != nil {
		return nil, fmt.Errorf("fetch employees: %w", err)
	}
	return prints, nil
}

// withoutSecrets returns e without the attributes the mirror never stores
// in plain text (bank details): the stored records and the fingerprint
// leave them out as the mirror does. Bank details are imported by their own
// step after an apply's commit.
func (rs *runState) withoutSecrets(e *hris.Employee) *hris.Employee {
	drop := false
	for k, v := range e.Custom {
		if rs.norm.secret(k, v) {
			drop = true
			break
		}
	}
	if !drop {
		return e
	}
	c := *e
	c.Custom = make(map[string]hris.AttributeValue, len(e.Custom))
	for k, v := range e.Custom {
		if !rs.norm.secret(k, v) {
			c.Custom[k] = v
		}
	}
	return &c
}

// fingerprint hashes the sorted fingerprint lines.
func fingerprint(lines []string) string {
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// personioChanges describes how the records fetched now (prints) differ
// from the preview's stored ones.
func personioChanges(ctx context.Context, st *store.Store, orgID, previewID int64, prints []string) string {
	now := make(map[string]string, len(prints))
	for _, p := range prints {
		id, h, _ := strings.Cut(p, ":")
		now[id] = h
	}
	var changed, added, gone []string
	err := st.EachSyncPreviewRecord(ctx, orgID, previewID, 1000, func(recs []store.SyncPreviewRecord) error {
		for _, r := range recs {
			id := strconv.FormatInt(r.PersonioID, 10)
			sum := sha256.Sum256([]byte(r.Payload))
			h, ok := now[id]
			switch {
			case !ok:
				gone = append(gone, id)
			case h != hex.EncodeToString(sum[:16]):
				changed = append(changed, id)
			}
			delete(now, id)
		}
		return nil
	})
	if err != nil {
		return "Personio's employees changed since the preview."
	}
	for id := range now {
		added = append(added, id)
	}
	slices.Sort(added)
	parts := []string{}
	if len(changed) > 0 {
		parts = append(parts, fmt.Sprintf("%d employee(s) changed (%s)", len(changed), joinLimited(changed, 5)))
	}
	if len(added) > 0 {
		parts = append(parts, fmt.Sprintf("%d new (%s)", len(added), joinLimited(added, 5)))
	}
	if len(gone) > 0 {
		parts = append(parts, fmt.Sprintf("%d no longer listed (%s)", len(gone), joinLimited(gone, 5)))
	}
	if len(parts) == 0 {
		return "Personio's employees changed since the preview."
	}
	return "In Personio, " + strings.Join(parts, ", ") + " since the preview."
}

// stale marks the preview stale and fails the run: nothing was applied.
func (rs *runState) stale(ctx context.Context, why string) error {
	note := why + " Nothing was applied: run a new preview."
	if _, err := rs.s.st.UpdateSyncPreview(ctx, rs.run.OrgID, rs.pv.ID, []string{store.PreviewApplying},
		map[string]any{"status": store.PreviewStale, "note": note}); err != nil {
		return fmt.Errorf("mark preview %d stale: %w", rs.pv.ID, err)
	}
	rs.pv.Status = store.PreviewStale
	return fmt.Errorf("%w: %s", ErrStalePreview, note)
}

// applyInTx runs the stored records through the sync and the lifecycle in
// one transaction and collects the diff. A preview always rolls back; an
// apply commits when the diff equals the preview's.
func (rs *runState) applyInTx(ctx context.Context) ([]store.SyncPreviewItem, *dryrun.Effects, error) {
	st, orgID := rs.s.st, rs.run.OrgID
	var items []store.SyncPreviewItem
	var warns []store.SyncRunWarning
	var effects *dryrun.Effects
	var staleWhy string
	err := st.Tx(ctx, func(tx *store.Store) error {
		tctx := store.WithTx(ctx, tx)
		tctx, effects = dryrun.With(tctx)
		snap, err := tx.TakePreviewSnapshot(tctx, orgID)
		if err != nil {
			return fmt.Errorf("read the state before the preview: %w", err)
		}
		rs.collect = &collector{}
		defer func() { rs.collect = nil }()
		rs.seen = map[int64]struct{}{}
		rs.prog.PagesFetched, rs.prog.Processed = 0, 0
		err = tx.EachSyncPreviewRecord(tctx, orgID, rs.pv.ID, PageSize, func(recs []store.SyncPreviewRecord) error {
			page := make([]hris.Employee, len(recs))
			for i, r := range recs {
				if err := json.Unmarshal([]byte(r.Payload), &page[i]); err != nil {
					return fmt.Errorf("decode stored employee %d: %w", r.PersonioID, err)
				}
			}
			return rs.applyPage(tctx, page)
		})
		if err != nil {
			return err
		}
		if rs.full {
			if err := rs.progress(tctx, PhaseRemovals); err != nil {
				return err
			}
			if err := rs.markRemoved(tctx); err != nil {
				return err
			}
		}
		if err := rs.progress(tctx, PhaseChecks); err != nil {
			return err
		}
		if err := rs.check(tctx); err != nil {
			return err
		}
		if rs.s.afterRun != nil {
			if _, err := rs.adoptUnfinished(tctx); err != nil {
				return err
			}
			if err := rs.s.afterRun(tctx, rs.run); err != nil {
				return fmt.Errorf("apply changes to linked users: %w", err)
			}
		}
		items, err = rs.collect.finish(tctx, tx, orgID, rs.run.ID, snap, effects)
		if err != nil {
			return err
		}
		if rs.previewOnly {
			// The records' warnings stay with the preview's run.
			if warns, _, err = tx.SyncRunWarnings(tctx, orgID, rs.run.ID, 1<<20, 0); err != nil {
				return err
			}
			return errPreviewDone
		}
		if h := diffHash(items); h != rs.pv.DiffHash {
			staleWhy = rosterChanges(ctx, st, orgID, rs.pv.ID, items)
			return ErrStalePreview
		}
		return nil
	})
	switch {
	case errors.Is(err, errPreviewDone):
		// Rolled back, as a preview must be. The counts of the run are
		// what it would do.
	case errors.Is(err, ErrStalePreview):
		return nil, nil, rs.stale(ctx, staleWhy)
	case err != nil:
		return nil, nil, err
	}
	if rs.previewOnly {
		// Everything after the fetch was rolled back: the run's progress
		// too. Save what the preview counted (it wrote nothing).
		rs.prog.RowsWritten = 0
		for i := range warns {
			warns[i].ID = 0
		}
		if err := st.AddSyncRunWarnings(ctx, warns); err != nil {
			return nil, nil, err
		}
		if err := st.UpdateSyncRunProgress(ctx, orgID, rs.run.ID, rs.prog); err != nil {
			return nil, nil, err
		}
	}
	return items, effects, nil
}

// savePreview stores the items and makes the preview ready.
func (rs *runState) savePreview(ctx context.Context, items []store.SyncPreviewItem) error {
	st, orgID := rs.s.st, rs.run.OrgID
	pushes, err := st.DuePushes(ctx, orgID, maxPushItems)
	if err != nil {
		return fmt.Errorf("list pending pushes: %w", err)
	}
	var pushItems []store.SyncPreviewItem
	for _, p := range pushes {
		it := store.SyncPreviewItem{Kind: store.PreviewTimePush, UserID: &p.UserID, PersonioID: p.PersonioID, Name: p.UserName, Email: p.UserEmail,
			Field: p.Op, NewValue: p.From}
		if p.Kind == store.OutboxAbsence {
			it.Kind = store.PreviewAbsencePush
			if p.To != p.From {
				it.NewValue = p.From + " – " + p.To
			}
		}
		pushItems = append(pushItems, it)
	}
	// The pushes follow the diff items; they are not part of the diff hash
	// (the outbox pushes them after the apply's commit).
	all := append(slices.Clone(items), pushItems...)
	if err := st.ReplaceSyncPreviewItems(ctx, orgID, rs.pv.ID, all); err != nil {
		return fmt.Errorf("save the preview: %w", err)
	}
	counts := map[string]int{}
	for _, it := range all {
		counts[it.Kind]++
	}
	b, _ := json.Marshal(counts)
	cols := map[string]any{"status": store.PreviewReady, "personio_hash": rs.pv.PersonioHash, "diff_hash": diffHash(items),
		"records": rs.pv.Records, "counts": string(b), "updated_since": rs.pv.UpdatedSince}
	if _, err := st.UpdateSyncPreview(ctx, orgID, rs.pv.ID, []string{store.PreviewComputing}, cols); err != nil {
		return fmt.Errorf("save the preview: %w", err)
	}
	rs.pv.Status = store.PreviewReady
	// One preview waits at a time: older ones are out of date anyway.
	if _, err := st.SupersedeSyncPreviews(ctx, orgID, rs.pv.ID, rs.s.now()); err != nil {
		return fmt.Errorf("discard older previews: %w", err)
	}
	rs.s.log.LogAttrs(ctx, slog.LevelInfo, "hr sync preview computed", slog.Int64("org_id", orgID), slog.Int64("run_id", rs.run.ID),
		slog.Int64("preview_id", rs.pv.ID), slog.Int("items", len(items)+len(pushItems)))
	return nil
}

// closePreview records how the run ended on its preview: an applied
// preview gives up its stored records; a failure fails a preview that was
// computing and returns one that was applying to ready (it was not
// applied and can be tried again), unless it was found stale.
func (rs *runState) closePreview(ctx context.Context, runErr error) error {
	st, orgID, id := rs.s.st, rs.run.OrgID, rs.pv.ID
	switch {
	case runErr == nil && !rs.previewOnly:
		if _, err := st.UpdateSyncPreview(ctx, orgID, id, []string{store.PreviewApplying}, map[string]any{"status": store.PreviewApplied}); err != nil {
			return err
		}
		return st.DeleteSyncPreviewRecords(ctx, orgID, id)
	case runErr != nil && rs.previewOnly:
		_, err := st.UpdateSyncPreview(ctx, orgID, id, []string{store.PreviewComputing}, map[string]any{"status": store.PreviewFailed, "note": rs.failureText(runErr)})
		if err == nil {
			err = st.DeleteSyncPreviewRecords(ctx, orgID, id)
		}
		return err
	case runErr != nil && !errors.Is(runErr, ErrStalePreview):
		if rs.committed {
			// The changes were committed; a later step failed.
			_, err := st.UpdateSyncPreview(ctx, orgID, id, []string{store.PreviewApplying},
				map[string]any{"status": store.PreviewApplied, "note": rs.failureText(runErr)})
			if err == nil {
				err = st.DeleteSyncPreviewRecords(ctx, orgID, id)
			}
			return err
		}
		_, err := st.UpdateSyncPreview(ctx, orgID, id, []string{store.PreviewApplying},
			map[string]any{"status": store.PreviewReady, "apply_run_id": nil, "decided_by_id": nil, "decided_at": nil, "note": "An apply failed: " + rs.failureText(runErr)})
		return err
	}
	return nil
}

// diffHash fingerprints the diff items (not the pending pushes, and not
// user ids: users invited by a preview get other ids than in its apply).
func diffHash(items []store.SyncPreviewItem) string {
	lines := make([]string, 0, len(items))
	for _, it := range items {
		lines = append(lines, itemKey(it))
	}
	return fingerprint(lines)
}

func itemKey(it store.SyncPreviewItem) string {
	pid := ""
	if it.PersonioID != nil {
		pid = strconv.FormatInt(*it.PersonioID, 10)
	}
	return strings.Join([]string{it.Kind, pid, it.Email, it.Name, it.Field, it.OldValue, it.NewValue, it.Detail}, "\x1f")
}

// rosterChanges describes how the diff computed now differs from the
// preview's.
func rosterChanges(ctx context.Context, st *store.Store, orgID, previewID int64, now []store.SyncPreviewItem) string {
	before, err := st.AllSyncPreviewItems(ctx, orgID, previewID)
	if err != nil {
		return "Roster's data changed since the preview."
	}
	keys := map[string]int{}
	for _, it := range before {
		if it.Kind != store.PreviewAbsencePush && it.Kind != store.PreviewTimePush {
			keys[itemKey(it)]++
		}
	}
	var extra []string
	for _, it := range now {
		k := itemKey(it)
		if keys[k] > 0 {
			keys[k]--
			continue
		}
		extra = append(extra, describeItem(it))
	}
	missing := 0
	for _, n := range keys {
		missing += n
	}
	msg := fmt.Sprintf("Roster's data changed since the preview (a user, team or mapping was edited, or time passed a date): the sync would now make %d change(s) the preview did not show and skip %d it showed", len(extra), missing)
	if len(extra) > 0 {
		msg += ", e.g. " + joinLimited(extra, 3)
	}
	return msg + "."
}

func describeItem(it store.SyncPreviewItem) string {
	who := cmp.Or(it.Name, it.Email)
	if it.Field != "" {
		return fmt.Sprintf("%s of %s: %q → %q", it.Field, who, it.OldValue, it.NewValue)
	}
	return strings.ReplaceAll(it.Kind, "_", " ") + " " + who
}

// collector gathers the diff while a preview's transaction is open.
type collector struct {
	items []store.SyncPreviewItem
}

// mirrorFields are the mirror's fields a preview compares, with a label.
var mirrorFields = []struct {
	label string
	get   func(*store.HREmployee) string
}{
	{"name", func(e *store.HREmployee) string { return strings.TrimSpace(e.FirstName + " " + e.LastName) }},
	{"preferred name", func(e *store.HREmployee) string { return e.PreferredName }},
	{"email", func(e *store.HREmployee) string { return e.Email }},
	{"status", func(e *store.HREmployee) string { return e.Status }},
	{"position", func(e *store.HREmployee) string { return e.Position }},
	{"employment type", func(e *store.HREmployee) string { return e.EmploymentType }},
	{"department", func(e *store.HREmployee) string { return e.DepartmentName }},
	{"team", func(e *store.HREmployee) string { return e.TeamName }},
	{"office", func(e *store.HREmployee) string { return e.OfficeName }},
	{"subcompany", func(e *store.HREmployee) string { return e.SubcompanyName }},
	{"cost centers", func(e *store.HREmployee) string {
		return strings.Trim(strings.ReplaceAll(e.CostCenterNames, "|", ", "), ", ")
	}},
	{"supervisor", func(e *store.HREmployee) string {
		if e.SupervisorID == nil {
			return ""
		}
		return strconv.FormatInt(*e.SupervisorID, 10)
	}},
	{"hire date", func(e *store.HREmployee) string { return e.HireDate }},
	{"last working day", func(e *store.HREmployee) string { return e.LastWorkingDay }},
	{"termination date", func(e *store.HREmployee) string { return e.TerminationDate }},
	{"contract end", func(e *store.HREmployee) string { return e.ContractEndDate }},
	{"weekly hours", func(e *store.HREmployee) string { return strconv.FormatFloat(e.WeeklyHours, 'f', -1, 64) }},
	{"picture", func(e *store.HREmployee) string { return e.ProfilePictureURL }},
	{"in scope", func(e *store.HREmployee) string {
		if e.InScope {
			return "yes"
		}
		return "no (" + e.ScopeReason + ")"
	}},
}

func empName(e *store.HREmployee) string {
	if e.PreferredName != "" {
		return strings.TrimSpace(e.PreferredName + " " + e.LastName)
	}
	return strings.TrimSpace(e.FirstName + " " + e.LastName)
}

// page records the mirror rows a page writes: new ones, and the fields of
// changed ones.
func (c *collector) page(ctx context.Context, tx *store.Store, orgID int64, writes []store.HREmployee, states map[int64]store.HREmployeeState) error {
	var changed []int64
	for i := range writes {
		w := &writes[i]
		if _, ok := states[w.PersonioID]; ok {
			changed = append(changed, w.PersonioID)
			continue
		}
		pid := w.PersonioID
		c.items = append(c.items, store.SyncPreviewItem{Kind: store.PreviewEmployeeNew, PersonioID: &pid, Name: empName(w), Email: w.Email,
			Detail: newDetail(w)})
	}
	if len(changed) == 0 {
		return nil
	}
	old, err := tx.HREmployeesByPersonioID(ctx, orgID, changed)
	if err != nil {
		return fmt.Errorf("load the changed employees: %w", err)
	}
	for i := range writes {
		w := &writes[i]
		o, ok := old[w.PersonioID]
		if !ok {
			continue
		}
		pid := w.PersonioID
		n := 0
		if o.RemovedAt != nil {
			c.items = append(c.items, store.SyncPreviewItem{Kind: store.PreviewEmployeeChanged, PersonioID: &pid, Name: empName(w), Email: w.Email,
				Field: "listed", OldValue: "removed", NewValue: "listed again"})
			n++
		}
		for _, f := range mirrorFields {
			a, b := f.get(&o), f.get(w)
			if a != b {
				c.items = append(c.items, store.SyncPreviewItem{Kind: store.PreviewEmployeeChanged, PersonioID: &pid, Name: empName(w), Email: w.Email,
					Field: f.label, OldValue: a, NewValue: b})
				n++
			}
		}
		if n == 0 {
			// Only attributes Roster does not show (custom ones, warnings).
			c.items = append(c.items, store.SyncPreviewItem{Kind: store.PreviewEmployeeChanged, PersonioID: &pid, Name: empName(w), Email: w.Email,
				Field: "other attributes", Detail: "custom attributes or record warnings"})
		}
	}
	return nil
}

func newDetail(e *store.HREmployee) string {
	parts := []string{}
	for _, p := range []string{e.Position, e.TeamName, e.Status} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if !e.InScope {
		parts = append(parts, "out of scope ("+e.ScopeReason+")")
	}
	return strings.Join(parts, " · ")
}

// removed records the employees a full sync marks removed.
func (c *collector) removed(ctx context.Context, st *store.Store, orgID int64, ids []int64) error {
	rows, err := st.HREmployeesByPersonioID(ctx, orgID, ids)
	if err != nil {
		return fmt.Errorf("load the removed employees: %w", err)
	}
	for _, id := range ids {
		pid := id
		r := rows[id]
		c.items = append(c.items, store.SyncPreviewItem{Kind: store.PreviewEmployeeRemoved, PersonioID: &pid, Name: empName(&r), Email: r.Email,
			Detail: "no longer listed by Personio"})
	}
	return nil
}

// finish adds what the lifecycle did to users (lineage of the run, new
// invitations, deactivation schedules, safeguard holds, held-back emails)
// and returns every item in a stable order.
func (c *collector) finish(ctx context.Context, tx *store.Store, orgID, runID int64, snap *store.PreviewSnapshot, effects *dryrun.Effects) ([]store.SyncPreviewItem, error) {
	lin, err := tx.LineageOfRun(ctx, orgID, runID)
	if err != nil {
		return nil, fmt.Errorf("read the users' changes: %w", err)
	}
	for _, l := range lin {
		uid := l.UserID
		it := store.SyncPreviewItem{UserID: &uid, PersonioID: l.PersonioID, Name: l.UserName, Email: l.UserEmail,
			Field: l.Field, OldValue: l.OldValue, NewValue: l.NewValue}
		switch l.Field {
		case store.LineageTeam:
			it.Kind = store.PreviewTeamMove
		case store.LineageManager:
			it.Kind = store.PreviewManagerChange
		case store.LineageRole:
			it.Kind = store.PreviewRoleChange
		case store.LineageStatus:
			it.Kind = store.PreviewDeactivation
			if l.NewValue == store.StatusActive {
				it.Kind = store.PreviewReactivation
			}
		default:
			it.Kind = store.PreviewUserField
		}
		c.items = append(c.items, it)
	}
	invited, err := tx.InvitationsAfter(ctx, orgID, snap.MaxInvitation)
	if err != nil {
		return nil, fmt.Errorf("read the invitations: %w", err)
	}
	for _, inv := range invited {
		detail := "invitation email"
		if inv.AccessFrom != "" {
			detail += "; login from " + inv.AccessFrom
		}
		c.items = append(c.items, store.SyncPreviewItem{Kind: store.PreviewInvite, PersonioID: inv.PersonioID, Name: inv.Name, Email: inv.Email, Detail: detail})
	}
	after, err := tx.TakePreviewSnapshot(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("read the state after the preview: %w", err)
	}
	var ids []int64
	for id, at := range after.Scheduled {
		if snap.Scheduled[id] != at {
			ids = append(ids, id)
		}
	}
	for id := range snap.Scheduled {
		if _, ok := after.Scheduled[id]; !ok {
			ids = append(ids, id)
		}
	}
	users, err := tx.UsersBrief(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		u, uid := users[id], id
		c.items = append(c.items, store.SyncPreviewItem{Kind: store.PreviewScheduled, UserID: &uid, PersonioID: u.PersonioID, Name: u.Name, Email: u.Email,
			Field: "deactivation", OldValue: snap.Scheduled[id], NewValue: after.Scheduled[id]})
	}
	holds, err := tx.HoldsAfter(ctx, orgID, snap.MaxHold)
	if err != nil {
		return nil, err
	}
	for _, h := range holds {
		c.items = append(c.items, store.SyncPreviewItem{Kind: store.PreviewHold,
			Detail: fmt.Sprintf("The safeguard would hold %d deactivation(s) of %d linked users for an admin to confirm; they are not applied.", h.Affected, h.LinkedTotal)})
	}
	for _, m := range effects.Mails() {
		c.items = append(c.items, store.SyncPreviewItem{Kind: store.PreviewEmail, Email: m.To, Field: "subject", NewValue: m.Subject})
	}
	items := c.items
	c.items = nil
	for i := range items {
		if items[i].UserID != nil && *items[i].UserID > snap.MaxUser {
			// A user the sync creates (an invitation): its id is not the
			// one the apply will give it.
			items[i].UserID = nil
		}
	}
	order := map[string]int{}
	for i, k := range store.PreviewKinds {
		order[k] = i
	}
	slices.SortStableFunc(items, func(a, b store.SyncPreviewItem) int {
		if d := cmp.Compare(order[a.Kind], order[b.Kind]); d != 0 {
			return d
		}
		return cmp.Compare(itemKey(a), itemKey(b))
	})
	return items, nil
}

// prepare completes a request to apply a preview with the preview's area,
// mode and trigger, and refuses a preview that is not ready.
func (s *Service) prepare(ctx context.Context, orgID int64, req *Request) error {
	if req.ApplyPreview == 0 {
		return nil
	}
	pv, err := s.st.SyncPreview(ctx, orgID, req.ApplyPreview)
	if err != nil {
		return err
	}
	if pv.Status != store.PreviewReady {
		return roster.Problems{"preview": fmt.Sprintf("This preview is %s: only a ready preview can be applied.", pv.Status)}.Err()
	}
	req.Area, req.Mode, req.Trigger, req.Preview = pv.Area, pv.Mode, pv.Trigger, false
	return nil
}

// Preview returns a preview of the organisation; store.ErrNotFound if
// unknown.
func (s *Service) Preview(ctx context.Context, orgID, id int64) (*store.SyncPreview, error) {
	return s.st.SyncPreview(ctx, orgID, id)
}

// PreviewOfRun returns the preview a run computed or applied.
func (s *Service) PreviewOfRun(ctx context.Context, orgID, runID int64) (*store.SyncPreview, error) {
	return s.st.SyncPreviewOfRun(ctx, orgID, runID)
}

// PendingPreview returns the newest ready preview, or store.ErrNotFound.
func (s *Service) PendingPreview(ctx context.Context, orgID int64) (*store.SyncPreview, error) {
	return s.st.PendingSyncPreview(ctx, orgID)
}

// PreviewItems returns a page of a preview's items and how many match.
func (s *Service) PreviewItems(ctx context.Context, orgID, id int64, f store.PreviewItemFilter) ([]store.SyncPreviewItem, int64, error) {
	return s.st.SyncPreviewItems(ctx, orgID, id, f)
}

// AllPreviewItems returns every item of a preview.
func (s *Service) AllPreviewItems(ctx context.Context, orgID, id int64) ([]store.SyncPreviewItem, error) {
	return s.st.AllSyncPreviewItems(ctx, orgID, id)
}

// DiscardPreview discards a ready preview (its stored records are
// dropped); it reports false when the preview was not ready.
func (s *Service) DiscardPreview(ctx context.Context, orgID, id int64, by *int64) (bool, error) {
	ok, err := s.st.UpdateSyncPreview(ctx, orgID, id, []string{store.PreviewReady},
		map[string]any{"status": store.PreviewDiscarded, "decided_by_id": by, "decided_at": s.now().UTC()})
	if err != nil || !ok {
		return ok, err
	}
	return true, s.st.DeleteSyncPreviewRecords(ctx, orgID, id)
}

// claimPreview moves the preview of an apply from ready to applying with
// the run (at the run's start, so that a page shows it at once); false
// when it was not ready any more (applied or discarded meanwhile).
func (s *Service) claimPreview(ctx context.Context, run *store.SyncRun, req Request) (bool, error) {
	return s.st.UpdateSyncPreview(ctx, run.OrgID, req.ApplyPreview, []string{store.PreviewReady},
		map[string]any{"status": store.PreviewApplying, "apply_run_id": run.ID, "decided_by_id": req.StartedBy, "decided_at": s.now().UTC(), "note": ""})
}
