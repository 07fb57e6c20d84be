package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// HRStatusInactive is the Personio status of a former employee.
const HRStatusInactive = "inactive"

// invitable narrows an employee query to those an admin may invite on the
// day today ("YYYY-MM-DD"): live, inside the sync filters, not inactive,
// neither terminated nor past their last working day, not excluded from the
// sync, not linked to a user and whose email no user of the organisation has.
func invitable(q *gorm.DB, today string) *gorm.DB {
	return q.Where("removed_at IS NULL AND in_scope = ? AND status <> ?", true, HRStatusInactive).
		Where("(termination_date IS NULL OR termination_date = '' OR termination_date >= ?)", today).
		Where("(last_working_day IS NULL OR last_working_day = '' OR last_working_day >= ?)", today).
		Where(notExcludedSQL("hr_employees")).
		// Two NOT EXISTS, each answered by an index of users ((org_id,
		// personio_id) and (org_id, email)); users' emails are stored
		// normalised (accounts.NormalizeEmail), as the mirror's are.
		Where("NOT EXISTS (SELECT 1 FROM users u WHERE u.org_id = hr_employees.org_id AND u.personio_id = hr_employees.personio_id)").
		Where("(hr_employees.email = '' OR NOT EXISTS (SELECT 1 FROM users u WHERE u.org_id = hr_employees.org_id AND u.email = hr_employees.email))")
}

// ListInvitableHREmployees returns a page of the employees matching f that
// can be invited on the day today (see invitable), by name, and how many
// match. Limit 0 returns them all.
func (s *Store) ListInvitableHREmployees(ctx context.Context, orgID int64, f HREmployeeFilter, today string) ([]HREmployee, int64, error) {
	f.IncludeRemoved = false
	q := invitable(s.hrEmployeeQuery(ctx, orgID, f), today)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count invitable employees: %w", err)
	}
	var es []HREmployee
	q = invitable(s.hrEmployeeQuery(ctx, orgID, f), today).Order("last_name, first_name, personio_id")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	if err := q.Find(&es).Error; err != nil {
		return nil, 0, fmt.Errorf("list invitable employees: %w", err)
	}
	return es, total, nil
}

// HREmployeesByIDs loads the organisation's mirrored employees (removed
// ones too) by personio id.
func (s *Store) HREmployeesByIDs(ctx context.Context, orgID int64, personioIDs []int64) (map[int64]HREmployee, error) {
	out := make(map[int64]HREmployee, len(personioIDs))
	for start := 0; start < len(personioIDs); start += 500 {
		end := min(start+500, len(personioIDs))
		var es []HREmployee
		if err := s.ctx(ctx).Where("org_id = ? AND personio_id IN ?", orgID, personioIDs[start:end]).Find(&es).Error; err != nil {
			return nil, fmt.Errorf("load employees: %w", err)
		}
		for _, e := range es {
			out[e.PersonioID] = e
		}
	}
	return out, nil
}

// UsersByEmails maps lower-cased, trimmed emails to the organisation's
// users that have them.
func (s *Store) UsersByEmails(ctx context.Context, orgID int64, emails []string) (map[string]User, error) {
	out := make(map[string]User, len(emails))
	for start := 0; start < len(emails); start += 500 {
		end := min(start+500, len(emails))
		var us []User
		if err := s.ctx(ctx).Where("org_id = ? AND LOWER(TRIM(email)) IN ?", orgID, emails[start:end]).Find(&us).Error; err != nil {
			return nil, fmt.Errorf("load users by email: %w", err)
		}
		for _, u := range us {
			out[strings.ToLower(strings.TrimSpace(u.Email))] = u
		}
	}
	return out, nil
}
