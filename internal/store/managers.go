package store

import (
	"context"
	"fmt"
	"time"
)

// SourcePersonio marks a value the HR sync set: users.manager_source and
// users.role_source.
const SourcePersonio = "personio"

// ManagerRow is a user of the organisation with what the manager sync
// compares: the user's manager and role, and the supervisor of the
// Personio employee the user is linked to.
type ManagerRow struct {
	UserID        int64 `gorm:"column:user_id"`
	Email         string
	Name          string
	Role          string
	RoleSource    string
	Status        string
	ManagerID     *int64
	ManagerSource string
	PersonioID    *int64
	// EmployeeRowID is set when the linked employee is in the mirror and
	// not removed from Personio.
	EmployeeRowID *int64
	SupervisorID  *int64
	InScope       *bool
	// ExcludedID is set when the linked employee is excluded from the sync.
	ExcludedID *int64
}

// ManagerRows lists every user of the organisation (deactivated ones too,
// by id) with the supervisor of their linked employee, in one query.
func (s *Store) ManagerRows(ctx context.Context, orgID int64) ([]ManagerRow, error) {
	var out []ManagerRow
	err := s.ctx(ctx).Table("users u").
		Select("u.id AS user_id, u.email, u.name, u.role, u.role_source, u.status, u.manager_id, u.manager_source, u.personio_id, "+
			"e.id AS employee_row_id, e.supervisor_id, e.in_scope, x.personio_id AS excluded_id").
		Joins("LEFT JOIN hr_employees e ON e.org_id = u.org_id AND e.personio_id = u.personio_id AND e.removed_at IS NULL").
		Joins("LEFT JOIN hr_exclusions x ON x.org_id = u.org_id AND x.personio_id = u.personio_id").
		Where("u.org_id = ?", orgID).Order("u.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list manager rows: %w", err)
	}
	return out, nil
}

// updateChunk is how many ids one UPDATE … WHERE id IN lists.
const updateChunk = 500

// UpdateUsersFields sets the same columns on the given users of the
// organisation, in chunks, with updated_at.
func (s *Store) UpdateUsersFields(ctx context.Context, orgID int64, ids []int64, fields map[string]any) error {
	for start := 0; start < len(ids); start += updateChunk {
		end := min(start+updateChunk, len(ids))
		f := make(map[string]any, len(fields)+1)
		for k, v := range fields {
			f[k] = v
		}
		f["updated_at"] = s.db.NowFunc()
		if err := s.ctx(ctx).Model(&User{}).Where("org_id = ? AND id IN ?", orgID, ids[start:end]).Updates(f).Error; err != nil {
			return fmt.Errorf("update users: %w", err)
		}
	}
	return nil
}

// AddAudits appends audit events in batches.
func (s *Store) AddAudits(ctx context.Context, es []AuditEvent) error {
	if len(es) == 0 {
		return nil
	}
	now := s.db.NowFunc()
	for i := range es {
		if es[i].CreatedAt.IsZero() {
			es[i].CreatedAt = now
		}
	}
	if err := s.ctx(ctx).CreateInBatches(es, 200).Error; err != nil {
		return fmt.Errorf("add audit events: %w", err)
	}
	return nil
}

// IsManagerOf reports whether managerUserID has manager rights over userID
// in the organisation: userID reports to them directly (users.manager_id),
// or belongs to a team they manage or approve for (teams.manager_id,
// teams.approver_id). Nobody is their own manager.
func (s *Store) IsManagerOf(ctx context.Context, orgID, managerUserID, userID int64) (bool, error) {
	if managerUserID == userID || managerUserID == 0 || userID == 0 {
		return false, nil
	}
	var n int64
	err := s.ctx(ctx).Model(&User{}).
		Where("users.org_id = ? AND users.id = ?", orgID, userID).
		Where("(users.manager_id = ? OR EXISTS (SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id AND t.org_id = tm.org_id "+
			"WHERE tm.org_id = users.org_id AND tm.user_id = users.id AND (t.manager_id = ? OR t.approver_id = ?)))",
			managerUserID, managerUserID, managerUserID).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("check manager of user %d: %w", userID, err)
	}
	return n > 0, nil
}

// SetUsersManager points the given users at managerID (nil clears it) with
// source ("personio" or ""), marking them synced at now.
func (s *Store) SetUsersManager(ctx context.Context, orgID int64, ids []int64, managerID *int64, source string, now time.Time) error {
	return s.UpdateUsersFields(ctx, orgID, ids, map[string]any{"manager_id": managerID, "manager_source": source, "personio_synced_at": now.UTC()})
}

// SetUsersRole gives the given users role with source ("personio" or ""),
// marking them synced at now.
func (s *Store) SetUsersRole(ctx context.Context, orgID int64, ids []int64, role, source string, now time.Time) error {
	return s.UpdateUsersFields(ctx, orgID, ids, map[string]any{"role": role, "role_source": source, "personio_synced_at": now.UTC()})
}
