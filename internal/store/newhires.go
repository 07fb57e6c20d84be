package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// HadEarlierEmployeeRun reports whether the organisation has a succeeded
// employee sync (of area employees or all) older than the run runID: without
// one, the run is the organisation's first import.
func (s *Store) HadEarlierEmployeeRun(ctx context.Context, orgID, runID int64) (bool, error) {
	var n int64
	err := s.ctx(ctx).Model(&SyncRun{}).
		Where("org_id = ? AND id < ? AND status = ? AND area IN ?", orgID, runID, RunSucceeded, []string{AreaEmployees, AreaAll}).
		Limit(1).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("find earlier employee runs: %w", err)
	}
	return n > 0, nil
}

// NewHireCandidates lists the employees the run runID inserted into the
// mirror (the row's first sighting is its last change, made by that run;
// rows written by an earlier run that did not succeed were adopted by this
// run before its lifecycle step, see hrsync's adoptUnfinished) that can be
// invited on the day today ("YYYY-MM-DD": live, in scope, not inactive or
// terminated, not excluded, no linked user and no user with their email)
// and that are not recorded as new hires yet, by personio id.
func (s *Store) NewHireCandidates(ctx context.Context, orgID, runID int64, today string) ([]HREmployee, error) {
	q := s.ctx(ctx).Model(&HREmployee{}).
		Where("org_id = ? AND first_seen_at = last_synced_at", orgID).
		Where("last_run_id = ?", runID).
		Where("NOT EXISTS (SELECT 1 FROM hr_new_hires h WHERE h.org_id = hr_employees.org_id AND h.personio_id = hr_employees.personio_id)")
	var out []HREmployee
	if err := invitable(q, today).Order("personio_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("find new hires: %w", err)
	}
	return out, nil
}

// AddNewHires records the hires; a hire already recorded is left as it is.
// It returns how many rows were inserted.
func (s *Store) AddNewHires(ctx context.Context, hires []HRNewHire) (int64, error) {
	if len(hires) == 0 {
		return 0, nil
	}
	res := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(hires, 200)
	if res.Error != nil {
		return 0, fmt.Errorf("add new hires: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// UnnotifiedNewHires lists the organisation's new hires whose admins were
// not notified yet, by personio id.
func (s *Store) UnnotifiedNewHires(ctx context.Context, orgID int64) ([]HRNewHire, error) {
	var out []HRNewHire
	err := s.ctx(ctx).Where("org_id = ? AND notified_at IS NULL", orgID).Order("personio_id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list unnotified new hires: %w", err)
	}
	return out, nil
}

// MarkNewHiresNotified sets notified_at on the given hires.
func (s *Store) MarkNewHiresNotified(ctx context.Context, orgID int64, personioIDs []int64, at time.Time) error {
	if len(personioIDs) == 0 {
		return nil
	}
	err := s.ctx(ctx).Model(&HRNewHire{}).Where("org_id = ? AND personio_id IN ? AND notified_at IS NULL", orgID, personioIDs).
		Update("notified_at", at.UTC()).Error
	if err != nil {
		return fmt.Errorf("mark new hires notified: %w", err)
	}
	return nil
}

// DueNewHireInvites lists the organisation's new hires whose invitation is
// due on the day today ("YYYY-MM-DD"): scheduled (invite_due set) on or
// before today and not invited yet, by invite day and personio id.
func (s *Store) DueNewHireInvites(ctx context.Context, orgID int64, today string) ([]HRNewHire, error) {
	var out []HRNewHire
	err := s.ctx(ctx).Where("org_id = ? AND invited_at IS NULL AND invite_due <> '' AND invite_due <= ?", orgID, today).
		Order("invite_due, personio_id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list due invitations of new hires: %w", err)
	}
	return out, nil
}

// MarkNewHireInvited records that the hire was invited as user userID.
func (s *Store) MarkNewHireInvited(ctx context.Context, orgID, personioID, userID int64, at time.Time) error {
	err := s.ctx(ctx).Model(&HRNewHire{}).Where("org_id = ? AND personio_id = ?", orgID, personioID).
		Updates(map[string]any{"invited_at": at.UTC(), "user_id": userID}).Error
	if err != nil {
		return fmt.Errorf("mark new hire %d invited: %w", personioID, err)
	}
	return nil
}

// CancelNewHireInvite unschedules the hire's invitation (it cannot be sent).
func (s *Store) CancelNewHireInvite(ctx context.Context, orgID, personioID int64) error {
	err := s.ctx(ctx).Model(&HRNewHire{}).Where("org_id = ? AND personio_id = ? AND invited_at IS NULL", orgID, personioID).
		Update("invite_due", "").Error
	if err != nil {
		return fmt.Errorf("cancel invitation of new hire %d: %w", personioID, err)
	}
	return nil
}

// NewHire loads one recorded new hire.
func (s *Store) NewHire(ctx context.Context, orgID, personioID int64) (*HRNewHire, error) {
	var h HRNewHire
	if err := s.ctx(ctx).Where("org_id = ? AND personio_id = ?", orgID, personioID).First(&h).Error; err != nil {
		return nil, notFound(err)
	}
	return &h, nil
}

// ScheduledNewHires lists the organisation's new hires whose invitation is
// scheduled (invite_due set) and not sent yet, by personio id.
func (s *Store) ScheduledNewHires(ctx context.Context, orgID int64) ([]HRNewHire, error) {
	var out []HRNewHire
	err := s.ctx(ctx).Where("org_id = ? AND invited_at IS NULL AND invite_due <> ''", orgID).Order("personio_id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list scheduled invitations of new hires: %w", err)
	}
	return out, nil
}

// RescheduleNewHire records a new hire date and invitation day for a hire
// not invited yet.
func (s *Store) RescheduleNewHire(ctx context.Context, orgID, personioID int64, hireDate, inviteDue string) error {
	err := s.ctx(ctx).Model(&HRNewHire{}).Where("org_id = ? AND personio_id = ? AND invited_at IS NULL", orgID, personioID).
		Updates(map[string]any{"hire_date": hireDate, "invite_due": inviteDue}).Error
	if err != nil {
		return fmt.Errorf("reschedule invitation of new hire %d: %w", personioID, err)
	}
	return nil
}

// MovedAccessDate is an invited new hire whose user's first day of access
// is the hire date recorded at the invitation while Personio now has
// another one.
type MovedAccessDate struct {
	PersonioID  int64
	UserID      int64
	OldHireDate string
	NewHireDate string
}

// MovedAccessDates lists the invited new hires of the organisation whose
// user (not deactivated) still has the recorded hire date as access_from
// while their live employee's hire date is another, non-empty one.
func (s *Store) MovedAccessDates(ctx context.Context, orgID int64) ([]MovedAccessDate, error) {
	var out []MovedAccessDate
	err := s.ctx(ctx).Table("hr_new_hires h").
		Select("h.personio_id, u.id AS user_id, h.hire_date AS old_hire_date, e.hire_date AS new_hire_date").
		Joins("JOIN users u ON u.org_id = h.org_id AND u.id = h.user_id AND u.personio_id = h.personio_id").
		Joins("JOIN hr_employees e ON e.org_id = h.org_id AND e.personio_id = h.personio_id AND e.removed_at IS NULL").
		Where("h.org_id = ? AND h.invited_at IS NOT NULL AND h.hire_date <> '' AND u.access_from = h.hire_date", orgID).
		Where("u.status <> ? AND e.hire_date <> '' AND e.hire_date <> h.hire_date", StatusDeactivated).
		Order("h.personio_id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list moved hire dates of invited new hires: %w", err)
	}
	return out, nil
}

// MoveAccessDate gives the invited new hire's user access from hireDate
// and records it as the hire's hire date, in one transaction.
func (s *Store) MoveAccessDate(ctx context.Context, orgID int64, m MovedAccessDate) error {
	return s.Tx(ctx, func(tx *Store) error {
		err := tx.ctx(ctx).Model(&User{}).Where("org_id = ? AND id = ? AND access_from = ?", orgID, m.UserID, m.OldHireDate).
			Updates(map[string]any{"access_from": m.NewHireDate, "updated_at": tx.db.NowFunc()}).Error
		if err != nil {
			return fmt.Errorf("move access date of user %d: %w", m.UserID, err)
		}
		err = tx.ctx(ctx).Model(&HRNewHire{}).Where("org_id = ? AND personio_id = ? AND user_id = ?", orgID, m.PersonioID, m.UserID).
			Update("hire_date", m.NewHireDate).Error
		if err != nil {
			return fmt.Errorf("move hire date of new hire %d: %w", m.PersonioID, err)
		}
		return nil
	})
}
