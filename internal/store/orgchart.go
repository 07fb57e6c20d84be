package store

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"
)

// OrgPerson is the part of a user the org chart needs: the reporting line
// and the card fields.
type OrgPerson struct {
	ID         int64
	Name       string
	Email      string
	JobTitle   string
	Status     string
	ManagerID  *int64
	HireDate   string
	PictureURL string
}

// OrgPeople lists every user of the organisation (deactivated ones too, so
// the chart can tell a deactivated manager from a missing one) with the
// chart's fields, in one query.
func (s *Store) OrgPeople(ctx context.Context, orgID int64) ([]OrgPerson, error) {
	var out []OrgPerson
	err := s.ctx(ctx).Model(&User{}).
		Select("id, name, email, job_title, status, manager_id, hire_date, picture_url").
		Where("org_id = ?", orgID).Order("id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("load org chart people: %w", err)
	}
	return out, nil
}

// UserTeam is one team of a user with how the membership came about
// (TeamMember.Source: "manual" or "personio").
type UserTeam struct {
	ID     int64
	Name   string
	Source string
}

// TeamsOfUser lists a user's teams with their membership source, by name.
func (s *Store) TeamsOfUser(ctx context.Context, orgID, userID int64) ([]UserTeam, error) {
	var out []UserTeam
	err := s.ctx(ctx).Table("team_members tm").
		Select("teams.id, teams.name, tm.source").
		Joins("JOIN teams ON teams.id = tm.team_id AND teams.org_id = tm.org_id").
		Where("tm.org_id = ? AND tm.user_id = ?", orgID, userID).
		Order("LOWER(teams.name), teams.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("load teams of user %d: %w", userID, err)
	}
	return out, nil
}

// UserPicture loads a user's cached picture; ErrNotFound when it was never
// fetched.
func (s *Store) UserPicture(ctx context.Context, orgID, userID int64) (*UserPicture, error) {
	var p UserPicture
	err := s.ctx(ctx).First(&p, "org_id = ? AND user_id = ?", orgID, userID).Error
	return &p, notFound(err)
}

// SaveUserPicture inserts or replaces a user's cached picture.
func (s *Store) SaveUserPicture(ctx context.Context, p *UserPicture) error {
	err := s.ctx(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "org_id"}, {Name: "user_id"}}, UpdateAll: true}).Create(p).Error
	if err != nil {
		return fmt.Errorf("save picture of user %d: %w", p.UserID, err)
	}
	return nil
}
