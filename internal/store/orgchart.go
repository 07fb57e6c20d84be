package store

import (
	"context"
	"database/sql"
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

// OrgLine is a user's place in the reporting lines.
type OrgLine struct {
	ID        int64
	ManagerID int64 // 0: none
	Name      string
	Status    string
}

// OrgLines lists the reporting lines of every user of the organisation
// (deactivated ones too), by id, in one query. The chart reads them on
// every request: the rows are scanned without reflection, into a slim
// struct.
func (s *Store) OrgLines(ctx context.Context, orgID int64) ([]OrgLine, error) {
	rows, err := s.ctx(ctx).Raw("SELECT id, manager_id, name, status FROM users WHERE org_id = ? ORDER BY id", orgID).Rows()
	if err != nil {
		return nil, fmt.Errorf("load org chart lines: %w", err)
	}
	defer func() { _ = rows.Close() }()
	out := make([]OrgLine, 0, 256)
	for rows.Next() {
		var l OrgLine
		var mgr sql.NullInt64
		if err := rows.Scan(&l.ID, &mgr, &l.Name, &l.Status); err != nil {
			return nil, fmt.Errorf("scan org chart lines: %w", err)
		}
		l.ManagerID = mgr.Int64
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load org chart lines: %w", err)
	}
	return out, nil
}

// OrgPeopleByIDs loads the chart's fields of the given users of the
// organisation (a page of cards), in one query.
func (s *Store) OrgPeopleByIDs(ctx context.Context, orgID int64, ids []int64) (map[int64]OrgPerson, error) {
	out := make(map[int64]OrgPerson, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.ctx(ctx).Model(&User{}).
		Select("id, name, email, job_title, status, manager_id, hire_date, picture_url").
		Where("org_id = ? AND id IN ?", orgID, ids).Rows()
	if err != nil {
		return nil, fmt.Errorf("load org chart cards: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var p OrgPerson
		var mgr sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Name, &p.Email, &p.JobTitle, &p.Status, &mgr, &p.HireDate, &p.PictureURL); err != nil {
			return nil, fmt.Errorf("scan org chart cards: %w", err)
		}
		if mgr.Valid {
			p.ManagerID = &mgr.Int64
		}
		out[p.ID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load org chart cards: %w", err)
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
