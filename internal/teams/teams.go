// Package teams holds the team use cases: create, rename, delete, members,
// manager and approver.
package teams

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// Service runs team use cases.
type Service struct {
	store *store.Store
	now   func() time.Time
	log   *slog.Logger
}

// New builds the service.
func New(st *store.Store, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, now: now, log: log}
}

// List returns every team with its member count.
func (s *Service) List(ctx context.Context, a roster.Actor) ([]store.TeamRow, error) {
	return s.store.ListTeams(ctx, a.OrgID)
}

// Detail is a team with its members, manager and approver.
type Detail struct {
	Team     store.Team
	Members  []store.User
	Manager  *store.User
	Approver *store.User
}

// Get loads a team's detail.
func (s *Service) Get(ctx context.Context, a roster.Actor, id int64) (*Detail, error) {
	t, err := s.store.Team(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	members, err := s.store.TeamMembers(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	d := &Detail{Team: *t, Members: members}
	var ids []int64
	for _, p := range []*int64{t.ManagerID, t.ApproverID} {
		if p != nil {
			ids = append(ids, *p)
		}
	}
	us, err := s.store.UsersByIDs(ctx, a.OrgID, ids)
	if err != nil {
		return nil, err
	}
	if t.ManagerID != nil {
		if u, ok := us[*t.ManagerID]; ok {
			d.Manager = &u
		}
	}
	if t.ApproverID != nil {
		if u, ok := us[*t.ApproverID]; ok {
			d.Approver = &u
		}
	}
	return d, nil
}

// Input creates or edits a team.
type Input struct {
	Name       string
	ManagerID  int64
	ApproverID int64
}

func (s *Service) validate(ctx context.Context, a roster.Actor, id int64, in *Input) (*int64, *int64, error) {
	in.Name = strings.TrimSpace(in.Name)
	p := roster.Problems{}
	if in.Name == "" {
		p.Add("name", "Enter a team name.")
	} else if len(in.Name) > 80 {
		p.Add("name", "Use at most 80 characters.")
	} else if taken, err := s.store.TeamNameTaken(ctx, a.OrgID, in.Name, id); err != nil {
		return nil, nil, err
	} else if taken {
		p.Add("name", fmt.Sprintf("A team called %q already exists.", in.Name))
	}
	ref := func(field string, uid int64) *int64 {
		if uid == 0 {
			return nil
		}
		u, err := s.store.User(ctx, a.OrgID, uid)
		if err != nil || u.Status == store.StatusDeactivated {
			p.Add(field, "Choose an active user of your organisation.")
			return nil
		}
		return &uid
	}
	mgr := ref("manager_id", in.ManagerID)
	apr := ref("approver_id", in.ApproverID)
	return mgr, apr, p.Err()
}

// Create makes a team.
func (s *Service) Create(ctx context.Context, a roster.Actor, in Input) (*store.Team, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	mgr, apr, err := s.validate(ctx, a, 0, &in)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	t := store.Team{OrgID: a.OrgID, Name: in.Name, ManagerID: mgr, ApproverID: apr, CreatedAt: now, UpdatedAt: now}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.CreateTeam(ctx, &t); err != nil {
			return err
		}
		return audit(ctx, tx, a, "team.created", t.ID, t.Name, "", now)
	})
	return &t, err
}

// Update renames a team and sets its manager and approver.
func (s *Service) Update(ctx context.Context, a roster.Actor, id int64, in Input) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	old, err := s.store.Team(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	mgr, apr, err := s.validate(ctx, a, id, &in)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	t := *old
	t.Name, t.ManagerID, t.ApproverID = in.Name, mgr, apr
	return s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.UpdateTeam(ctx, &t); err != nil {
			return err
		}
		details := ""
		if old.Name != t.Name {
			details = fmt.Sprintf("renamed from %q", old.Name)
		}
		return audit(ctx, tx, a, "team.updated", t.ID, t.Name, details, now)
	})
}

// Delete removes an empty team; a team with members is refused with a clear message.
func (s *Service) Delete(ctx context.Context, a roster.Actor, id int64) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	t, err := s.store.Team(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	n, err := s.store.CountTeamMembers(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	if n > 0 {
		return &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("%s still has %d member(s). Move or remove them before deleting the team.", t.Name, n)}}
	}
	now := s.now().UTC()
	return s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.DeleteTeam(ctx, a.OrgID, id); err != nil {
			return err
		}
		return audit(ctx, tx, a, "team.deleted", 0, t.Name, "", now)
	})
}

// AddMember adds a user to a team.
func (s *Service) AddMember(ctx context.Context, a roster.Actor, teamID, userID int64) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	t, err := s.store.Team(ctx, a.OrgID, teamID)
	if err != nil {
		return err
	}
	u, err := s.store.User(ctx, a.OrgID, userID)
	if err != nil {
		return &roster.ValidationError{Fields: map[string]string{"user_id": "Choose a user of your organisation."}}
	}
	now := s.now().UTC()
	return s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.AddTeamMember(ctx, &store.TeamMember{TeamID: t.ID, UserID: u.ID, OrgID: a.OrgID, Source: "manual", CreatedAt: now}); err != nil {
			return err
		}
		return audit(ctx, tx, a, "team.member_added", t.ID, t.Name, u.Email, now)
	})
}

// RemoveMember removes a user from a team.
func (s *Service) RemoveMember(ctx context.Context, a roster.Actor, teamID, userID int64) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	t, err := s.store.Team(ctx, a.OrgID, teamID)
	if err != nil {
		return err
	}
	u, err := s.store.User(ctx, a.OrgID, userID)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	return s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.RemoveTeamMember(ctx, a.OrgID, teamID, userID); err != nil {
			return err
		}
		return audit(ctx, tx, a, "team.member_removed", t.ID, t.Name, u.Email, now)
	})
}

func audit(ctx context.Context, tx *store.Store, a roster.Actor, action string, id int64, label, details string, now time.Time) error {
	return tx.AddAudit(ctx, store.NewAuditEvent(a, action, "team", id, label, details, now))
}
