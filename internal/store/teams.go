package store

import (
	"context"
	"fmt"
	"strings"
)

// TeamRow is a team with its member count.
type TeamRow struct {
	Team
	Members int64
}

// ListTeams lists the organisation's teams with member counts, by name.
func (s *Store) ListTeams(ctx context.Context, orgID int64) ([]TeamRow, error) {
	var rows []TeamRow
	err := s.ctx(ctx).Model(&Team{}).
		Select("teams.*, (SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = teams.id) AS members").
		Where("teams.org_id = ?", orgID).Order("LOWER(teams.name), teams.id").Scan(&rows).Error
	return rows, err
}

// Team loads a team of the organisation.
func (s *Store) Team(ctx context.Context, orgID, id int64) (*Team, error) {
	var t Team
	err := s.ctx(ctx).First(&t, "org_id = ? AND id = ?", orgID, id).Error
	return &t, notFound(err)
}

// TeamNameTaken reports whether another team of the organisation has this name (case-insensitive).
func (s *Store) TeamNameTaken(ctx context.Context, orgID int64, name string, exceptID int64) (bool, error) {
	var n int64
	err := s.ctx(ctx).Model(&Team{}).Where("org_id = ? AND LOWER(name) = ? AND id <> ?", orgID, strings.ToLower(name), exceptID).Count(&n).Error
	return n > 0, err
}

// CreateTeam inserts a team.
func (s *Store) CreateTeam(ctx context.Context, t *Team) error {
	if err := s.ctx(ctx).Create(t).Error; err != nil {
		if isUnique(err) {
			return fmt.Errorf("team %q: %w", t.Name, ErrConflict)
		}
		return err
	}
	return nil
}

// UpdateTeam saves name, manager and approver.
func (s *Store) UpdateTeam(ctx context.Context, t *Team) error {
	res := s.ctx(ctx).Model(&Team{}).Where("org_id = ? AND id = ?", t.OrgID, t.ID).
		Updates(map[string]any{"name": t.Name, "manager_id": t.ManagerID, "approver_id": t.ApproverID, "updated_at": s.db.NowFunc()})
	if res.Error != nil {
		if isUnique(res.Error) {
			return fmt.Errorf("team %q: %w", t.Name, ErrConflict)
		}
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteTeam deletes a team of the organisation.
func (s *Store) DeleteTeam(ctx context.Context, orgID, id int64) error {
	res := s.ctx(ctx).Where("org_id = ? AND id = ?", orgID, id).Delete(&Team{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// CountTeamMembers counts a team's members.
func (s *Store) CountTeamMembers(ctx context.Context, orgID, teamID int64) (int64, error) {
	var n int64
	err := s.ctx(ctx).Model(&TeamMember{}).Where("org_id = ? AND team_id = ?", orgID, teamID).Count(&n).Error
	return n, err
}

// TeamMembers lists the users of a team, by name.
func (s *Store) TeamMembers(ctx context.Context, orgID, teamID int64) ([]User, error) {
	var us []User
	err := s.ctx(ctx).Model(&User{}).
		Joins("JOIN team_members tm ON tm.user_id = users.id AND tm.team_id = ?", teamID).
		Where("users.org_id = ?", orgID).Order("LOWER(users.name), users.id").Find(&us).Error
	return us, err
}

// AddTeamMember adds a user to a team (idempotent).
func (s *Store) AddTeamMember(ctx context.Context, m *TeamMember) error {
	var n int64
	if err := s.ctx(ctx).Model(&TeamMember{}).Where("team_id = ? AND user_id = ?", m.TeamID, m.UserID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return s.ctx(ctx).Create(m).Error
}

// RemoveTeamMember removes a user from a team.
func (s *Store) RemoveTeamMember(ctx context.Context, orgID, teamID, userID int64) error {
	return s.ctx(ctx).Where("org_id = ? AND team_id = ? AND user_id = ?", orgID, teamID, userID).Delete(&TeamMember{}).Error
}

// SetUserTeams replaces a user's team memberships with teamIDs.
func (s *Store) SetUserTeams(ctx context.Context, orgID, userID int64, teamIDs []int64, source string) error {
	q := s.ctx(ctx).Where("org_id = ? AND user_id = ?", orgID, userID)
	if len(teamIDs) > 0 {
		q = q.Where("team_id NOT IN ?", teamIDs)
	}
	if err := q.Delete(&TeamMember{}).Error; err != nil {
		return err
	}
	for _, id := range teamIDs {
		if err := s.AddTeamMember(ctx, &TeamMember{TeamID: id, UserID: userID, OrgID: orgID, Source: source, CreatedAt: s.db.NowFunc()}); err != nil {
			return err
		}
	}
	return nil
}

// TeamsOfUsers maps each user id to its teams (one query for a page of users).
func (s *Store) TeamsOfUsers(ctx context.Context, orgID int64, userIDs []int64) (map[int64][]Team, error) {
	out := map[int64][]Team{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		UserID int64
		Team
	}
	err := s.ctx(ctx).Table("team_members tm").
		Select("tm.user_id, teams.*").
		Joins("JOIN teams ON teams.id = tm.team_id").
		Where("tm.org_id = ? AND tm.user_id IN ?", orgID, userIDs).
		Order("LOWER(teams.name)").Scan(&rows).Error
	for _, r := range rows {
		out[r.UserID] = append(out[r.UserID], r.Team)
	}
	return out, err
}

// TeamsByIDs checks that every id is a team of the organisation.
func (s *Store) TeamsByIDs(ctx context.Context, orgID int64, ids []int64) ([]Team, error) {
	var ts []Team
	if len(ids) == 0 {
		return ts, nil
	}
	err := s.ctx(ctx).Where("org_id = ? AND id IN ?", orgID, ids).Find(&ts).Error
	return ts, err
}
