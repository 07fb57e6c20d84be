package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// The drift report's queries: each answers one category for one
// organisation in a fixed number of statements, whatever its size.

// unmatchedUsersQuery selects the organisation's users that are not
// deactivated, not linked to an employee, and whose email no live employee
// of the mirror has (both sides store emails normalised).
func (s *Store) unmatchedUsersQuery(ctx context.Context, orgID int64) *gorm.DB {
	return s.ctx(ctx).Model(&User{}).
		Where("users.org_id = ? AND users.personio_id IS NULL AND users.status <> ?", orgID, StatusDeactivated).
		Where("NOT EXISTS (SELECT 1 FROM hr_employees e WHERE e.org_id = users.org_id AND e.email = users.email AND e.email <> '' AND e.removed_at IS NULL)")
}

// DriftUnmatchedUsers returns a page (by name) of the organisation's users
// that no Personio employee matches: not deactivated, not linked, and no
// live employee has their email; and how many there are.
func (s *Store) DriftUnmatchedUsers(ctx context.Context, orgID int64, limit, offset int) ([]User, int64, error) {
	var total int64
	if err := s.unmatchedUsersQuery(ctx, orgID).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count unmatched users: %w", err)
	}
	var us []User
	if err := s.unmatchedUsersQuery(ctx, orgID).Order("users.name, users.id").Limit(limit).Offset(offset).Find(&us).Error; err != nil {
		return nil, 0, fmt.Errorf("list unmatched users: %w", err)
	}
	return us, total, nil
}

// DriftEmailRow is a linked user whose email differs from the email of
// their Personio employee.
type DriftEmailRow struct {
	UserID        int64
	UserName      string
	UserEmail     string
	PersonioID    int64
	FirstName     string
	LastName      string
	EmployeeEmail string
}

func (s *Store) emailMismatchQuery(ctx context.Context, orgID int64) *gorm.DB {
	return s.ctx(ctx).Table("users u").
		Joins("JOIN hr_employees e ON e.org_id = u.org_id AND e.personio_id = u.personio_id").
		Where("u.org_id = ? AND u.status <> ? AND e.removed_at IS NULL AND e.email <> '' AND e.email <> u.email", orgID, StatusDeactivated).
		Where(notExcludedSQL("e"))
}

// DriftEmailMismatches returns a page (by user name) of the organisation's
// linked, not deactivated users whose email differs from their live, not
// excluded employee's (non-empty) Personio email; and how many there are.
func (s *Store) DriftEmailMismatches(ctx context.Context, orgID int64, limit, offset int) ([]DriftEmailRow, int64, error) {
	var total int64
	if err := s.emailMismatchQuery(ctx, orgID).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count email mismatches: %w", err)
	}
	var out []DriftEmailRow
	err := s.emailMismatchQuery(ctx, orgID).
		Select("u.id AS user_id, u.name AS user_name, u.email AS user_email, e.personio_id, e.first_name, e.last_name, e.email AS employee_email").
		Order("u.name, u.id").Limit(limit).Offset(offset).Scan(&out).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list email mismatches: %w", err)
	}
	return out, total, nil
}

// DriftSyncedUsers lists, by user id, every not deactivated user of the
// organisation linked to a live, in-scope employee not excluded from the
// sync — the users the next sync keeps equal to Personio — each with that
// employee and the user's values of the managed fields.
func (s *Store) DriftSyncedUsers(ctx context.Context, orgID int64) ([]LinkedEmployee, error) {
	var out []LinkedEmployee
	err := s.ctx(ctx).Table("hr_employees e").
		Select("e.*, u.id AS user_id, u.email AS user_email, u.name AS user_name, u.job_title AS user_job_title, "+
			"u.hire_date AS user_hire_date, u.last_working_day AS user_last_working_day, u.termination_date AS user_termination_date, "+
			"u.cost_center AS user_cost_center, u.picture_url AS user_picture_url").
		Joins("JOIN users u ON u.org_id = e.org_id AND u.personio_id = e.personio_id").
		Where("e.org_id = ? AND e.removed_at IS NULL AND e.in_scope = ? AND u.status <> ?", orgID, true, StatusDeactivated).
		Where(notExcludedSQL("e")).
		Order("u.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list synced users: %w", err)
	}
	return out, nil
}

// DriftMapping is a team mapping with the Roster team it points to;
// TeamFound is false when that team no longer exists.
type DriftMapping struct {
	TeamMapping `gorm:"embedded"`
	TeamName    string
	TeamFound   bool
}

// DriftMappings lists the organisation's mappings of the source, by
// Personio name, each with its Roster team (if it still exists).
func (s *Store) DriftMappings(ctx context.Context, orgID int64, source string) ([]DriftMapping, error) {
	var rows []struct {
		TeamMapping `gorm:"embedded"`
		TName       *string
	}
	err := s.ctx(ctx).Table("team_mappings").
		Select("team_mappings.*, t.name AS t_name").
		Joins("LEFT JOIN teams t ON t.org_id = team_mappings.org_id AND t.id = team_mappings.team_id").
		Where("team_mappings.org_id = ? AND team_mappings.source = ?", orgID, source).
		Order("team_mappings.personio_name, team_mappings.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list team mappings: %w", err)
	}
	out := make([]DriftMapping, len(rows))
	for i, r := range rows {
		out[i] = DriftMapping{TeamMapping: r.TeamMapping, TeamFound: r.TName != nil}
		if r.TName != nil {
			out[i].TeamName = *r.TName
		}
	}
	return out, nil
}

// TeamMapping loads one mapping of the organisation by id.
func (s *Store) TeamMapping(ctx context.Context, orgID, id int64) (*TeamMapping, error) {
	var m TeamMapping
	err := s.ctx(ctx).First(&m, "org_id = ? AND id = ?", orgID, id).Error
	return &m, notFound(err)
}

// DeleteTeamMappingByID removes one mapping of the organisation; a mapping
// that is not there is ErrNotFound.
func (s *Store) DeleteTeamMappingByID(ctx context.Context, orgID, id int64) error {
	res := s.ctx(ctx).Where("org_id = ? AND id = ?", orgID, id).Delete(&TeamMapping{})
	if res.Error != nil {
		return fmt.Errorf("delete team mapping %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
