package store

import (
	"context"
	"fmt"
	"time"
)

// HealthProblem is an open (ClearedAt nil) or cleared sync health problem of
// an organisation. At most one problem per organisation and kind is open.
type HealthProblem struct {
	ID            int64 `gorm:"primaryKey"`
	OrgID         int64
	Kind          string
	Detail        string
	OpenedAt      time.Time
	LastAlertedAt *time.Time
	ClearedAt     *time.Time
}

// OpenHealthProblem opens a problem of the kind, or updates the detail of
// the one already open. It returns the open problem and whether it was
// opened now.
func (s *Store) OpenHealthProblem(ctx context.Context, orgID int64, kind, detail string, now time.Time) (*HealthProblem, bool, error) {
	var p HealthProblem
	err := s.ctx(ctx).Where("org_id = ? AND kind = ? AND cleared_at IS NULL", orgID, kind).First(&p).Error
	if err == nil {
		if p.Detail != detail {
			if err := s.ctx(ctx).Model(&HealthProblem{}).Where("org_id = ? AND id = ?", orgID, p.ID).Update("detail", detail).Error; err != nil {
				return nil, false, fmt.Errorf("update health problem %s: %w", kind, err)
			}
			p.Detail = detail
		}
		return &p, false, nil
	}
	if notFound(err) != ErrNotFound {
		return nil, false, fmt.Errorf("load health problem %s: %w", kind, err)
	}
	p = HealthProblem{OrgID: orgID, Kind: kind, Detail: detail, OpenedAt: now.UTC()}
	if err := s.ctx(ctx).Create(&p).Error; err != nil {
		if isUnique(err) { // opened meanwhile by another check
			var q HealthProblem
			if err := s.ctx(ctx).Where("org_id = ? AND kind = ? AND cleared_at IS NULL", orgID, kind).First(&q).Error; err != nil {
				return nil, false, fmt.Errorf("load health problem %s: %w", kind, err)
			}
			return &q, false, nil
		}
		return nil, false, fmt.Errorf("open health problem %s: %w", kind, err)
	}
	return &p, true, nil
}

// MarkHealthAlerted records that admins were alerted about the problem at
// at, unless another check already alerted since since (the start of the
// current alert period). It reports whether this call marked it: only the
// caller that marked it sends the alert.
func (s *Store) MarkHealthAlerted(ctx context.Context, orgID, id int64, since, at time.Time) (bool, error) {
	res := s.ctx(ctx).Model(&HealthProblem{}).
		Where("org_id = ? AND id = ? AND cleared_at IS NULL AND (last_alerted_at IS NULL OR last_alerted_at < ?)", orgID, id, since.UTC()).
		Update("last_alerted_at", at.UTC())
	if res.Error != nil {
		return false, fmt.Errorf("mark health problem %d alerted: %w", id, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// ClearHealthProblems clears the organisation's open problems of the kinds
// and returns how many were open.
func (s *Store) ClearHealthProblems(ctx context.Context, orgID int64, kinds []string, now time.Time) (int64, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	res := s.ctx(ctx).Model(&HealthProblem{}).Where("org_id = ? AND kind IN ? AND cleared_at IS NULL", orgID, kinds).
		Update("cleared_at", now.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("clear health problems: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// OpenHealthProblems lists the organisation's open problems, oldest first.
func (s *Store) OpenHealthProblems(ctx context.Context, orgID int64) ([]HealthProblem, error) {
	var ps []HealthProblem
	err := s.ctx(ctx).Where("org_id = ? AND cleared_at IS NULL", orgID).Order("opened_at, id").Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("list health problems: %w", err)
	}
	return ps, nil
}

// OrgIDsWithOpenHealthProblems lists the organisations with an open problem
// (the periodic check also visits organisations that disconnected).
func (s *Store) OrgIDsWithOpenHealthProblems(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.ctx(ctx).Model(&HealthProblem{}).Where("cleared_at IS NULL").Distinct("org_id").Order("org_id").Pluck("org_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("list organisations with health problems: %w", err)
	}
	return ids, nil
}
