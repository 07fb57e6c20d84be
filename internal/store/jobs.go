package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// JobClaim records which process ran a scheduled job slot.
type JobClaim struct {
	Job       string    `gorm:"primaryKey"`
	Slot      time.Time `gorm:"primaryKey"`
	Holder    string
	ClaimedAt time.Time
}

// ClaimJobSlot inserts (job, slot) and reports whether this caller won it.
// Exactly one of several processes sharing the database wins a slot.
func (s *Store) ClaimJobSlot(ctx context.Context, job string, slot time.Time, holder string, now time.Time) (bool, error) {
	res := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&JobClaim{Job: job, Slot: slot.UTC(), Holder: holder, ClaimedAt: now.UTC()})
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// JobClaims counts claims of a job (tests, diagnostics).
func (s *Store) JobClaims(ctx context.Context, job string) ([]JobClaim, error) {
	var cs []JobClaim
	err := s.ctx(ctx).Where("job = ?", job).Order("slot").Find(&cs).Error
	return cs, err
}

// PruneJobClaims deletes claims older than before.
func (s *Store) PruneJobClaims(ctx context.Context, before time.Time) (int64, error) {
	res := s.ctx(ctx).Where("claimed_at < ?", before.UTC()).Delete(&JobClaim{})
	return res.RowsAffected, res.Error
}
