package store

import (
	"context"
	"fmt"
	"time"
)

// InsertTimeEntry adds an entry.
func (s *Store) InsertTimeEntry(ctx context.Context, e *TimeEntry) error {
	if err := s.ctx(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("insert time entry: %w", err)
	}
	return nil
}

// TimeEntry loads one entry of the organisation, deleted ones included;
// ErrNotFound when unknown.
func (s *Store) TimeEntry(ctx context.Context, orgID, id int64) (*TimeEntry, error) {
	var e TimeEntry
	if err := s.ctx(ctx).Where("org_id = ? AND id = ?", orgID, id).First(&e).Error; err != nil {
		return nil, notFound(err)
	}
	return &e, nil
}

// SaveTimeEntry writes every field of an entry of its organisation.
func (s *Store) SaveTimeEntry(ctx context.Context, e *TimeEntry) error {
	err := s.ctx(ctx).Model(&TimeEntry{}).Where("org_id = ? AND id = ?", e.OrgID, e.ID).Select("*").Omit("id", "org_id", "created_at").Updates(e).Error
	if err != nil {
		return fmt.Errorf("save time entry %d: %w", e.ID, err)
	}
	return nil
}

// SetTimeEntryPersonioID records the attendance period of an entry.
func (s *Store) SetTimeEntryPersonioID(ctx context.Context, orgID, id int64, personioID string) error {
	err := s.ctx(ctx).Model(&TimeEntry{}).Where("org_id = ? AND id = ?", orgID, id).Update("personio_id", personioID).Error
	if err != nil {
		return fmt.Errorf("save personio id of time entry %d: %w", id, err)
	}
	return nil
}

// PurgeTimeEntry removes a soft-deleted entry for good (its deletion was
// pushed, or it never reached Personio).
func (s *Store) PurgeTimeEntry(ctx context.Context, orgID, id int64) error {
	if err := s.ctx(ctx).Where("org_id = ? AND id = ? AND deleted_at IS NOT NULL", orgID, id).Delete(&TimeEntry{}).Error; err != nil {
		return fmt.Errorf("purge time entry %d: %w", id, err)
	}
	return nil
}

// RunningTimeEntry returns the user's running timer; ErrNotFound when none.
func (s *Store) RunningTimeEntry(ctx context.Context, orgID, userID int64) (*TimeEntry, error) {
	var e TimeEntry
	err := s.ctx(ctx).Where("org_id = ? AND user_id = ? AND status = ? AND deleted_at IS NULL", orgID, userID, TimeRunning).
		Order("id DESC").First(&e).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &e, nil
}

// UserTimeEntries returns the user's live entries of the days [from, to]
// (YYYY-MM-DD, inclusive), by day and start.
func (s *Store) UserTimeEntries(ctx context.Context, orgID, userID int64, from, to string) ([]TimeEntry, error) {
	var out []TimeEntry
	err := s.ctx(ctx).Where("org_id = ? AND user_id = ? AND deleted_at IS NULL AND day >= ? AND day <= ?", orgID, userID, from, to).
		Order("day, start_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list time entries: %w", err)
	}
	return out, nil
}

// ReviewTimeEntry is an entry waiting for its manager, with its owner's name.
type ReviewTimeEntry struct {
	TimeEntry
	UserName string
}

// TimeEntriesToReview returns the live completed entries of the given users
// (all users when all is true), oldest first, at most limit.
func (s *Store) TimeEntriesToReview(ctx context.Context, orgID int64, userIDs []int64, all bool, limit int) ([]ReviewTimeEntry, error) {
	var out []ReviewTimeEntry
	if !all && len(userIDs) == 0 {
		return out, nil
	}
	q := s.ctx(ctx).Table("time_entries").Select("time_entries.*, users.name AS user_name").
		Joins("JOIN users ON users.id = time_entries.user_id AND users.org_id = time_entries.org_id").
		Where("time_entries.org_id = ? AND time_entries.status = ? AND time_entries.deleted_at IS NULL", orgID, TimeCompleted)
	if !all {
		q = q.Where("time_entries.user_id IN ?", userIDs)
	}
	if err := q.Order("time_entries.day, time_entries.start_at, time_entries.id").Limit(limit).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("time entries to review: %w", err)
	}
	return out, nil
}

// ReportIDs returns the ids of the users managerID has manager rights over
// (direct reports and members of teams they manage or approve for).
func (s *Store) ReportIDs(ctx context.Context, orgID, managerID int64) ([]int64, error) {
	var ids []int64
	err := s.ctx(ctx).Model(&User{}).Where("users.org_id = ? AND users.id <> ?", orgID, managerID).
		Where("(users.manager_id = ? OR EXISTS (SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id AND t.org_id = tm.org_id "+
			"WHERE tm.org_id = users.org_id AND tm.user_id = users.id AND (t.manager_id = ? OR t.approver_id = ?)))",
			managerID, managerID, managerID).Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("reports of user %d: %w", managerID, err)
	}
	return ids, nil
}

// DecideTimeEntry sets the status of a completed entry and who decided it.
func (s *Store) DecideTimeEntry(ctx context.Context, orgID, id int64, status string, by int64, now time.Time) error {
	err := s.ctx(ctx).Model(&TimeEntry{}).Where("org_id = ? AND id = ?", orgID, id).
		Updates(map[string]any{"status": status, "decided_by_id": by, "decided_at": now.UTC(), "updated_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("decide time entry %d: %w", id, err)
	}
	return nil
}

// TimeEntryOwner is an entry's owner and day (API log labels).
type TimeEntryOwner struct {
	ID       int64
	UserID   int64
	UserName string
	Day      string
}

// TimeEntryOwners returns the owners of the given entries of the
// organisation, deleted entries included, by entry id.
func (s *Store) TimeEntryOwners(ctx context.Context, orgID int64, ids []int64) (map[int64]TimeEntryOwner, error) {
	out := map[int64]TimeEntryOwner{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []TimeEntryOwner
	err := s.ctx(ctx).Table("time_entries").Select("time_entries.id, time_entries.user_id, users.name AS user_name, time_entries.day").
		Joins("JOIN users ON users.id = time_entries.user_id AND users.org_id = time_entries.org_id").
		Where("time_entries.org_id = ? AND time_entries.id IN ?", orgID, ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("time entry owners: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}
