package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CloseAbandonedSyncRuns marks the organisation's runs that are still
// "running" but whose lease expired before expiredBefore (or that hold no
// lease) as failed at now (abandonedRunError): their Roster process ended
// without finishing them. The next run that takes the lease over does the
// same; this closes them without one, so the HR tab stops showing them in
// progress. Callers pass a cutoff a whole lease TTL in the past, so a live
// run whose heartbeats are merely late is left alone; should it be closed
// anyway, its own finish still records its real outcome.
// It returns the number of runs closed.
func (s *Store) CloseAbandonedSyncRuns(ctx context.Context, orgID int64, expiredBefore, now time.Time) (int64, error) {
	abandoned := func() *gorm.DB {
		live := s.ctx(ctx).Model(&SyncLease{}).Select("run_id").Where("org_id = ? AND expires_at >= ?", orgID, expiredBefore.UTC())
		return s.ctx(ctx).Model(&SyncRun{}).Where("org_id = ? AND status = ? AND id NOT IN (?)", orgID, RunRunning, live)
	}
	// Read first: the progress poll calls this every second, and an UPDATE
	// would take SQLite's write lock even when it changes nothing.
	var n int64
	if err := abandoned().Count(&n).Error; err != nil || n == 0 {
		if err != nil {
			return 0, fmt.Errorf("find abandoned sync runs: %w", err)
		}
		return 0, nil
	}
	res := abandoned().Updates(map[string]any{"status": RunFailed, "error": abandonedRunError, "finished_at": now.UTC()})
	if res.Error != nil {
		return 0, fmt.Errorf("close abandoned sync runs: %w", res.Error)
	}
	return res.RowsAffected, nil
}
