package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// HRExclusion marks a Personio employee an admin excluded from the sync:
// it is not offered for invite or linking and its linked user is not
// changed. It lives apart from HREmployee, which the sync rewrites.
type HRExclusion struct {
	OrgID        int64 `gorm:"primaryKey;autoIncrement:false"`
	PersonioID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ExcludedByID *int64
	Reason       string
	CreatedAt    time.Time
}

// notExcludedSQL is a condition on a query of hr_employees (aliased as
// table) that keeps the employees not excluded from the sync.
func notExcludedSQL(table string) string {
	return "NOT EXISTS (SELECT 1 FROM hr_exclusions x WHERE x.org_id = " + table + ".org_id AND x.personio_id = " + table + ".personio_id)"
}

// ExcludeHREmployee records x; excluding an excluded employee again
// changes nothing. It reports whether a new exclusion was recorded.
func (s *Store) ExcludeHREmployee(ctx context.Context, x *HRExclusion) (bool, error) {
	if x.CreatedAt.IsZero() {
		x.CreatedAt = s.db.NowFunc()
	}
	res := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(x)
	if res.Error != nil {
		return false, fmt.Errorf("exclude employee: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// IncludeHREmployee removes the exclusion of an employee; it reports
// whether there was one.
func (s *Store) IncludeHREmployee(ctx context.Context, orgID, personioID int64) (bool, error) {
	res := s.ctx(ctx).Where("org_id = ? AND personio_id = ?", orgID, personioID).Delete(&HRExclusion{})
	if res.Error != nil {
		return false, fmt.Errorf("include employee: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// ExcludedHREmployees returns which of the given personio ids of the
// organisation are excluded from the sync.
func (s *Store) ExcludedHREmployees(ctx context.Context, orgID int64, personioIDs []int64) (map[int64]bool, error) {
	out := make(map[int64]bool)
	for start := 0; start < len(personioIDs); start += 500 {
		end := min(start+500, len(personioIDs))
		var ids []int64
		err := s.ctx(ctx).Model(&HRExclusion{}).Where("org_id = ? AND personio_id IN ?", orgID, personioIDs[start:end]).
			Pluck("personio_id", &ids).Error
		if err != nil {
			return nil, fmt.Errorf("load exclusions: %w", err)
		}
		for _, id := range ids {
			out[id] = true
		}
	}
	return out, nil
}
