// Package notify delivers in-app notifications (the bell) and their emails.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// Notification kinds.
const (
	KindNewHire     = "new_hire"
	KindSafeguard   = "safeguard"
	KindDeactivated = "deactivated"
	KindFirstImport = "first_import"
	KindApproval    = "approval"
	KindOutOfOffice = "out_of_office"
	KindHealth      = "health"
)

// Note is one notification to deliver.
type Note struct {
	Kind  string
	Title string
	Body  string
	// Link is a path inside Roster ("/users/invite-hr?q=Ada").
	Link string
	// DedupeKey, when set, delivers the note at most once per recipient.
	DedupeKey string
	// Email also sends the note by email (once per recipient, with the
	// in-app row).
	Email bool
}

// EmailFunc sends a notification email to a user (accounts.Service.EmailUser).
type EmailFunc func(ctx context.Context, orgID, userID int64, subject, text, path string) error

// Service delivers notes.
type Service struct {
	st    *store.Store
	email EmailFunc
	now   func() time.Time
	log   *slog.Logger
}

// New builds a Service; email may be nil (in-app only), now defaults to
// time.Now and log discards when nil.
func New(st *store.Store, email EmailFunc, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, email: email, now: now, log: log}
}

// Notify delivers n to each recipient and returns how many got it (a
// recipient who already had a note with the same DedupeKey gets nothing).
// Email failures are logged, not returned: the in-app note is kept.
func (s *Service) Notify(ctx context.Context, orgID int64, recipients []int64, n Note) (int, error) {
	sent := 0
	for _, uid := range recipients {
		row := &store.Notification{OrgID: orgID, UserID: uid, Kind: n.Kind, Title: n.Title, Body: n.Body,
			Link: n.Link, DedupeKey: n.DedupeKey, CreatedAt: s.now().UTC()}
		ok, err := s.st.AddNotification(ctx, row)
		if err != nil {
			return sent, fmt.Errorf("notify user %d: %w", uid, err)
		}
		if !ok {
			continue
		}
		sent++
		if n.Email && s.email != nil {
			text := n.Title
			if n.Body != "" {
				text += "\n\n" + n.Body
			}
			if err := s.email(ctx, orgID, uid, n.Title, text, n.Link); err != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "notification email failed", slog.Int64("org_id", orgID),
					slog.Int64("user_id", uid), slog.String("kind", n.Kind), slog.String("error", err.Error()))
			}
		}
	}
	return sent, nil
}

// NotifyAdmins delivers n to every active owner and admin.
func (s *Service) NotifyAdmins(ctx context.Context, orgID int64, n Note) (int, error) {
	ids, err := s.st.ActiveAdminIDs(ctx, orgID)
	if err != nil {
		return 0, fmt.Errorf("notify admins: %w", err)
	}
	return s.Notify(ctx, orgID, ids, n)
}

// List lists a user's notifications, newest first.
func (s *Service) List(ctx context.Context, orgID, userID int64, unreadOnly bool, limit, offset int) ([]store.Notification, int64, error) {
	return s.st.Notifications(ctx, orgID, userID, unreadOnly, limit, offset)
}

// Unread counts a user's unread notifications.
func (s *Service) Unread(ctx context.Context, orgID, userID int64) (int64, error) {
	return s.st.UnreadNotifications(ctx, orgID, userID)
}

// MarkRead marks the user's notifications ids read (all when ids is empty).
func (s *Service) MarkRead(ctx context.Context, orgID, userID int64, ids []int64) (int64, error) {
	return s.st.MarkNotificationsRead(ctx, orgID, userID, ids, s.now().UTC())
}

// Open marks one of the user's notifications read and returns it (the
// caller follows its Link); roster.ErrNotFound when the notification does
// not exist or belongs to another user.
func (s *Service) Open(ctx context.Context, orgID, userID, id int64) (*store.Notification, error) {
	n, err := s.st.Notification(ctx, orgID, userID, id)
	if err != nil {
		return nil, err
	}
	if n.ReadAt == nil {
		if _, err := s.st.MarkNotificationsRead(ctx, orgID, userID, []int64{id}, s.now().UTC()); err != nil {
			return nil, err
		}
		at := s.now().UTC()
		n.ReadAt = &at
	}
	return n, nil
}
