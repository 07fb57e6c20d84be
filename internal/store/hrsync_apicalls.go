package store

import (
	"context"
	"fmt"
	"time"
)

// APICall is one HTTP request to the HR system (the API log). It never
// holds credentials or tokens: Query is redacted by the client.
type APICall struct {
	ID         int64 `gorm:"primaryKey"`
	OrgID      int64
	RunID      *int64
	Area       string
	Op         string
	Method     string
	Path       string
	Query      string
	Status     int
	DurationMS int64 `gorm:"column:duration_ms"`
	Bytes      int64
	Retries    int
	Error      string
	CreatedAt  time.Time
}

// OK reports a successful call.
func (c *APICall) OK() bool { return c.Error == "" && c.Status >= 200 && c.Status < 400 }

// API log status filters.
const (
	CallStatusOK    = "ok"
	CallStatusError = "error"
)

// APICallFilter selects API log entries. Zero fields do not filter.
type APICallFilter struct {
	Area   string
	Status string // CallStatusOK or CallStatusError
	RunID  int64
	From   time.Time // inclusive
	To     time.Time // exclusive
	Limit  int
	Offset int
}

// InsertAPICalls appends entries to the API log in one batched statement.
func (s *Store) InsertAPICalls(ctx context.Context, calls []APICall) error {
	if len(calls) == 0 {
		return nil
	}
	if err := s.ctx(ctx).CreateInBatches(calls, 500).Error; err != nil {
		return fmt.Errorf("insert api calls: %w", err)
	}
	return nil
}

// ListAPICalls returns a page of the organisation's API log, newest first,
// and the number of matching entries.
func (s *Store) ListAPICalls(ctx context.Context, orgID int64, f APICallFilter) ([]APICall, int64, error) {
	q := s.ctx(ctx).Model(&APICall{}).Where("org_id = ?", orgID)
	if f.Area != "" {
		q = q.Where("area = ?", f.Area)
	}
	switch f.Status {
	case CallStatusOK:
		q = q.Where("error = '' AND status >= 200 AND status < 400")
	case CallStatusError:
		q = q.Where("(error <> '' OR status < 200 OR status >= 400)")
	}
	if f.RunID != 0 {
		q = q.Where("run_id = ?", f.RunID)
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("created_at < ?", f.To.UTC())
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count api calls: %w", err)
	}
	var cs []APICall
	q = q.Order("created_at DESC, id DESC")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	if err := q.Find(&cs).Error; err != nil {
		return nil, 0, fmt.Errorf("list api calls: %w", err)
	}
	return cs, total, nil
}

// APICallAreas lists the distinct areas of the organisation's API log
// (filter options).
func (s *Store) APICallAreas(ctx context.Context, orgID int64) ([]string, error) {
	var as []string
	err := s.ctx(ctx).Model(&APICall{}).Where("org_id = ?", orgID).Distinct("area").Order("area").Pluck("area", &as).Error
	return as, err
}

// PruneAPICalls deletes API log entries of every organisation created before
// before and returns how many it deleted.
func (s *Store) PruneAPICalls(ctx context.Context, before time.Time) (int64, error) {
	res := s.ctx(ctx).Where("created_at < ?", before.UTC()).Delete(&APICall{})
	if res.Error != nil {
		return 0, fmt.Errorf("prune api calls: %w", res.Error)
	}
	return res.RowsAffected, nil
}
