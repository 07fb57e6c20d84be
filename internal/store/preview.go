package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Preview statuses.
const (
	PreviewComputing = "computing" // its run is still working
	PreviewReady     = "ready"     // computed, waiting for apply or discard
	PreviewApplying  = "applying"  // an apply run is working
	PreviewApplied   = "applied"
	PreviewDiscarded = "discarded"
	PreviewStale     = "stale"  // an apply found Personio or Roster changed
	PreviewFailed    = "failed" // its run failed
)

// Preview item kinds: what a sync would do.
const (
	PreviewEmployeeNew     = "employee_new"     // new in the Personio mirror
	PreviewEmployeeChanged = "employee_changed" // a mirror field changes
	PreviewEmployeeRemoved = "employee_removed" // gone from Personio (or out of scope)
	PreviewUserField       = "user_field"       // a linked user's field changes
	PreviewTeamMove        = "team_move"
	PreviewManagerChange   = "manager_change"
	PreviewRoleChange      = "role_change"
	PreviewDeactivation    = "deactivation" // deactivated or locked now
	PreviewScheduled       = "scheduled_deactivation"
	PreviewReactivation    = "reactivation"
	PreviewInvite          = "invite"
	PreviewHold            = "safeguard_hold"
	PreviewEmail           = "email"
	PreviewAbsencePush     = "absence_push"
	PreviewTimePush        = "time_push"
)

// PreviewKinds lists the kinds in display order.
var PreviewKinds = []string{PreviewInvite, PreviewUserField, PreviewTeamMove, PreviewManagerChange, PreviewRoleChange,
	PreviewDeactivation, PreviewScheduled, PreviewReactivation, PreviewHold, PreviewEmployeeNew, PreviewEmployeeChanged,
	PreviewEmployeeRemoved, PreviewEmail, PreviewAbsencePush, PreviewTimePush}

// SyncPreview is a dry run of an employee sync: what it would change, kept
// until an admin applies or discards it.
type SyncPreview struct {
	ID           int64 `gorm:"primaryKey"`
	OrgID        int64
	RunID        int64
	Area         string
	Mode         string
	Trigger      string
	Status       string
	PersonioHash string
	DiffHash     string
	Records      int
	Counts       string // JSON object kind → number of items
	Note         string
	CreatedByID  *int64
	CreatedAt    time.Time
	DecidedByID  *int64
	DecidedAt    *time.Time
	ApplyRunID   *int64
	// UpdatedSince is the window of a partial preview (its apply fetches
	// the same window).
	UpdatedSince *time.Time
}

// CountsMap decodes Counts.
func (p *SyncPreview) CountsMap() map[string]int {
	m := map[string]int{}
	_ = json.Unmarshal([]byte(p.Counts), &m)
	return m
}

// Total is the number of items of the preview.
func (p *SyncPreview) Total() int {
	n := 0
	for _, c := range p.CountsMap() {
		n += c
	}
	return n
}

// SyncPreviewItem is one change a preview found.
type SyncPreviewItem struct {
	ID         int64 `gorm:"primaryKey"`
	PreviewID  int64
	OrgID      int64
	Kind       string
	UserID     *int64
	PersonioID *int64
	Name       string
	Email      string
	Field      string
	OldValue   string
	NewValue   string
	Detail     string
}

// SyncPreviewRecord is one Personio record a preview fetched (JSON).
type SyncPreviewRecord struct {
	PreviewID  int64 `gorm:"primaryKey;autoIncrement:false"`
	PersonioID int64 `gorm:"primaryKey;autoIncrement:false"`
	OrgID      int64
	Payload    string
}

// CreateSyncPreview inserts p.
func (s *Store) CreateSyncPreview(ctx context.Context, p *SyncPreview) error {
	if p.Counts == "" {
		p.Counts = "{}"
	}
	return s.ctx(ctx).Create(p).Error
}

// SupersedeSyncPreviews discards the organisation's ready previews other
// than keep (a newer preview replaces them) and drops their records.
func (s *Store) SupersedeSyncPreviews(ctx context.Context, orgID, keep int64, at time.Time) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *Store) error {
		var ids []int64
		if err := tx.ctx(ctx).Model(&SyncPreview{}).Where("org_id = ? AND status = ? AND id <> ?", orgID, PreviewReady, keep).Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		res := tx.ctx(ctx).Model(&SyncPreview{}).Where("org_id = ? AND id IN ? AND status = ?", orgID, ids, PreviewReady).
			Updates(map[string]any{"status": PreviewDiscarded, "decided_at": at.UTC(), "note": fmt.Sprintf("Replaced by the newer preview %d.", keep)})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return tx.ctx(ctx).Where("org_id = ? AND preview_id IN ?", orgID, ids).Delete(&SyncPreviewRecord{}).Error
	})
	return n, err
}

// SyncPreview returns a preview of the organisation.
func (s *Store) SyncPreview(ctx context.Context, orgID, id int64) (*SyncPreview, error) {
	var p SyncPreview
	if err := s.ctx(ctx).Where("org_id = ? AND id = ?", orgID, id).First(&p).Error; err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// SyncPreviewOfRun returns the preview a run computed or applied.
func (s *Store) SyncPreviewOfRun(ctx context.Context, orgID, runID int64) (*SyncPreview, error) {
	var p SyncPreview
	err := s.ctx(ctx).Where("org_id = ? AND (run_id = ? OR apply_run_id = ?)", orgID, runID, runID).Order("id DESC").First(&p).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// PendingSyncPreview returns the newest preview waiting for a decision
// (ready), or ErrNotFound.
func (s *Store) PendingSyncPreview(ctx context.Context, orgID int64) (*SyncPreview, error) {
	var p SyncPreview
	err := s.ctx(ctx).Where("org_id = ? AND status = ?", orgID, PreviewReady).Order("id DESC").First(&p).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// UpdateSyncPreview sets columns of a preview whose status is one of from
// (any when empty); it reports whether a row changed.
func (s *Store) UpdateSyncPreview(ctx context.Context, orgID, id int64, from []string, cols map[string]any) (bool, error) {
	q := s.ctx(ctx).Model(&SyncPreview{}).Where("org_id = ? AND id = ?", orgID, id)
	if len(from) > 0 {
		q = q.Where("status IN ?", from)
	}
	res := q.Updates(cols)
	return res.RowsAffected > 0, res.Error
}

// AddSyncPreviewRecords stores fetched records of a preview; a record
// fetched twice keeps its first copy.
func (s *Store) AddSyncPreviewRecords(ctx context.Context, rs []SyncPreviewRecord) error {
	if len(rs) == 0 {
		return nil
	}
	return s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rs, 200).Error
}

// EachSyncPreviewRecord calls fn with the preview's records in batches of
// size, by Personio id.
func (s *Store) EachSyncPreviewRecord(ctx context.Context, orgID, previewID int64, size int, fn func([]SyncPreviewRecord) error) error {
	var after int64 = -1 << 62
	for {
		var batch []SyncPreviewRecord
		err := s.ctx(ctx).Where("org_id = ? AND preview_id = ? AND personio_id > ?", orgID, previewID, after).
			Order("personio_id").Limit(size).Find(&batch).Error
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		if err := fn(batch); err != nil {
			return err
		}
		if len(batch) < size {
			return nil
		}
		after = batch[len(batch)-1].PersonioID
	}
}

// DeleteSyncPreviewRecords drops the fetched records of a decided preview.
func (s *Store) DeleteSyncPreviewRecords(ctx context.Context, orgID, previewID int64) error {
	return s.ctx(ctx).Where("org_id = ? AND preview_id = ?", orgID, previewID).Delete(&SyncPreviewRecord{}).Error
}

// ReplaceSyncPreviewItems replaces the items of a preview.
func (s *Store) ReplaceSyncPreviewItems(ctx context.Context, orgID, previewID int64, items []SyncPreviewItem) error {
	return s.Tx(ctx, func(tx *Store) error {
		if err := tx.ctx(ctx).Where("org_id = ? AND preview_id = ?", orgID, previewID).Delete(&SyncPreviewItem{}).Error; err != nil {
			return err
		}
		for i := range items {
			items[i].ID, items[i].PreviewID, items[i].OrgID = 0, previewID, orgID
		}
		if len(items) == 0 {
			return nil
		}
		return tx.ctx(ctx).CreateInBatches(items, 300).Error
	})
}

// PreviewItemFilter selects items of a preview.
type PreviewItemFilter struct {
	Kind   string // "" for all
	Query  string // name, email or field
	Limit  int
	Offset int
}

// SyncPreviewItems returns a page of a preview's items (kind order, then
// id) and the number of items matching.
func (s *Store) SyncPreviewItems(ctx context.Context, orgID, previewID int64, f PreviewItemFilter) ([]SyncPreviewItem, int64, error) {
	q := s.ctx(ctx).Model(&SyncPreviewItem{}).Where("org_id = ? AND preview_id = ?", orgID, previewID)
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Query != "" {
		p := like(f.Query)
		q = q.Where("(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(email) LIKE ? ESCAPE '\\' OR LOWER(field) LIKE ? ESCAPE '\\')", p, p, p)
	}
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var items []SyncPreviewItem
	err := q.Order("kind, id").Limit(f.Limit).Offset(f.Offset).Find(&items).Error
	return items, total, err
}

// AllSyncPreviewItems returns every item of a preview (the CLI's JSON).
func (s *Store) AllSyncPreviewItems(ctx context.Context, orgID, previewID int64) ([]SyncPreviewItem, error) {
	var items []SyncPreviewItem
	err := s.ctx(ctx).Where("org_id = ? AND preview_id = ?", orgID, previewID).Order("kind, id").Find(&items).Error
	return items, err
}

// PrunePreviews deletes previews created before the time (items and
// records go with them).
func (s *Store) PrunePreviews(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *Store) error {
		sub := tx.db.Model(&SyncPreview{}).Select("id").Where("created_at < ?", before.UTC())
		if err := tx.db.Where("preview_id IN (?)", sub).Delete(&SyncPreviewItem{}).Error; err != nil {
			return err
		}
		if err := tx.db.Where("preview_id IN (?)", sub).Delete(&SyncPreviewRecord{}).Error; err != nil {
			return err
		}
		res := tx.db.Where("created_at < ?", before.UTC()).Delete(&SyncPreview{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("prune previews: %w", err)
	}
	return n, nil
}

// PreviewSnapshot is what a preview compares before and after the rolled
// back sync: the highest ids of the tables a sync appends to, and the
// users' deactivation schedule.
type PreviewSnapshot struct {
	MaxInvitation int64
	MaxHold       int64
	MaxUser       int64
	Scheduled     map[int64]string // user id → deactivate_at (RFC 3339), "" none
}

// TakePreviewSnapshot reads the snapshot of an organisation.
func (s *Store) TakePreviewSnapshot(ctx context.Context, orgID int64) (*PreviewSnapshot, error) {
	snap := &PreviewSnapshot{Scheduled: map[int64]string{}}
	db := s.ctx(ctx)
	if err := db.Model(&Invitation{}).Where("org_id = ?", orgID).Select("COALESCE(MAX(id), 0)").Row().Scan(&snap.MaxInvitation); err != nil {
		return nil, err
	}
	if err := s.ctx(ctx).Model(&SyncHold{}).Where("org_id = ?", orgID).Select("COALESCE(MAX(id), 0)").Row().Scan(&snap.MaxHold); err != nil {
		return nil, err
	}
	// The highest user id of the table (ids are global): a user with a
	// higher id in this organisation's diff was created by the sync.
	if err := s.ctx(ctx).Model(&User{}).Select("COALESCE(MAX(id), 0)").Row().Scan(&snap.MaxUser); err != nil {
		return nil, err
	}
	var rows []struct {
		ID           int64
		DeactivateAt *time.Time
	}
	if err := s.ctx(ctx).Model(&User{}).Where("org_id = ? AND deactivate_at IS NOT NULL", orgID).Select("id, deactivate_at").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		snap.Scheduled[r.ID] = r.DeactivateAt.UTC().Format(time.RFC3339)
	}
	return snap, nil
}

// PreviewInvitee is a user invited after a snapshot.
type PreviewInvitee struct {
	UserID     int64
	Name       string
	Email      string
	PersonioID *int64
	AccessFrom string
}

// InvitationsAfter returns the users invited with an invitation id above
// after.
func (s *Store) InvitationsAfter(ctx context.Context, orgID, after int64) ([]PreviewInvitee, error) {
	var out []PreviewInvitee
	err := s.ctx(ctx).Table("invitations AS i").Joins("JOIN users u ON u.id = i.user_id AND u.org_id = i.org_id").
		Where("i.org_id = ? AND i.id > ?", orgID, after).Order("i.id").
		Select("u.id AS user_id, u.name, u.email, u.personio_id, u.access_from").Scan(&out).Error
	return out, err
}

// HoldsAfter returns the safeguard holds created with an id above after.
func (s *Store) HoldsAfter(ctx context.Context, orgID, after int64) ([]SyncHold, error) {
	var out []SyncHold
	err := s.ctx(ctx).Where("org_id = ? AND id > ?", orgID, after).Order("id").Find(&out).Error
	return out, err
}

// LineageOfRun returns the lineage rows a run recorded, with the users'
// names, emails and Personio ids.
type RunLineage struct {
	LineageEntry
	UserName   string
	UserEmail  string
	PersonioID *int64
}

// LineageOfRun returns what a run changed on users.
func (s *Store) LineageOfRun(ctx context.Context, orgID, runID int64) ([]RunLineage, error) {
	var out []RunLineage
	err := s.ctx(ctx).Table("user_lineage AS l").Joins("JOIN users u ON u.id = l.user_id AND u.org_id = l.org_id").
		Where("l.org_id = ? AND l.run_id = ?", orgID, runID).Order("l.id").
		Select("l.*, u.name AS user_name, u.email AS user_email, u.personio_id").Scan(&out).Error
	return out, err
}

// UsersBrief returns id, name, email and Personio id of users.
func (s *Store) UsersBrief(ctx context.Context, orgID int64, ids []int64) (map[int64]User, error) {
	out := map[int64]User{}
	if len(ids) == 0 {
		return out, nil
	}
	var us []User
	if err := s.ctx(ctx).Where("org_id = ? AND id IN ?", orgID, ids).Select("id, name, email, personio_id, deactivate_at").Find(&us).Error; err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}

// HREmployeesByPersonioID loads mirror rows by Personio id.
func (s *Store) HREmployeesByPersonioID(ctx context.Context, orgID int64, ids []int64) (map[int64]HREmployee, error) {
	out := make(map[int64]HREmployee, len(ids))
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		var rows []HREmployee
		if err := s.ctx(ctx).Where("org_id = ? AND personio_id IN ?", orgID, ids[start:end]).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.PersonioID] = r
		}
	}
	return out, nil
}

// DuePush is a pending push of the outbox, for a preview.
type DuePush struct {
	Kind       string
	Op         string
	UserID     int64
	UserName   string
	UserEmail  string
	PersonioID *int64
	From, To   string // absence dates, or the time entry's day
}

// DuePushes lists the outbox's pending and retrying pushes of an
// organisation (at most limit), with the person and the dates.
func (s *Store) DuePushes(ctx context.Context, orgID int64, limit int) ([]DuePush, error) {
	var out []DuePush
	err := s.ctx(ctx).Table("outbox_items AS o").
		Joins("LEFT JOIN absences a ON o.kind = ? AND a.id = o.record_id AND a.org_id = o.org_id", OutboxAbsence).
		Joins("LEFT JOIN time_entries t ON o.kind = ? AND t.id = o.record_id AND t.org_id = o.org_id", OutboxTimeEntry).
		Joins("JOIN users u ON u.id = COALESCE(a.user_id, t.user_id) AND u.org_id = o.org_id").
		Where("o.org_id = ? AND o.state IN ?", orgID, []string{OutboxPending, OutboxRetrying}).
		Order("o.id").Limit(limit).
		Select("o.kind, o.op, u.id AS user_id, u.name AS user_name, u.email AS user_email, u.personio_id, " +
			"COALESCE(a.start_date, t.day, '') AS \"from\", COALESCE(a.end_date, t.day, '') AS \"to\"").Scan(&out).Error
	return out, err
}
