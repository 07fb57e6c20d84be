package store

import "context"

// LatestAuditOf returns the newest audit event recording one of actions on
// the target (targetType, targetID) of the organisation, or ErrNotFound.
func (s *Store) LatestAuditOf(ctx context.Context, orgID int64, targetType string, targetID int64, actions ...string) (*AuditEvent, error) {
	var e AuditEvent
	q := s.ctx(ctx).Where("org_id = ? AND target_type = ? AND target_id = ?", orgID, targetType, targetID)
	if len(actions) > 0 {
		q = q.Where("action IN ?", actions)
	}
	if err := q.Order("created_at DESC, id DESC").First(&e).Error; err != nil {
		return nil, notFound(err)
	}
	return &e, nil
}
