package hrsync

import (
	"context"
	"errors"
	"fmt"

	"github.com/rosterhq/roster/internal/store"
)

// adoptBatch is how many adopted rows are written per upsert.
const adoptBatch = 500

// adoptUnfinished stamps the mirror rows last changed by employee runs that
// did not succeed (since the latest one that did) with this run's id. Such
// a run saved some pages, then failed before AfterRun applied them to the
// linked users; the next run finds those rows up to date and would not
// write them, so without this their changes would never reach the users.
// It returns the number of rows adopted.
func (rs *runState) adoptUnfinished(ctx context.Context) (int, error) {
	st, orgID, runID := rs.s.st, rs.run.OrgID, rs.run.ID
	var lastOK int64
	switch ok, err := st.LastSuccessfulSyncRun(ctx, orgID, store.AreaEmployees); {
	case err == nil:
		lastOK = ok.ID
	case !errors.Is(err, store.ErrNotFound):
		return 0, fmt.Errorf("find the last successful run: %w", err)
	}
	// Most runs follow a successful one: nothing to adopt.
	const recent = 20
	runs, err := st.ListSyncRuns(ctx, orgID, recent)
	if err != nil {
		return 0, fmt.Errorf("list runs: %w", err)
	}
	unfinished := len(runs) == recent && runs[recent-1].ID > lastOK // older runs not listed
	for _, r := range runs {
		if r.ID > lastOK && r.ID != runID && r.Status != store.RunSucceeded && !r.AppliedNothing() && (r.Area == store.AreaEmployees || r.Area == store.AreaAll) {
			unfinished = true
		}
	}
	if !unfinished {
		return 0, nil
	}
	var rows []store.HREmployee
	err = st.EachHREmployee(ctx, orgID, store.HREmployeeFilter{IncludeRemoved: true}, func(h *store.HREmployee) error {
		if h.LastRunID > lastOK && h.LastRunID != runID {
			row := *h
			row.LastRunID = runID
			rows = append(rows, row)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("find rows of unfinished runs: %w", err)
	}
	for i := 0; i < len(rows); i += adoptBatch {
		if err := st.UpsertHREmployees(ctx, rows[i:min(i+adoptBatch, len(rows))]); err != nil {
			return 0, fmt.Errorf("adopt rows of unfinished runs: %w", err)
		}
	}
	return len(rows), nil
}
