package store

import (
	"context"
	"time"
)

// SessionUser is a valid session joined with its user.
type SessionUser struct {
	Session Session
	User    User
}

// CreateSession inserts a session.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	return s.ctx(ctx).Create(sess).Error
}

// SessionWithUser loads an unexpired session and its user.
func (s *Store) SessionWithUser(ctx context.Context, id string, now time.Time) (*SessionUser, error) {
	var sess Session
	if err := s.ctx(ctx).First(&sess, "id = ? AND expires_at > ?", id, now).Error; err != nil {
		return nil, notFound(err)
	}
	var u User
	if err := s.ctx(ctx).First(&u, "id = ? AND org_id = ?", sess.UserID, sess.OrgID).Error; err != nil {
		return nil, notFound(err)
	}
	return &SessionUser{Session: sess, User: u}, nil
}

// TouchSession extends a session's last-seen time.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.ctx(ctx).Model(&Session{}).Where("id = ?", id).Update("last_seen_at", at).Error
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.ctx(ctx).Where("id = ?", id).Delete(&Session{}).Error
}

// DeleteUserSessions ends every session of a user (deactivation, password change).
func (s *Store) DeleteUserSessions(ctx context.Context, orgID, userID int64) error {
	return s.ctx(ctx).Where("org_id = ? AND user_id = ?", orgID, userID).Delete(&Session{}).Error
}

// DeleteExpiredSessions prunes expired sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.ctx(ctx).Where("expires_at <= ?", now).Delete(&Session{})
	return res.RowsAffected, res.Error
}
