package store

import (
	"context"
	"time"
)

// CreateInvitation inserts an invitation.
func (s *Store) CreateInvitation(ctx context.Context, inv *Invitation) error {
	return s.ctx(ctx).Create(inv).Error
}

// InvitationByTokenHash loads an invitation by the hash of its token (any organisation:
// the token is the credential).
func (s *Store) InvitationByTokenHash(ctx context.Context, hash string) (*Invitation, error) {
	var inv Invitation
	err := s.ctx(ctx).First(&inv, "token_hash = ?", hash).Error
	return &inv, notFound(err)
}

// RevokeOpenInvitations revokes every open invitation of a user.
func (s *Store) RevokeOpenInvitations(ctx context.Context, orgID, userID int64, at time.Time) error {
	return s.ctx(ctx).Model(&Invitation{}).
		Where("org_id = ? AND user_id = ? AND accepted_at IS NULL AND revoked_at IS NULL", orgID, userID).
		Update("revoked_at", at).Error
}

// MarkInvitationAccepted marks an invitation used.
func (s *Store) MarkInvitationAccepted(ctx context.Context, id int64, at time.Time) error {
	return s.ctx(ctx).Model(&Invitation{}).Where("id = ?", id).Update("accepted_at", at).Error
}

// LatestInvitations maps user id to its most recent invitation.
func (s *Store) LatestInvitations(ctx context.Context, orgID int64, userIDs []int64) (map[int64]Invitation, error) {
	out := map[int64]Invitation{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var invs []Invitation
	if err := s.ctx(ctx).Where("org_id = ? AND user_id IN ?", orgID, userIDs).Order("id").Find(&invs).Error; err != nil {
		return nil, err
	}
	for _, inv := range invs {
		out[inv.UserID] = inv
	}
	return out, nil
}
