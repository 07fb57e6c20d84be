package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Team sources: which Personio unit maps to Roster teams.
const (
	TeamSourceTeam       = "team"
	TeamSourceDepartment = "department"
)

// TeamMapping maps a Personio team or department to a Roster team.
// PersonioKey is the Personio id as text, or the name when the id is 0.
type TeamMapping struct {
	ID           int64 `gorm:"primaryKey"`
	OrgID        int64
	Source       string
	PersonioKey  string
	PersonioName string
	TeamID       int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// HRUnit is a Personio team or department of the live, in-scope mirror.
type HRUnit struct {
	Key       string
	Name      string
	Employees int64
}

// HRUnitKey is the mapping key of a Personio unit: its id, or its name when
// Personio gives no id.
func HRUnitKey(id int64, name string) string {
	if id != 0 {
		return strconv.FormatInt(id, 10)
	}
	return strings.TrimSpace(name)
}

func unitColumns(source string) (idCol, nameCol string, err error) {
	switch source {
	case TeamSourceTeam:
		return "team_id", "team_name", nil
	case TeamSourceDepartment:
		return "department_id", "department_name", nil
	}
	return "", "", fmt.Errorf("unknown team source %q", source)
}

// HRUnits lists the organisation's Personio teams (or departments) of live,
// in-scope employees with their employee counts, by name.
func (s *Store) HRUnits(ctx context.Context, orgID int64, source string) ([]HRUnit, error) {
	idCol, nameCol, err := unitColumns(source)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID   int64
		Name string
		N    int64
	}
	err = s.ctx(ctx).Model(&HREmployee{}).
		Select(idCol+" AS id, "+nameCol+" AS name, COUNT(*) AS n").
		Where("org_id = ? AND removed_at IS NULL AND in_scope = ?", orgID, true).
		Where("(" + idCol + " <> 0 OR " + nameCol + " <> '')").
		Group(idCol + ", " + nameCol).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list personio %ss: %w", source, err)
	}
	byKey := map[string]*HRUnit{}
	best := map[string]int64{} // employees behind the chosen name
	for _, r := range rows {
		key := HRUnitKey(r.ID, r.Name)
		if key == "" {
			continue
		}
		u, ok := byKey[key]
		if !ok {
			u = &HRUnit{Key: key}
			byKey[key] = u
		}
		u.Employees += r.N
		if name := strings.TrimSpace(r.Name); name != "" && r.N > best[key] {
			u.Name, best[key] = name, r.N
		}
	}
	out := make([]HRUnit, 0, len(byKey))
	for _, u := range byKey {
		if u.Name == "" {
			u.Name = source + " " + u.Key
		}
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b HRUnit) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// TeamMappings lists the organisation's mappings of the source.
func (s *Store) TeamMappings(ctx context.Context, orgID int64, source string) ([]TeamMapping, error) {
	var ms []TeamMapping
	err := s.ctx(ctx).Where("org_id = ? AND source = ?", orgID, source).Order("personio_key").Find(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("list team mappings: %w", err)
	}
	return ms, nil
}

// SaveTeamMapping inserts or replaces the mapping of (org, source, key).
func (s *Store) SaveTeamMapping(ctx context.Context, m *TeamMapping) error {
	err := s.ctx(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "org_id"}, {Name: "source"}, {Name: "personio_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"personio_name", "team_id", "updated_at"}),
	}).Create(m).Error
	if err != nil {
		return fmt.Errorf("save team mapping %q: %w", m.PersonioKey, err)
	}
	return nil
}

// DeleteTeamMapping removes the mapping of (org, source, key), if any.
func (s *Store) DeleteTeamMapping(ctx context.Context, orgID int64, source, key string) error {
	err := s.ctx(ctx).Where("org_id = ? AND source = ? AND personio_key = ?", orgID, source, key).Delete(&TeamMapping{}).Error
	if err != nil {
		return fmt.Errorf("delete team mapping %q: %w", key, err)
	}
	return nil
}

// TeamByName finds a team of the organisation by name, case-insensitively.
func (s *Store) TeamByName(ctx context.Context, orgID int64, name string) (*Team, error) {
	var t Team
	err := s.ctx(ctx).Where("org_id = ? AND LOWER(name) = ?", orgID, strings.ToLower(strings.TrimSpace(name))).Order("id").First(&t).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// LinkedUserUnit is a user linked to a live, in-scope employee, with the
// raw team or department of that employee.
type LinkedUserUnit struct {
	UserID int64
	UnitID int64
	Name   string
}

// LinkedUserUnits lists the organisation's users that are not deactivated
// and are linked to a live, in-scope employee not excluded from the sync,
// with the employee's team (or department, per source).
func (s *Store) LinkedUserUnits(ctx context.Context, orgID int64, source string) ([]LinkedUserUnit, error) {
	idCol, nameCol, err := unitColumns(source)
	if err != nil {
		return nil, err
	}
	var out []LinkedUserUnit
	err = s.ctx(ctx).Table("users u").
		Select("u.id AS user_id, e."+idCol+" AS unit_id, e."+nameCol+" AS name").
		Joins("JOIN hr_employees e ON e.org_id = u.org_id AND e.personio_id = u.personio_id").
		Where("u.org_id = ? AND u.personio_id IS NOT NULL AND u.status <> ? AND e.removed_at IS NULL AND e.in_scope = ?", orgID, StatusDeactivated, true).
		Where(notExcludedSQL("e")).
		Order("u.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list linked users: %w", err)
	}
	return out, nil
}

// LinkedUsersMemberships lists the team memberships of the organisation's
// users that are linked to a Personio employee.
func (s *Store) LinkedUsersMemberships(ctx context.Context, orgID int64) ([]TeamMember, error) {
	var out []TeamMember
	err := s.ctx(ctx).Model(&TeamMember{}).
		Where("org_id = ? AND user_id IN (SELECT id FROM users WHERE org_id = ? AND personio_id IS NOT NULL)", orgID, orgID).
		Order("user_id, team_id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list memberships of linked users: %w", err)
	}
	return out, nil
}

// DeleteTeamMemberships removes a user's memberships of the given teams.
func (s *Store) DeleteTeamMemberships(ctx context.Context, orgID, userID int64, teamIDs []int64) error {
	if len(teamIDs) == 0 {
		return nil
	}
	err := s.ctx(ctx).Where("org_id = ? AND user_id = ? AND team_id IN ?", orgID, userID, teamIDs).Delete(&TeamMember{}).Error
	if err != nil {
		return fmt.Errorf("remove memberships of user %d: %w", userID, err)
	}
	return nil
}

// InsertTeamMembers inserts new memberships in batches.
func (s *Store) InsertTeamMembers(ctx context.Context, ms []TeamMember) error {
	if len(ms) == 0 {
		return nil
	}
	per := 200
	if s.dialect == SQLite {
		per = 50
	}
	if err := s.ctx(ctx).CreateInBatches(ms, per).Error; err != nil {
		return fmt.Errorf("add team memberships: %w", err)
	}
	return nil
}
