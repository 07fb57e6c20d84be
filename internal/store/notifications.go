package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// AddNotification inserts n; with a DedupeKey already used for the same
// user it inserts nothing. It reports whether a row was inserted.
func (s *Store) AddNotification(ctx context.Context, n *Notification) (bool, error) {
	if n.CreatedAt.IsZero() {
		n.CreatedAt = s.db.NowFunc()
	}
	q := s.ctx(ctx)
	if n.DedupeKey != "" {
		q = q.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "org_id"}, {Name: "user_id"}, {Name: "dedupe_key"}},
			TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "dedupe_key <> ''"}}}, DoNothing: true})
	}
	res := q.Create(n)
	if res.Error != nil {
		return false, fmt.Errorf("add notification: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// Notifications lists a user's notifications, newest first.
func (s *Store) Notifications(ctx context.Context, orgID, userID int64, unreadOnly bool, limit, offset int) ([]Notification, int64, error) {
	q := s.ctx(ctx).Model(&Notification{}).Where("org_id = ? AND user_id = ?", orgID, userID)
	if unreadOnly {
		q = q.Where("read_at IS NULL")
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count notifications: %w", err)
	}
	var out []Notification
	err := q.Order("created_at DESC, id DESC").Limit(limit).Offset(offset).Find(&out).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", err)
	}
	return out, total, nil
}

// UnreadNotifications counts a user's unread notifications.
func (s *Store) UnreadNotifications(ctx context.Context, orgID, userID int64) (int64, error) {
	var n int64
	err := s.ctx(ctx).Model(&Notification{}).Where("org_id = ? AND user_id = ? AND read_at IS NULL", orgID, userID).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return n, nil
}

// MarkNotificationsRead marks the given notifications of the user read (all
// of them when ids is empty) and returns how many changed.
func (s *Store) MarkNotificationsRead(ctx context.Context, orgID, userID int64, ids []int64, at time.Time) (int64, error) {
	q := s.ctx(ctx).Model(&Notification{}).Where("org_id = ? AND user_id = ? AND read_at IS NULL", orgID, userID)
	if len(ids) > 0 {
		q = q.Where("id IN ?", ids)
	}
	res := q.Update("read_at", at.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("mark notifications read: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// ActiveAdminIDs lists the active owners and admins of the organisation.
func (s *Store) ActiveAdminIDs(ctx context.Context, orgID int64) ([]int64, error) {
	var ids []int64
	err := s.ctx(ctx).Model(&User{}).Where("org_id = ? AND status = ? AND locked_at IS NULL AND role IN ?", orgID, StatusActive, []string{RoleOwner, RoleAdmin}).
		Order("id").Pluck("id", &ids).Error
	return ids, err
}

// Notification loads one notification of the user; ErrNotFound when it
// does not exist or belongs to someone else.
func (s *Store) Notification(ctx context.Context, orgID, userID, id int64) (*Notification, error) {
	var n Notification
	if err := s.ctx(ctx).Where("org_id = ? AND user_id = ? AND id = ?", orgID, userID, id).First(&n).Error; err != nil {
		return nil, notFound(err)
	}
	return &n, nil
}
