package store

import (
	"context"
	"fmt"
)

// ProfileTimeEntry is a time entry with the state of its latest push to
// Personio ("" when it was never queued).
type ProfileTimeEntry struct {
	TimeEntry
	PushState string
	PushError string
}

// ProfileTimeEntries returns the user's live entries of the days [from, to]
// (YYYY-MM-DD, inclusive), by day and start, each with the state of its
// latest push, in one query.
func (s *Store) ProfileTimeEntries(ctx context.Context, orgID, userID int64, from, to string) ([]ProfileTimeEntry, error) {
	const last = "(SELECT o.%s FROM outbox_items o WHERE o.org_id = t.org_id AND o.kind = '" + OutboxTimeEntry +
		"' AND o.record_id = t.id ORDER BY o.id DESC LIMIT 1)"
	var out []ProfileTimeEntry
	err := s.ctx(ctx).Table("time_entries t").
		Select("t.*, COALESCE("+fmt.Sprintf(last, "state")+", '') AS push_state, COALESCE("+fmt.Sprintf(last, "last_error")+", '') AS push_error").
		Where("t.org_id = ? AND t.user_id = ? AND t.deleted_at IS NULL AND t.day >= ? AND t.day <= ?", orgID, userID, from, to).
		Order("t.day, t.start_at, t.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("time entries of user %d: %w", userID, err)
	}
	return out, nil
}
