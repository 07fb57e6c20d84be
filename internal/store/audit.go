package store

import (
	"context"
	"time"

	"github.com/rosterhq/roster/internal/roster"
)

// AuditFilter selects audit events.
type AuditFilter struct {
	Action string
	Limit  int
	Offset int
}

// AddAudit appends an audit event.
func (s *Store) AddAudit(ctx context.Context, e *AuditEvent) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.db.NowFunc()
	}
	return s.ctx(ctx).Create(e).Error
}

// ListAudit returns a page of the organisation's audit events, newest first.
func (s *Store) ListAudit(ctx context.Context, orgID int64, f AuditFilter) ([]AuditEvent, int64, error) {
	q := s.ctx(ctx).Model(&AuditEvent{}).Where("org_id = ?", orgID)
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var es []AuditEvent
	q = q.Order("created_at DESC, id DESC")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	err := q.Find(&es).Error
	return es, total, err
}

// AuditActions lists the distinct actions recorded for the organisation (filter options).
func (s *Store) AuditActions(ctx context.Context, orgID int64) ([]string, error) {
	var as []string
	err := s.ctx(ctx).Model(&AuditEvent{}).Where("org_id = ?", orgID).Distinct("action").Order("action").Pluck("action", &as).Error
	return as, err
}

// NewAuditEvent builds the audit event of an action by a (a zero UserID means
// the system, e.g. the CLI); targetID 0 means no target row.
func NewAuditEvent(a roster.Actor, action, targetType string, targetID int64, label, details string, at time.Time) *AuditEvent {
	e := &AuditEvent{OrgID: a.OrgID, ActorName: a.Name, Action: action, TargetType: targetType, TargetLabel: label, Details: details, CreatedAt: at}
	if a.UserID != 0 {
		uid := a.UserID
		e.ActorID = &uid
	}
	if targetID != 0 {
		e.TargetID = &targetID
	}
	return e
}
