package hrinvite

import (
	"context"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// Audit actions of exclusions.
const (
	ActionExcluded = "hr.employee_excluded"
	ActionIncluded = "hr.employee_included"
)

// Exclude excludes a Personio employee of the organisation's mirror from
// the sync: it is no longer offered for invite or linking and its linked
// user is no longer changed by the sync. An employee not in the mirror is
// roster.ErrNotFound. It reports whether the employee was not excluded yet.
func (s *Service) Exclude(ctx context.Context, a roster.Actor, personioID int64, reason string) (*store.HREmployee, bool, error) {
	return s.setExcluded(ctx, a, personioID, true, strings.TrimSpace(reason))
}

// Include undoes Exclude. It reports whether the employee was excluded.
func (s *Service) Include(ctx context.Context, a roster.Actor, personioID int64) (*store.HREmployee, bool, error) {
	return s.setExcluded(ctx, a, personioID, false, "")
}

func (s *Service) setExcluded(ctx context.Context, a roster.Actor, personioID int64, exclude bool, reason string) (*store.HREmployee, bool, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, false, err
	}
	now := s.now().UTC()
	var (
		emp     *store.HREmployee
		changed bool
	)
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		emp, err = tx.HREmployee(ctx, a.OrgID, personioID)
		if err != nil {
			return err // store.ErrNotFound is roster.ErrNotFound
		}
		action := ActionIncluded
		if exclude {
			action = ActionExcluded
			x := &store.HRExclusion{OrgID: a.OrgID, PersonioID: personioID, Reason: reason, CreatedAt: now}
			if a.UserID != 0 {
				uid := a.UserID
				x.ExcludedByID = &uid
			}
			changed, err = tx.ExcludeHREmployee(ctx, x)
		} else {
			changed, err = tx.IncludeHREmployee(ctx, a.OrgID, personioID)
		}
		if err != nil || !changed {
			return err
		}
		details := fmt.Sprintf("Personio employee %d", personioID)
		if reason != "" {
			details += "; reason: " + reason
		}
		return tx.AddAudit(ctx, store.NewAuditEvent(a, action, "hr_employee", personioID, emp.DisplayName(), details, now))
	})
	if err != nil {
		return nil, false, err
	}
	return emp, changed, nil
}

// Excluded returns which of the given personio ids of the organisation are
// excluded from the sync.
func (s *Service) Excluded(ctx context.Context, a roster.Actor, personioIDs []int64) (map[int64]bool, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	return s.store.ExcludedHREmployees(ctx, a.OrgID, personioIDs)
}
