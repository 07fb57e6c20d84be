package store

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"
)

// LineageEntry is one value of a user that a sync, a link, an invitation
// or the team mapping changed: field, old → new, the run when there is one
// and who or what made the change (source). Values are short display
// strings; secrets and bank details are never recorded.
type LineageEntry struct {
	ID        int64 `gorm:"primaryKey"`
	OrgID     int64
	UserID    int64
	Field     string
	OldValue  string
	NewValue  string
	RunID     *int64
	Source    string
	ChangedAt time.Time
}

// TableName is the lineage table.
func (LineageEntry) TableName() string { return "user_lineage" }

// Lineage fields (the field column); the managed fields use their users
// column name (name, job_title, hire_date, ...).
const (
	LineageTeam    = "team"
	LineageManager = "manager"
	LineageRole    = "role"
	LineageStatus  = "status"
)

// LineageChange is one field of one user that changed.
type LineageChange struct {
	UserID   int64
	Field    string
	Old, New string
}

// LineageOrigin says what is changing users: the sync run (RunID) or an
// admin's action ("linked by Ada"). Use cases put it on the context at their
// entry point, so every recorder below them shares it.
type LineageOrigin struct {
	RunID  *int64
	Source string
}

type lineageKey struct{}

// WithLineageOrigin returns ctx carrying o for RecordLineage.
func WithLineageOrigin(ctx context.Context, o LineageOrigin) context.Context {
	return context.WithValue(ctx, lineageKey{}, o)
}

// LineageOriginOf returns the origin on ctx and whether there is one.
func LineageOriginOf(ctx context.Context) (LineageOrigin, bool) {
	o, ok := ctx.Value(lineageKey{}).(LineageOrigin)
	return o, ok
}

// lineageValueMax bounds a recorded value (runes).
const lineageValueMax = 200

func shortValue(s string) string {
	if utf8.RuneCountInString(s) <= lineageValueMax {
		return s
	}
	r := []rune(s)
	return string(r[:lineageValueMax-1]) + "…"
}

// RecordLineage writes one lineage row per change that really changes
// (old ≠ new), at now, for users of the organisation. The run and source
// come from the origin on ctx (WithLineageOrigin); without one, source is
// fallback (usually the actor's name). Call it inside the transaction that
// writes the change.
func (s *Store) RecordLineage(ctx context.Context, orgID int64, fallback string, now time.Time, cs []LineageChange) error {
	o, ok := LineageOriginOf(ctx)
	if !ok || o.Source == "" {
		o.Source = fallback
	}
	rows := make([]LineageEntry, 0, len(cs))
	for _, c := range cs {
		if c.Old == c.New || c.UserID == 0 {
			continue
		}
		rows = append(rows, LineageEntry{OrgID: orgID, UserID: c.UserID, Field: c.Field, OldValue: shortValue(c.Old),
			NewValue: shortValue(c.New), RunID: o.RunID, Source: shortValue(o.Source), ChangedAt: now.UTC()})
	}
	if len(rows) == 0 {
		return nil
	}
	if err := s.ctx(ctx).CreateInBatches(rows, 200).Error; err != nil {
		return fmt.Errorf("record lineage: %w", err)
	}
	return nil
}

// UserLineage returns a page of a user's lineage, newest first, and the
// total number of rows.
func (s *Store) UserLineage(ctx context.Context, orgID, userID int64, limit, offset int) ([]LineageEntry, int64, error) {
	q := s.ctx(ctx).Model(&LineageEntry{}).Where("org_id = ? AND user_id = ?", orgID, userID)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count lineage: %w", err)
	}
	var out []LineageEntry
	err := s.ctx(ctx).Where("org_id = ? AND user_id = ?", orgID, userID).
		Order("changed_at DESC, id DESC").Limit(limit).Offset(offset).Find(&out).Error
	if err != nil {
		return nil, 0, fmt.Errorf("load lineage: %w", err)
	}
	return out, total, nil
}

// HRExclusionOf returns the exclusion of an employee with the name of the
// admin who made it ("" when that user is gone); nil when not excluded.
func (s *Store) HRExclusionOf(ctx context.Context, orgID, personioID int64) (*HRExclusion, string, error) {
	var xs []HRExclusion
	if err := s.ctx(ctx).Where("org_id = ? AND personio_id = ?", orgID, personioID).Limit(1).Find(&xs).Error; err != nil {
		return nil, "", fmt.Errorf("load exclusion: %w", err)
	}
	if len(xs) == 0 {
		return nil, "", nil
	}
	x := &xs[0]
	by := ""
	if x.ExcludedByID != nil {
		var names []string
		if err := s.ctx(ctx).Model(&User{}).Where("org_id = ? AND id = ?", orgID, *x.ExcludedByID).Limit(1).Pluck("name", &names).Error; err != nil {
			return nil, "", fmt.Errorf("load excluding admin: %w", err)
		}
		if len(names) > 0 {
			by = names[0]
		}
	}
	return x, by, nil
}
