package store

import (
	"context"
	"fmt"
)

// LinkedEmployee is an employee row with the user linked to it and the
// user's current values of the fields the sync manages.
type LinkedEmployee struct {
	HREmployee          `gorm:"embedded"`
	UserID              int64
	UserEmail           string
	UserName            string
	UserJobTitle        string
	UserHireDate        string
	UserLastWorkingDay  string
	UserTerminationDate string
	UserCostCenter      string
	UserPictureURL      string
}

// ChangedLinkedEmployees lists, by user id after afterUserID and at most
// limit of them, the live, in-scope employees last changed by the run that
// are not excluded from the sync and whose linked user is not deactivated,
// each with that user.
func (s *Store) ChangedLinkedEmployees(ctx context.Context, orgID, runID, afterUserID int64, limit int) ([]LinkedEmployee, error) {
	var out []LinkedEmployee
	err := s.ctx(ctx).Table("hr_employees e").
		Select("e.*, u.id AS user_id, u.email AS user_email, u.name AS user_name, u.job_title AS user_job_title, "+
			"u.hire_date AS user_hire_date, u.last_working_day AS user_last_working_day, u.termination_date AS user_termination_date, "+
			"u.cost_center AS user_cost_center, u.picture_url AS user_picture_url").
		Joins("JOIN users u ON u.org_id = e.org_id AND u.personio_id = e.personio_id").
		Where("e.org_id = ? AND e.last_run_id = ? AND e.removed_at IS NULL AND e.in_scope = ? AND u.status <> ? AND u.id > ?",
			orgID, runID, true, StatusDeactivated, afterUserID).
		Where(notExcludedSQL("e")).
		Order("u.id").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list changed linked employees: %w", err)
	}
	return out, nil
}

// MembershipsOfUsers lists the team memberships of the given users of the
// organisation.
func (s *Store) MembershipsOfUsers(ctx context.Context, orgID int64, userIDs []int64) ([]TeamMember, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	var out []TeamMember
	err := s.ctx(ctx).Where("org_id = ? AND user_id IN ?", orgID, userIDs).Order("user_id, team_id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	return out, nil
}
