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
//
// A page takes two queries whatever the size of the mirror: the ids of the
// page with the number of matches (one pass over the matches, read from the
// live mirror's facets index), then the page's rows by id.
func (s *Store) ListInvitableHREmployees(ctx context.Context, orgID int64, f HREmployeeFilter, today string) ([]HREmployee, int64, error) {
	f.IncludeRemoved = false
	const order = "last_name, first_name, personio_id"
	if f.Limit <= 0 {
		var es []HREmployee
		if err := invitable(s.hrEmployeeQuery(ctx, orgID, f), today).Order(order).Find(&es).Error; err != nil {
			return nil, 0, fmt.Errorf("list invitable employees: %w", err)
		}
		return es, int64(len(es)), nil
	}
	var page []struct {
		PersonioID int64
		Total      int64
	}
	err := invitable(s.hrEmployeeQuery(ctx, orgID, f), today).Select("personio_id, COUNT(*) OVER () AS total").
		Order(order).Limit(f.Limit).Offset(f.Offset).Scan(&page).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list invitable employees: %w", err)
	}
	if len(page) == 0 {
		if f.Offset == 0 {
			return nil, 0, nil
		}
		// Past the last page: the matches are counted on their own.
		var total int64
		if err := invitable(s.hrEmployeeQuery(ctx, orgID, f), today).Count(&total).Error; err != nil {
			return nil, 0, fmt.Errorf("count invitable employees: %w", err)
		}
		return nil, total, nil
	}
	ids := make([]int64, len(page))
	for i, p := range page {
		ids[i] = p.PersonioID
	}
	var rows []HREmployee
	if err := s.ctx(ctx).Where("org_id = ? AND personio_id IN ?", orgID, ids).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list invitable employees: %w", err)
	}
	byID := make(map[int64]int, len(rows))
	for i := range rows {
		byID[rows[i].PersonioID] = i
	}
	es := make([]HREmployee, 0, len(ids))
	for _, id := range ids {
		if i, ok := byID[id]; ok {
			es = append(es, rows[i])
		}
	}
	return es, page[0].Total, nil
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
