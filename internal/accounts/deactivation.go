package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// Deactivation reasons (store.User.DeactivationReason).
const (
	ReasonAdmin            = "admin"
	ReasonPersonioLeaver   = "personio_leaver"
	ReasonPersonioInactive = "personio_inactive"
	ReasonPersonioRemoved  = "personio_removed"
)

// Audit actions of deactivations.
const (
	ActionDeactivated        = "user.deactivated"
	ActionDeactivationUndone = "user.deactivation_undone"
	ActionLocked             = "user.locked"
)

// FromPersonio reports a reason set by the HR sync.
func FromPersonio(reason string) bool { return strings.HasPrefix(reason, "personio_") }

// ReasonText says a deactivation reason in words.
func ReasonText(reason string) string {
	switch reason {
	case ReasonAdmin:
		return "deactivated by an admin"
	case ReasonPersonioLeaver:
		return "last working day in Personio"
	case ReasonPersonioInactive:
		return "inactive in Personio"
	case ReasonPersonioRemoved:
		return "removed from Personio"
	}
	return "unknown reason"
}

// SnapshotMembership is a team membership a deactivation removed.
type SnapshotMembership struct {
	TeamID int64  `json:"team_id"`
	Source string `json:"source"`
}

// SnapshotReport is a user whose manager the deactivated user was.
type SnapshotReport struct {
	UserID int64  `json:"user_id"`
	Source string `json:"source"`
}

// DeactivationSnapshot records exactly what a deactivation removed, so it
// can be undone.
type DeactivationSnapshot struct {
	Role         string               `json:"role"`
	Memberships  []SnapshotMembership `json:"memberships"`
	ManagerOf    []int64              `json:"manager_of_teams"`
	ApproverOf   []int64              `json:"approver_of_teams"`
	Reports      []SnapshotReport     `json:"reports"`
	HadPassword  bool                 `json:"had_password"`
	StatusBefore string               `json:"status_before"`
	LockedBefore bool                 `json:"locked_before"`
}

func (sn *DeactivationSnapshot) summary() string {
	return fmt.Sprintf("removed %d team memberships, %d team manager/approver roles, manager of %d reports",
		len(sn.Memberships), len(sn.ManagerOf)+len(sn.ApproverOf), len(sn.Reports))
}

// DeactivateTx deactivates u inside tx: status deactivated with the reason,
// open invitations revoked, sessions ended, team memberships, team manager
// and approver roles and the manager link of the user's reports removed,
// and a store.UserDeactivation written whose snapshot records what was
// removed. It audits "user.deactivated". The caller checks permissions.
func (s *Service) DeactivateTx(ctx context.Context, tx *store.Store, a roster.Actor, u *store.User, reason string, runID *int64) error {
	now := s.now().UTC()
	sn := DeactivationSnapshot{Role: u.Role, HadPassword: u.PasswordHash != "", StatusBefore: u.Status, LockedBefore: u.LockedAt != nil,
		Memberships: []SnapshotMembership{}, ManagerOf: []int64{}, ApproverOf: []int64{}, Reports: []SnapshotReport{}}
	ms, err := tx.MembershipsOfUsers(ctx, u.OrgID, []int64{u.ID})
	if err != nil {
		return err
	}
	for _, m := range ms {
		sn.Memberships = append(sn.Memberships, SnapshotMembership{TeamID: m.TeamID, Source: m.Source})
	}
	led, err := tx.TeamsLedBy(ctx, u.OrgID, u.ID)
	if err != nil {
		return err
	}
	for _, t := range led {
		if t.ManagerID != nil && *t.ManagerID == u.ID {
			sn.ManagerOf = append(sn.ManagerOf, t.ID)
		}
		if t.ApproverID != nil && *t.ApproverID == u.ID {
			sn.ApproverOf = append(sn.ApproverOf, t.ID)
		}
	}
	reports, err := tx.Reports(ctx, u.OrgID, u.ID)
	if err != nil {
		return err
	}
	for _, r := range reports {
		sn.Reports = append(sn.Reports, SnapshotReport{UserID: r.ID, Source: r.ManagerSource})
	}
	raw, err := json.Marshal(sn)
	if err != nil {
		return fmt.Errorf("encode deactivation snapshot: %w", err)
	}
	fields := map[string]any{"status": store.StatusDeactivated, "deactivated_at": now, "deactivation_reason": reason,
		"deactivate_at": nil, "locked_at": nil}
	if err := tx.UpdateUserFields(ctx, u.OrgID, u.ID, fields); err != nil {
		return err
	}
	if err := tx.RevokeOpenInvitations(ctx, u.OrgID, u.ID, now); err != nil {
		return err
	}
	if err := tx.DeleteUserSessions(ctx, u.OrgID, u.ID); err != nil {
		return err
	}
	if err := tx.DetachUser(ctx, u.OrgID, u.ID); err != nil {
		return err
	}
	d := &store.UserDeactivation{OrgID: u.OrgID, UserID: u.ID, Reason: reason, RunID: runID, Snapshot: string(raw), DeactivatedAt: now}
	if err := tx.CreateUserDeactivation(ctx, d); err != nil {
		return err
	}
	if err := statusLineage(ctx, tx, a, u, u.Status, store.StatusDeactivated, now); err != nil {
		return err
	}
	return s.audit(ctx, tx, a, ActionDeactivated, "user", u.ID, u.Email, ReasonText(reason)+"; "+sn.summary())
}

// LockTx locks u inside tx (cannot log in; status, data and teams kept) and
// ends the user's sessions. It audits "user.locked".
func (s *Service) LockTx(ctx context.Context, tx *store.Store, a roster.Actor, u *store.User, reason string) error {
	now := s.now().UTC()
	if err := tx.UpdateUserFields(ctx, u.OrgID, u.ID, map[string]any{"locked_at": now, "deactivation_reason": reason, "deactivate_at": nil}); err != nil {
		return err
	}
	if err := tx.DeleteUserSessions(ctx, u.OrgID, u.ID); err != nil {
		return err
	}
	if err := statusLineage(ctx, tx, a, u, u.Status, "locked", now); err != nil {
		return err
	}
	return s.audit(ctx, tx, a, ActionLocked, "user", u.ID, u.Email, ReasonText(reason))
}

// RestoreTx reactivates a deactivated or locked u inside tx: status active
// (invited when the user never set a password), lock and scheduled
// deactivation cleared, skipHash recorded as the user's
// DeactivationSkipHash, and the links of the latest deactivation restored
// where they still make sense: memberships of teams that still exist, team
// manager and approver roles still empty, and the manager of reports who
// have none. The deactivation is marked undone and action audited. It
// reports the new status.
func (s *Service) RestoreTx(ctx context.Context, tx *store.Store, a roster.Actor, u *store.User, skipHash, action, details string) (string, error) {
	now := s.now().UTC()
	status := store.StatusActive
	if u.PasswordHash == "" {
		status = store.StatusInvited
	}
	fields := map[string]any{"status": status, "deactivated_at": nil, "deactivation_reason": "", "deactivate_at": nil,
		"locked_at": nil, "deactivation_skip_hash": skipHash}
	if err := tx.UpdateUserFields(ctx, u.OrgID, u.ID, fields); err != nil {
		return "", err
	}
	restored := "nothing to restore"
	if u.Status == store.StatusDeactivated {
		d, err := tx.LatestUserDeactivation(ctx, u.OrgID, u.ID)
		switch {
		case errors.Is(err, roster.ErrNotFound):
		case err != nil:
			return "", err
		default:
			if restored, err = s.restoreLinks(ctx, tx, u, d); err != nil {
				return "", err
			}
			var by *int64
			if a.UserID != 0 {
				by = &a.UserID
			}
			if err := tx.MarkDeactivationUndone(ctx, u.OrgID, d.ID, by, now); err != nil {
				return "", err
			}
		}
	}
	if details != "" {
		restored = details + "; " + restored
	}
	before := u.Status
	if u.LockedAt != nil && u.Status != store.StatusDeactivated {
		before = "locked"
	}
	if err := statusLineage(ctx, tx, a, u, before, status, now); err != nil {
		return "", err
	}
	return status, s.audit(ctx, tx, a, action, "user", u.ID, u.Email, restored)
}

func (s *Service) restoreLinks(ctx context.Context, tx *store.Store, u *store.User, d *store.UserDeactivation) (string, error) {
	var sn DeactivationSnapshot
	if err := json.Unmarshal([]byte(d.Snapshot), &sn); err != nil {
		return "", fmt.Errorf("decode deactivation snapshot %d: %w", d.ID, err)
	}
	ids := make([]int64, 0, len(sn.Memberships)+len(sn.ManagerOf)+len(sn.ApproverOf))
	for _, m := range sn.Memberships {
		ids = append(ids, m.TeamID)
	}
	ids = append(append(ids, sn.ManagerOf...), sn.ApproverOf...)
	teams, err := tx.TeamsByIDs(ctx, u.OrgID, ids)
	if err != nil {
		return "", err
	}
	exists := make(map[int64]bool, len(teams))
	for _, t := range teams {
		exists[t.ID] = true
	}
	now := s.now().UTC()
	members, roles, reports := 0, 0, 0
	for _, m := range sn.Memberships {
		if !exists[m.TeamID] {
			continue
		}
		if err := tx.AddTeamMember(ctx, &store.TeamMember{OrgID: u.OrgID, TeamID: m.TeamID, UserID: u.ID, Source: m.Source, CreatedAt: now}); err != nil {
			return "", fmt.Errorf("restore membership of team %d: %w", m.TeamID, err)
		}
		members++
	}
	for col, teamIDs := range map[string][]int64{"manager_id": sn.ManagerOf, "approver_id": sn.ApproverOf} {
		for _, id := range teamIDs {
			if !exists[id] {
				continue
			}
			ok, err := tx.SetTeamRoleIfEmpty(ctx, u.OrgID, id, col, u.ID)
			if err != nil {
				return "", err
			}
			if ok {
				roles++
			}
		}
	}
	for _, r := range sn.Reports {
		ok, err := tx.SetManagerIfEmpty(ctx, u.OrgID, r.UserID, u.ID, r.Source)
		if err != nil {
			return "", err
		}
		if ok {
			reports++
		}
	}
	return fmt.Sprintf("restored %d team memberships, %d team manager/approver roles, manager of %d reports", members, roles, reports), nil
}

// UndoDeactivation lets an admin undo the deactivation (or the lock) of a
// user: see RestoreTx. A user deactivated or locked by the HR sync is not
// deactivated again by the sync until their Personio record changes. An
// invited user gets a new invitation.
func (s *Service) UndoDeactivation(ctx context.Context, a roster.Actor, userID int64) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	u, err := s.store.User(ctx, a.OrgID, userID)
	if err != nil {
		return err
	}
	if u.Status != store.StatusDeactivated && u.LockedAt == nil {
		return &roster.ValidationError{Fields: map[string]string{"": u.Name + " is not deactivated."}}
	}
	skip := ""
	if u.PersonioID != nil {
		e, err := s.store.HREmployee(ctx, a.OrgID, *u.PersonioID)
		switch {
		case errors.Is(err, roster.ErrNotFound):
		case err != nil:
			return err
		default:
			skip = e.RawHash
		}
	}
	var raw string
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		status, err := s.RestoreTx(ctx, tx, a, u, skip, ActionDeactivationUndone, "")
		if err != nil {
			return err
		}
		if status == store.StatusInvited && u.Status == store.StatusDeactivated {
			raw, err = s.newInvitation(ctx, tx, a, u.ID)
		}
		return err
	})
	if err == nil && raw != "" {
		s.sendInvitation(ctx, a, u, raw)
	}
	return err
}

// statusLineage records, for a user linked to Personio, the status change
// in the user's lineage (the run and source come from the context's
// origin, else the actor's name).
func statusLineage(ctx context.Context, tx *store.Store, a roster.Actor, u *store.User, from, to string, now time.Time) error {
	if u.PersonioID == nil {
		return nil
	}
	return tx.RecordLineage(ctx, u.OrgID, a.Name, now, []store.LineageChange{{UserID: u.ID, Field: store.LineageStatus, Old: from, New: to}})
}
