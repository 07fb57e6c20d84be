package store

import (
	"context"
	"fmt"
	"time"
)

// UserCounts counts an organisation's users by status and link to the HR
// system.
type UserCounts struct {
	Active, Invited, Deactivated int64
	// Linked and Unlinked count users who are not deactivated.
	Linked, Unlinked int64
}

// CountUsersForDashboard counts the organisation's users by status and,
// among those not deactivated, linked to an employee or not (one query).
func (s *Store) CountUsersForDashboard(ctx context.Context, orgID int64) (UserCounts, error) {
	var rows []struct {
		Status string
		Linked int
		N      int64
	}
	err := s.ctx(ctx).Model(&User{}).
		Select("status, CASE WHEN personio_id IS NULL THEN 0 ELSE 1 END AS linked, COUNT(*) AS n").
		Where("org_id = ?", orgID).Group("status, CASE WHEN personio_id IS NULL THEN 0 ELSE 1 END").Scan(&rows).Error
	var c UserCounts
	for _, r := range rows {
		switch r.Status {
		case StatusActive:
			c.Active += r.N
		case StatusInvited:
			c.Invited += r.N
		case StatusDeactivated:
			c.Deactivated += r.N
			continue
		}
		if r.Linked == 1 {
			c.Linked += r.N
		} else {
			c.Unlinked += r.N
		}
	}
	return c, err
}

// CountFailedSyncRuns counts the organisation's failed runs started at or
// after since.
func (s *Store) CountFailedSyncRuns(ctx context.Context, orgID int64, since time.Time) (int64, error) {
	var n int64
	err := s.ctx(ctx).Model(&SyncRun{}).Where("org_id = ? AND status = ? AND started_at >= ?", orgID, RunFailed, since).Count(&n).Error
	return n, err
}

// UpcomingEmployee is an employee joining or leaving soon, with the Roster
// user linked to it, if any.
type UpcomingEmployee struct {
	PersonioID     int64
	FirstName      string
	LastName       string
	PreferredName  string
	Position       string
	TeamName       string
	DepartmentName string
	Date           string // hire date, or last working day (termination date when none)
	UserID         *int64
	UserStatus     string
}

// DisplayName is the preferred name, or first and last name.
func (e *UpcomingEmployee) DisplayName() string {
	if e.PreferredName != "" {
		return e.PreferredName
	}
	return joinName(e.FirstName, e.LastName)
}

func joinName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

const upcomingSelect = "e.personio_id, e.first_name, e.last_name, e.preferred_name, e.position, e.team_name, e.department_name, %s AS date, u.id AS user_id, u.status AS user_status"

// UpcomingJoiners lists the in-scope employees whose hire date is between
// from and to ("YYYY-MM-DD", inclusive), soonest first, at most limit.
func (s *Store) UpcomingJoiners(ctx context.Context, orgID int64, from, to string, limit int) ([]UpcomingEmployee, error) {
	var out []UpcomingEmployee
	err := s.ctx(ctx).Table("hr_employees e").
		Select(fmt.Sprintf(upcomingSelect, "e.hire_date")).
		Joins("LEFT JOIN users u ON u.org_id = e.org_id AND u.personio_id = e.personio_id").
		Where("e.org_id = ? AND e.removed_at IS NULL AND e.in_scope = ? AND e.hire_date >= ? AND e.hire_date <= ?", orgID, true, from, to).
		Order("e.hire_date, e.last_name, e.first_name, e.personio_id").Limit(limit).Scan(&out).Error
	return out, err
}

// leaveDate is the day an employee leaves: the last working day, else the
// termination date.
const leaveDate = "CASE WHEN e.last_working_day <> '' THEN e.last_working_day ELSE e.termination_date END"

// UpcomingLeavers lists the in-scope employees whose last working day (or
// termination date) is between from and to, soonest first, at most limit.
func (s *Store) UpcomingLeavers(ctx context.Context, orgID int64, from, to string, limit int) ([]UpcomingEmployee, error) {
	var out []UpcomingEmployee
	err := s.ctx(ctx).Table("hr_employees e").
		Select(fmt.Sprintf(upcomingSelect, leaveDate)).
		Joins("LEFT JOIN users u ON u.org_id = e.org_id AND u.personio_id = e.personio_id").
		Where("e.org_id = ? AND e.removed_at IS NULL AND e.in_scope = ? AND "+leaveDate+" >= ? AND "+leaveDate+" <= ?", orgID, true, from, to).
		Order("date, e.last_name, e.first_name, e.personio_id").Limit(limit).Scan(&out).Error
	return out, err
}
