package store

import (
	"context"
	"fmt"
	"time"
)

// OpenOutboxItem returns the not yet pushed item (pending or retrying) of a
// record, the one a new change coalesces with; ErrNotFound when none.
func (s *Store) OpenOutboxItem(ctx context.Context, orgID int64, kind string, recordID int64) (*OutboxItem, error) {
	var it OutboxItem
	err := s.ctx(ctx).Where("org_id = ? AND kind = ? AND record_id = ? AND state IN ?", orgID, kind, recordID,
		[]string{OutboxPending, OutboxRetrying}).Order("id DESC").First(&it).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &it, nil
}

// LastOutboxItem returns the newest item of a record in any state;
// ErrNotFound when none.
func (s *Store) LastOutboxItem(ctx context.Context, orgID int64, kind string, recordID int64) (*OutboxItem, error) {
	var it OutboxItem
	err := s.ctx(ctx).Where("org_id = ? AND kind = ? AND record_id = ?", orgID, kind, recordID).Order("id DESC").First(&it).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &it, nil
}

// OutboxItem loads one item of the organisation.
func (s *Store) OutboxItem(ctx context.Context, orgID, id int64) (*OutboxItem, error) {
	var it OutboxItem
	if err := s.ctx(ctx).Where("org_id = ? AND id = ?", orgID, id).First(&it).Error; err != nil {
		return nil, notFound(err)
	}
	return &it, nil
}

// InsertOutboxItem adds an item.
func (s *Store) InsertOutboxItem(ctx context.Context, it *OutboxItem) error {
	if err := s.ctx(ctx).Create(it).Error; err != nil {
		return fmt.Errorf("insert outbox item: %w", err)
	}
	return nil
}

// UpdateOutboxItem writes fields of an item of the organisation.
func (s *Store) UpdateOutboxItem(ctx context.Context, orgID, id int64, fields map[string]any) error {
	if err := s.ctx(ctx).Model(&OutboxItem{}).Where("org_id = ? AND id = ?", orgID, id).Updates(fields).Error; err != nil {
		return fmt.Errorf("update outbox item %d: %w", id, err)
	}
	return nil
}

// DeleteOutboxItem removes an item that was never pushed (coalesced away).
func (s *Store) DeleteOutboxItem(ctx context.Context, orgID, id int64) error {
	if err := s.ctx(ctx).Where("org_id = ? AND id = ?", orgID, id).Delete(&OutboxItem{}).Error; err != nil {
		return fmt.Errorf("delete outbox item %d: %w", id, err)
	}
	return nil
}

// SaveOutboxPersonioID stores the Personio id of an item in its own
// statement, and only while the item is still open.
func (s *Store) SaveOutboxPersonioID(ctx context.Context, orgID, id int64, personioID string, now time.Time) error {
	err := s.ctx(ctx).Model(&OutboxItem{}).Where("org_id = ? AND id = ?", orgID, id).
		Updates(map[string]any{"personio_id": personioID, "updated_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("save personio id of outbox item %d: %w", id, err)
	}
	return nil
}

// DueOutboxItems returns up to limit items due at now (pending or retrying,
// next attempt reached) of the given kinds (all when empty), oldest first.
func (s *Store) DueOutboxItems(ctx context.Context, orgID int64, kinds []string, now time.Time, limit int) ([]OutboxItem, error) {
	q := s.ctx(ctx).Where("org_id = ? AND state IN ? AND next_attempt_at <= ?", orgID, []string{OutboxPending, OutboxRetrying}, now.UTC())
	if len(kinds) > 0 {
		q = q.Where("kind IN ?", kinds)
	}
	var out []OutboxItem
	if err := q.Order("id").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("due outbox items: %w", err)
	}
	return out, nil
}

// StampOutboxItem marks the start of an attempt: it sets the item's
// updated_at to stamp, which FinishOutboxItem compares to notice a change
// made while the attempt ran (a coalesced edit).
func (s *Store) StampOutboxItem(ctx context.Context, orgID, id int64, stamp time.Time, attempts int) error {
	return s.UpdateOutboxItem(ctx, orgID, id, map[string]any{"updated_at": stamp.UTC(), "attempts": attempts})
}

// FinishOutboxItem writes the outcome of an attempt unless the item changed
// since StampOutboxItem(stamp); false when it changed (nothing written).
func (s *Store) FinishOutboxItem(ctx context.Context, orgID, id int64, stamp time.Time, fields map[string]any) (bool, error) {
	res := s.ctx(ctx).Model(&OutboxItem{}).Where("org_id = ? AND id = ? AND updated_at = ?", orgID, id, stamp.UTC()).Updates(fields)
	if res.Error != nil {
		return false, fmt.Errorf("finish outbox item %d: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// OutboxFilter selects outbox items for the API log. Zero fields do not filter.
type OutboxFilter struct {
	Kind     string
	State    string
	From, To time.Time // created_at in [From, To)
	Limit    int
	Offset   int
}

// ListOutboxItems returns a page of items, failed ones first then newest
// first, and the number of matching items.
func (s *Store) ListOutboxItems(ctx context.Context, orgID int64, f OutboxFilter) ([]OutboxItem, int64, error) {
	q := s.ctx(ctx).Model(&OutboxItem{}).Where("org_id = ?", orgID)
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("created_at < ?", f.To.UTC())
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return nil, 0, fmt.Errorf("count outbox items: %w", err)
	}
	var out []OutboxItem
	err := q.Order(fmt.Sprintf("CASE WHEN state = '%s' THEN 0 ELSE 1 END, id DESC", OutboxFailed)).
		Limit(max(f.Limit, 1)).Offset(f.Offset).Find(&out).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list outbox items: %w", err)
	}
	return out, n, nil
}

// CountOutboxByState counts the organisation's items per state.
func (s *Store) CountOutboxByState(ctx context.Context, orgID int64, since time.Time) (map[string]int64, error) {
	var rows []struct {
		State string
		N     int64
	}
	err := s.ctx(ctx).Model(&OutboxItem{}).Select("state, COUNT(*) AS n").
		Where("org_id = ? AND created_at >= ?", orgID, since.UTC()).Group("state").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count outbox items: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// PruneOutboxItems deletes pushed items older than before.
func (s *Store) PruneOutboxItems(ctx context.Context, before time.Time) (int64, error) {
	res := s.ctx(ctx).Where("state = ? AND created_at < ?", OutboxPushed, before.UTC()).Delete(&OutboxItem{})
	if res.Error != nil {
		return 0, fmt.Errorf("prune outbox items: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// outboxLeaseArea is the sync_leases area of the outbox pusher.
const outboxLeaseArea = "outbox"

// AcquireOutboxLease takes the organisation's outbox pusher lease for holder
// until expires when it is free or expired; false when another live pusher
// holds it.
func (s *Store) AcquireOutboxLease(ctx context.Context, orgID int64, holder string, now, expires time.Time) (bool, error) {
	res := s.ctx(ctx).Exec(`INSERT INTO sync_leases (org_id, area, holder, run_id, acquired_at, expires_at)
VALUES (?, ?, ?, 0, ?, ?)
ON CONFLICT (org_id, area) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
WHERE sync_leases.expires_at < ? OR sync_leases.holder = excluded.holder`,
		orgID, outboxLeaseArea, holder, now.UTC(), expires.UTC(), now.UTC())
	if res.Error != nil {
		return false, fmt.Errorf("acquire outbox lease: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// ReleaseOutboxLease drops holder's outbox lease.
func (s *Store) ReleaseOutboxLease(ctx context.Context, orgID int64, holder string) error {
	return s.ReleaseSyncLease(ctx, orgID, outboxLeaseArea, holder)
}
