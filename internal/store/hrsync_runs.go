package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Sync areas.
const (
	AreaEmployees    = "employees"
	AreaAbsences     = "absences"
	AreaTimeTracking = "timetracking"
	AreaAll          = "all"
)

// Sync modes.
const (
	ModeFull    = "full"
	ModePartial = "partial"
)

// Sync triggers.
const (
	TriggerSchedule    = "schedule"
	TriggerManual      = "manual"
	TriggerFirstImport = "first_import"
	TriggerCLI         = "cli"
)

// Sync run statuses.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	// RunPreviewed is a preview (dry run) that finished: it computed what
	// a sync would change and applied nothing.
	RunPreviewed = "previewed"
	// RunRefused is the apply of a preview that refused to write because
	// Personio or Roster changed since the preview: nothing was applied.
	RunRefused = "refused"
)

// SyncRun is one execution of a sync (employees, absences, ...). While it
// runs, the engine updates its progress (phase, pages, processed, counts)
// after every page, so the UI can poll it.
type SyncRun struct {
	ID             int64 `gorm:"primaryKey"`
	OrgID          int64
	Area           string
	Mode           string
	Trigger        string
	Status         string
	Phase          string
	PagesFetched   int
	Processed      int
	NewCount       int
	ChangedCount   int
	UnchangedCount int
	RemovedCount   int
	WarningCount   int
	ErrorCount     int
	// UsersUpdated counts linked users the run changed; DeactivatedCount
	// users it deactivated (or locked).
	UsersUpdated     int
	DeactivatedCount int
	// RowsWritten counts mirror rows inserted or updated by the run (zero
	// for a run that found nothing new).
	RowsWritten int64
	APICalls    int `gorm:"column:api_calls"`
	StartedAt   time.Time
	FinishedAt  *time.Time
	DurationMS  int64 `gorm:"column:duration_ms"`
	Error       string
	StartedByID *int64
	HeartbeatAt time.Time
}

// AppliedNothing reports a run that by design wrote nothing: a preview, or
// the apply of one refused as out of date. Health, the dashboard and the
// adoption of unfinished runs leave such runs out.
func (r *SyncRun) AppliedNothing() bool { return r.Status == RunPreviewed || r.Status == RunRefused }

// Running reports whether the run has not finished.
func (r *SyncRun) Running() bool { return r.Status == RunRunning }

// Duration is the run's wall time (so far, for a running run: until its
// last heartbeat).
func (r *SyncRun) Duration() time.Duration {
	if r.FinishedAt != nil {
		return r.FinishedAt.Sub(r.StartedAt)
	}
	return r.HeartbeatAt.Sub(r.StartedAt)
}

// SyncRunWarning is one problem with one record found by a run. A record
// has at most one warning per code and run.
type SyncRunWarning struct {
	ID         int64 `gorm:"primaryKey"`
	RunID      int64
	OrgID      int64
	PersonioID int64
	Code       string
	Message    string
	CreatedAt  time.Time
}

// SyncRunProgress is the mutable part of a run, written after every page.
type SyncRunProgress struct {
	Phase          string
	PagesFetched   int
	Processed      int
	NewCount       int
	ChangedCount   int
	UnchangedCount int
	RemovedCount   int
	WarningCount   int
	ErrorCount     int
	RowsWritten    int64
	APICalls       int
	HeartbeatAt    time.Time
}

func (p SyncRunProgress) columns() map[string]any {
	return map[string]any{
		"phase": p.Phase, "pages_fetched": p.PagesFetched, "processed": p.Processed,
		"new_count": p.NewCount, "changed_count": p.ChangedCount, "unchanged_count": p.UnchangedCount,
		"removed_count": p.RemovedCount, "warning_count": p.WarningCount, "error_count": p.ErrorCount,
		"rows_written": p.RowsWritten, "api_calls": p.APICalls, "heartbeat_at": p.HeartbeatAt.UTC(),
	}
}

// UpdateSyncRunProgress writes the progress of a running run.
func (s *Store) UpdateSyncRunProgress(ctx context.Context, orgID, runID int64, p SyncRunProgress) error {
	err := s.ctx(ctx).Model(&SyncRun{}).Where("org_id = ? AND id = ? AND status = ?", orgID, runID, RunRunning).
		Updates(p.columns()).Error
	if err != nil {
		return fmt.Errorf("update sync run %d: %w", runID, err)
	}
	return nil
}

// FinishSyncRun records the final progress and outcome of a run: status
// succeeded when errText is empty, else failed.
func (s *Store) FinishSyncRun(ctx context.Context, orgID, runID int64, p SyncRunProgress, finishedAt time.Time, errText string) error {
	status := RunSucceeded
	if errText != "" {
		status = RunFailed
	}
	return s.FinishSyncRunAs(ctx, orgID, runID, p, finishedAt, status, errText)
}

// FinishSyncRunAs records the final progress and the given status.
func (s *Store) FinishSyncRunAs(ctx context.Context, orgID, runID int64, p SyncRunProgress, finishedAt time.Time, status, errText string) error {
	cols := p.columns()
	var started time.Time
	err := s.ctx(ctx).Model(&SyncRun{}).Where("org_id = ? AND id = ?", orgID, runID).Select("started_at").Row().Scan(&started)
	if err != nil {
		return fmt.Errorf("load sync run %d: %w", runID, err)
	}
	cols["status"] = status
	cols["error"] = errText
	cols["finished_at"] = finishedAt.UTC()
	cols["duration_ms"] = max(finishedAt.Sub(started).Milliseconds(), 0)
	if err := s.ctx(ctx).Model(&SyncRun{}).Where("org_id = ? AND id = ?", orgID, runID).Updates(cols).Error; err != nil {
		return fmt.Errorf("finish sync run %d: %w", runID, err)
	}
	return nil
}

// SyncRun loads one run of the organisation.
func (s *Store) SyncRun(ctx context.Context, orgID, runID int64) (*SyncRun, error) {
	var r SyncRun
	err := s.ctx(ctx).Where("org_id = ? AND id = ?", orgID, runID).First(&r).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// ListSyncRuns returns the organisation's latest runs, newest first.
func (s *Store) ListSyncRuns(ctx context.Context, orgID int64, limit int) ([]SyncRun, error) {
	if limit <= 0 {
		limit = 50
	}
	var rs []SyncRun
	err := s.ctx(ctx).Where("org_id = ?", orgID).Order("started_at DESC, id DESC").Limit(limit).Find(&rs).Error
	return rs, err
}

// LastSuccessfulSyncRun returns the latest succeeded run that covered the
// area (a run of that area or of "all"; "" for any area); ErrNotFound when
// there is none.
func (s *Store) LastSuccessfulSyncRun(ctx context.Context, orgID int64, area string) (*SyncRun, error) {
	q := s.ctx(ctx).Where("org_id = ? AND status = ?", orgID, RunSucceeded)
	if area != "" {
		q = q.Where("area IN ?", []string{area, AreaAll})
	}
	var r SyncRun
	if err := q.Order("finished_at DESC, id DESC").First(&r).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// AddSyncRunWarnings records warnings of a run; a warning already recorded
// for the same run, record and code is ignored.
func (s *Store) AddSyncRunWarnings(ctx context.Context, ws []SyncRunWarning) error {
	if len(ws) == 0 {
		return nil
	}
	err := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(ws, 500).Error
	if err != nil {
		return fmt.Errorf("add sync run warnings: %w", err)
	}
	return nil
}

// SyncRunWarnings returns a page of a run's warnings ordered by record
// (limit ≤ 0: all) and their total.
func (s *Store) SyncRunWarnings(ctx context.Context, orgID, runID int64, limit, offset int) ([]SyncRunWarning, int64, error) {
	q := s.ctx(ctx).Model(&SyncRunWarning{}).Where("org_id = ? AND run_id = ?", orgID, runID)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var ws []SyncRunWarning
	q = q.Order("personio_id, code")
	if limit > 0 {
		q = q.Limit(limit).Offset(offset)
	}
	err := q.Find(&ws).Error
	return ws, total, err
}

// PruneSyncRuns deletes finished runs (and their warnings) that started
// before before.
func (s *Store) PruneSyncRuns(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *Store) error {
		sub := tx.db.Model(&SyncRun{}).Select("id").Where("started_at < ? AND status <> ?", before.UTC(), RunRunning)
		if err := tx.db.Where("run_id IN (?)", sub).Delete(&SyncRunWarning{}).Error; err != nil {
			return err
		}
		res := tx.db.Where("started_at < ? AND status <> ?", before.UTC(), RunRunning).Delete(&SyncRun{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("prune sync runs: %w", err)
	}
	return n, nil
}

const abandonedRunError = "The run stopped without finishing (its Roster process ended); the next run continues from the data already saved."

// SyncLease is the cross-process lock of one organisation and area: the
// holder runs RunID until ExpiresAt, renewing it while alive.
type SyncLease struct {
	OrgID      int64  `gorm:"primaryKey;autoIncrement:false"`
	Area       string `gorm:"primaryKey"`
	Holder     string
	RunID      int64
	AcquiredAt time.Time
	ExpiresAt  time.Time
}

// BeginSyncRun starts run (its OrgID and Area set) under the lease of
// (run.OrgID, leaseArea) for holder until expires, in one transaction:
//
//   - lease free, expired, or held for a run that already finished: the lease
//     is taken (insert or take-over in one INSERT … ON CONFLICT … DO UPDATE …
//     WHERE statement, safe with several processes on PostgreSQL and SQLite),
//     a run left "running" by the previous holder is marked failed, run is
//     inserted, and BeginSyncRun returns (run, true);
//   - lease held by a live run: nothing is written and it returns that run
//     and false.
func (s *Store) BeginSyncRun(ctx context.Context, run *SyncRun, leaseArea, holder string, now, expires time.Time) (*SyncRun, bool, error) {
	now, expires = now.UTC(), expires.UTC()
	var current *SyncRun
	started := false
	err := s.Tx(ctx, func(tx *Store) error {
		var prev SyncLease
		hadPrev := true
		if err := tx.db.Where("org_id = ? AND area = ?", run.OrgID, leaseArea).First(&prev).Error; err != nil {
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
			hadPrev = false
		}
		cutoff := now
		if hadPrev && prev.ExpiresAt.After(now) {
			// A lease whose run already finished is stale (its release
			// failed): it may be taken at once.
			var status string
			err := tx.db.Model(&SyncRun{}).Where("id = ?", prev.RunID).Select("status").Row().Scan(&status)
			if err == nil && status != RunRunning {
				cutoff = prev.ExpiresAt.Add(time.Second) // beyond any column precision
			}
		}
		res := tx.db.Exec(`INSERT INTO sync_leases (org_id, area, holder, run_id, acquired_at, expires_at)
VALUES (?, ?, ?, 0, ?, ?)
ON CONFLICT (org_id, area) DO UPDATE SET holder = excluded.holder, run_id = 0,
  acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
WHERE sync_leases.expires_at < ? AND sync_leases.holder = ?`,
			run.OrgID, leaseArea, holder, now, expires, cutoff, prevHolder(hadPrev, prev, holder))
		if res.Error != nil {
			return fmt.Errorf("acquire lease: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			var l SyncLease
			if err := tx.db.Where("org_id = ? AND area = ?", run.OrgID, leaseArea).First(&l).Error; err != nil {
				return fmt.Errorf("read lease: %w", err)
			}
			r, err := tx.SyncRun(ctx, run.OrgID, l.RunID)
			if err != nil {
				return fmt.Errorf("load the running run %d: %w", l.RunID, err)
			}
			current = r
			return nil
		}
		if hadPrev && prev.RunID != 0 {
			err := tx.db.Model(&SyncRun{}).Where("id = ? AND status = ?", prev.RunID, RunRunning).
				Updates(map[string]any{"status": RunFailed, "error": abandonedRunError, "finished_at": now}).Error
			if err != nil {
				return fmt.Errorf("close abandoned run %d: %w", prev.RunID, err)
			}
		}
		run.Status, run.StartedAt, run.HeartbeatAt = RunRunning, now, now
		if err := tx.db.Create(run).Error; err != nil {
			return fmt.Errorf("insert run: %w", err)
		}
		err := tx.db.Model(&SyncLease{}).Where("org_id = ? AND area = ? AND holder = ?", run.OrgID, leaseArea, holder).
			Update("run_id", run.ID).Error
		if err != nil {
			return fmt.Errorf("attach run to lease: %w", err)
		}
		current, started = run, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("begin %s sync run: %w", leaseArea, err)
	}
	return current, started, nil
}

// prevHolder is the holder the take-over condition expects: the one read in
// the transaction, so that two processes that both saw an expired lease
// cannot both take it (the second sees a different holder).
func prevHolder(hadPrev bool, prev SyncLease, holder string) string {
	if hadPrev {
		return prev.Holder
	}
	return holder
}

// HeartbeatSyncRun renews holder's lease until expires and records the
// heartbeat on the run, in one transaction; false when the lease was lost
// (expired and taken over by another process, or released).
func (s *Store) HeartbeatSyncRun(ctx context.Context, orgID int64, area, holder string, runID int64, now, expires time.Time) (bool, error) {
	held := false
	err := s.Tx(ctx, func(tx *Store) error {
		res := tx.db.Model(&SyncLease{}).Where("org_id = ? AND area = ? AND holder = ? AND run_id = ?", orgID, area, holder, runID).
			Update("expires_at", expires.UTC())
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		held = true
		return tx.db.Model(&SyncRun{}).Where("org_id = ? AND id = ? AND status = ?", orgID, runID, RunRunning).
			Update("heartbeat_at", now.UTC()).Error
	})
	if err != nil {
		return false, fmt.Errorf("sync run %d heartbeat: %w", runID, err)
	}
	return held, nil
}

// ReleaseSyncLease drops holder's lease (no-op when it is no longer held).
func (s *Store) ReleaseSyncLease(ctx context.Context, orgID int64, area, holder string) error {
	err := s.ctx(ctx).Where("org_id = ? AND area = ? AND holder = ?", orgID, area, holder).Delete(&SyncLease{}).Error
	if err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}

// SyncLeaseOf returns the current lease of the organisation and area;
// ErrNotFound when none is held.
func (s *Store) SyncLeaseOf(ctx context.Context, orgID int64, area string) (*SyncLease, error) {
	var l SyncLease
	if err := s.ctx(ctx).Where("org_id = ? AND area = ?", orgID, area).First(&l).Error; err != nil {
		return nil, notFound(err)
	}
	return &l, nil
}

// SetRunUserCounts records how many linked users a run changed and deactivated.
func (s *Store) SetRunUserCounts(ctx context.Context, orgID, runID int64, updated, deactivated int) error {
	return s.ctx(ctx).Model(&SyncRun{}).Where("org_id = ? AND id = ?", orgID, runID).
		Updates(map[string]any{"users_updated": updated, "deactivated_count": deactivated}).Error
}
