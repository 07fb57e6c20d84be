package store

import (
	"context"
	"fmt"
)

// UnlinkedUsers lists the organisation's users that are not linked to a
// Personio employee and not deactivated, by name.
func (s *Store) UnlinkedUsers(ctx context.Context, orgID int64) ([]User, error) {
	var us []User
	err := s.ctx(ctx).Where("org_id = ? AND personio_id IS NULL AND status <> ?", orgID, StatusDeactivated).
		Order("LOWER(name), id").Find(&us).Error
	if err != nil {
		return nil, fmt.Errorf("list unlinked users: %w", err)
	}
	return us, nil
}

// UnlinkedHREmployeesByEmail lists the live employees of the organisation
// that no user is linked to, not excluded from the sync, and whose
// (normalised) email is one of emails.
func (s *Store) UnlinkedHREmployeesByEmail(ctx context.Context, orgID int64, emails []string) ([]HREmployee, error) {
	var out []HREmployee
	f := false
	for start := 0; start < len(emails); start += 500 {
		end := min(start+500, len(emails))
		var es []HREmployee
		err := s.hrEmployeeQuery(ctx, orgID, HREmployeeFilter{Linked: &f, Excluded: &f}).
			Where("email IN ?", emails[start:end]).Order("email, last_name, first_name, personio_id").Find(&es).Error
		if err != nil {
			return nil, fmt.Errorf("list employees by email: %w", err)
		}
		out = append(out, es...)
	}
	return out, nil
}
