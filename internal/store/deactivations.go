package store

import (
	"context"
	"fmt"
	"time"
)

// LeaverRow is a linked user with the lifecycle fields of its employee:
// what the leaver step needs to decide on a deactivation, lock or rehire.
type LeaverRow struct {
	UserID               int64
	UserName             string
	UserEmail            string
	UserStatus           string
	UserRole             string
	DeactivateAt         *time.Time
	DeactivationReason   string
	LockedAt             *time.Time
	DeactivationSkipHash string
	PersonioID           int64
	EmployeeStatus       string
	LastWorkingDay       string
	TerminationDate      string
	RemovedAt            *time.Time
	RawHash              string
}

// LeaverFilter narrows LeaverRows.
type LeaverFilter struct {
	// UserIDs keeps only these users (nil: every linked user).
	UserIDs []int64
	// DueBy keeps only users not deactivated nor locked whose scheduled
	// deactivation is at or before this moment.
	DueBy *time.Time
}

// LeaverRows lists the organisation's users linked to an in-scope employee
// that is not excluded from the sync (removed employees included), by user
// id, with the employee's status, dates and record hash.
func (s *Store) LeaverRows(ctx context.Context, orgID int64, f LeaverFilter) ([]LeaverRow, error) {
	q := s.ctx(ctx).Table("users u").
		Select(`u.id AS user_id, u.name AS user_name, u.email AS user_email, u.status AS user_status, u.role AS user_role,
			u.deactivate_at AS deactivate_at, u.deactivation_reason AS deactivation_reason, u.locked_at AS locked_at,
			u.deactivation_skip_hash AS deactivation_skip_hash, e.personio_id AS personio_id, e.status AS employee_status,
			e.last_working_day AS last_working_day, e.termination_date AS termination_date, e.removed_at AS removed_at,
			e.raw_hash AS raw_hash`).
		Joins("JOIN hr_employees e ON e.org_id = u.org_id AND e.personio_id = u.personio_id").
		Where("u.org_id = ? AND e.in_scope = ?", orgID, true).
		Where(notExcludedSQL("e"))
	if f.UserIDs != nil {
		if len(f.UserIDs) == 0 {
			return nil, nil
		}
		q = q.Where("u.id IN ?", f.UserIDs)
	}
	if f.DueBy != nil {
		q = q.Where("u.status <> ? AND u.locked_at IS NULL AND u.deactivate_at IS NOT NULL AND u.deactivate_at <= ?", StatusDeactivated, *f.DueBy)
	}
	var out []LeaverRow
	if err := q.Order("u.id").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list leaver rows: %w", err)
	}
	return out, nil
}

// CountLinkedUsers counts the organisation's users linked to a Personio
// employee that are not deactivated (the safeguard's base).
func (s *Store) CountLinkedUsers(ctx context.Context, orgID int64) (int, error) {
	var n int64
	err := s.ctx(ctx).Model(&User{}).Where("org_id = ? AND personio_id IS NOT NULL AND status <> ?", orgID, StatusDeactivated).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count linked users: %w", err)
	}
	return int(n), nil
}

// TeamsLedBy lists the teams whose manager or approver is the user.
func (s *Store) TeamsLedBy(ctx context.Context, orgID, userID int64) ([]Team, error) {
	var out []Team
	err := s.ctx(ctx).Where("org_id = ? AND (manager_id = ? OR approver_id = ?)", orgID, userID, userID).Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list teams led by user %d: %w", userID, err)
	}
	return out, nil
}

// Reports lists the users whose manager is the user.
func (s *Store) Reports(ctx context.Context, orgID, managerID int64) ([]User, error) {
	var out []User
	err := s.ctx(ctx).Where("org_id = ? AND manager_id = ?", orgID, managerID).Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list reports of user %d: %w", managerID, err)
	}
	return out, nil
}

// DetachUser removes the user's team memberships, clears the team manager
// and approver roles held by the user and the manager of the user's
// reports.
func (s *Store) DetachUser(ctx context.Context, orgID, userID int64) error {
	db := s.ctx(ctx)
	if err := db.Where("org_id = ? AND user_id = ?", orgID, userID).Delete(&TeamMember{}).Error; err != nil {
		return fmt.Errorf("remove memberships of user %d: %w", userID, err)
	}
	now := s.db.NowFunc()
	for _, col := range []string{"manager_id", "approver_id"} {
		err := db.Model(&Team{}).Where("org_id = ? AND "+col+" = ?", orgID, userID).
			Updates(map[string]any{col: nil, "updated_at": now}).Error
		if err != nil {
			return fmt.Errorf("clear team %s of user %d: %w", col, userID, err)
		}
	}
	err := db.Model(&User{}).Where("org_id = ? AND manager_id = ?", orgID, userID).
		Updates(map[string]any{"manager_id": nil, "manager_source": "", "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("clear manager of reports of user %d: %w", userID, err)
	}
	return nil
}

// SetTeamRoleIfEmpty makes the user the team's manager (column
// "manager_id") or approver ("approver_id") when the team has none; it
// reports whether it did.
func (s *Store) SetTeamRoleIfEmpty(ctx context.Context, orgID, teamID int64, column string, userID int64) (bool, error) {
	if column != "manager_id" && column != "approver_id" {
		return false, fmt.Errorf("set team role: unknown column %q", column)
	}
	res := s.ctx(ctx).Model(&Team{}).Where("org_id = ? AND id = ? AND "+column+" IS NULL", orgID, teamID).
		Updates(map[string]any{column: userID, "updated_at": s.db.NowFunc()})
	if res.Error != nil {
		return false, fmt.Errorf("set team %d %s: %w", teamID, column, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// SetManagerIfEmpty gives the user (not deactivated) the manager when it
// has none; it reports whether it did.
func (s *Store) SetManagerIfEmpty(ctx context.Context, orgID, userID, managerID int64, source string) (bool, error) {
	res := s.ctx(ctx).Model(&User{}).Where("org_id = ? AND id = ? AND manager_id IS NULL AND status <> ?", orgID, userID, StatusDeactivated).
		Updates(map[string]any{"manager_id": managerID, "manager_source": source, "updated_at": s.db.NowFunc()})
	if res.Error != nil {
		return false, fmt.Errorf("set manager of user %d: %w", userID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// CreateUserDeactivation records a deactivation.
func (s *Store) CreateUserDeactivation(ctx context.Context, d *UserDeactivation) error {
	if err := s.ctx(ctx).Create(d).Error; err != nil {
		return fmt.Errorf("record deactivation of user %d: %w", d.UserID, err)
	}
	return nil
}

// LatestUserDeactivation loads the user's latest deactivation that was not
// undone.
func (s *Store) LatestUserDeactivation(ctx context.Context, orgID, userID int64) (*UserDeactivation, error) {
	var d UserDeactivation
	err := s.ctx(ctx).Where("org_id = ? AND user_id = ? AND undone_at IS NULL", orgID, userID).
		Order("deactivated_at DESC, id DESC").First(&d).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &d, nil
}

// MarkDeactivationUndone records who undid a deactivation and when.
func (s *Store) MarkDeactivationUndone(ctx context.Context, orgID, id int64, by *int64, at time.Time) error {
	err := s.ctx(ctx).Model(&UserDeactivation{}).Where("org_id = ? AND id = ?", orgID, id).
		Updates(map[string]any{"undone_at": at, "undone_by_id": by}).Error
	if err != nil {
		return fmt.Errorf("mark deactivation %d undone: %w", id, err)
	}
	return nil
}

// PendingSyncHold loads the organisation's pending safeguard hold.
func (s *Store) PendingSyncHold(ctx context.Context, orgID int64) (*SyncHold, error) {
	var h SyncHold
	err := s.ctx(ctx).Where("org_id = ? AND status = ?", orgID, HoldPending).Order("id").First(&h).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &h, nil
}

// SyncHold loads a safeguard hold of the organisation.
func (s *Store) SyncHold(ctx context.Context, orgID, id int64) (*SyncHold, error) {
	var h SyncHold
	if err := s.ctx(ctx).Where("org_id = ? AND id = ?", orgID, id).First(&h).Error; err != nil {
		return nil, notFound(err)
	}
	return &h, nil
}

// CreateSyncHold inserts a safeguard hold.
func (s *Store) CreateSyncHold(ctx context.Context, h *SyncHold) error {
	if err := s.ctx(ctx).Create(h).Error; err != nil {
		return fmt.Errorf("create safeguard hold: %w", err)
	}
	return nil
}

// UpdatePendingSyncHold replaces the users, counts and run of a pending
// hold.
func (s *Store) UpdatePendingSyncHold(ctx context.Context, h *SyncHold) error {
	err := s.ctx(ctx).Model(&SyncHold{}).Where("org_id = ? AND id = ? AND status = ?", h.OrgID, h.ID, HoldPending).
		Updates(map[string]any{"user_ids": h.UserIDs, "affected": h.Affected, "linked_total": h.LinkedTotal, "run_id": h.RunID}).Error
	if err != nil {
		return fmt.Errorf("update safeguard hold %d: %w", h.ID, err)
	}
	return nil
}

// DecideSyncHold confirms or discards a pending hold; it returns
// ErrConflict when the hold was already decided.
func (s *Store) DecideSyncHold(ctx context.Context, orgID, id int64, status string, by *int64, at time.Time) error {
	res := s.ctx(ctx).Model(&SyncHold{}).Where("org_id = ? AND id = ? AND status = ?", orgID, id, HoldPending).
		Updates(map[string]any{"status": status, "decided_at": at, "decided_by_id": by})
	if res.Error != nil {
		return fmt.Errorf("decide safeguard hold %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrConflict
	}
	return nil
}
