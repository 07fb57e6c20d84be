package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// UserFilter selects users on the users page and in exports.
type UserFilter struct {
	Query  string // name or email, case-insensitive
	Status string
	Role   string
	TeamID int64
	Limit  int // 0: no limit
	Offset int
}

func (s *Store) userQuery(ctx context.Context, orgID int64, f UserFilter) *gorm.DB {
	q := s.ctx(ctx).Model(&User{}).Where("users.org_id = ?", orgID)
	if f.Query != "" {
		p := like(f.Query)
		q = q.Where("(LOWER(users.name) LIKE ? ESCAPE '\\' OR users.email LIKE ? ESCAPE '\\')", p, p)
	}
	if f.Status != "" {
		q = q.Where("users.status = ?", f.Status)
	}
	if f.Role != "" {
		q = q.Where("users.role = ?", f.Role)
	}
	if f.TeamID != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM team_members tm WHERE tm.user_id = users.id AND tm.team_id = ? AND tm.org_id = ?)", f.TeamID, orgID)
	}
	return q
}

// ListUsers returns one page of users matching f and the total count.
func (s *Store) ListUsers(ctx context.Context, orgID int64, f UserFilter) ([]User, int64, error) {
	var total int64
	if err := s.userQuery(ctx, orgID, f).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var users []User
	q := s.userQuery(ctx, orgID, f).Order("LOWER(users.name), users.id")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	err := q.Find(&users).Error
	return users, total, err
}

// EachUser streams users matching f in batches (exports).
func (s *Store) EachUser(ctx context.Context, orgID int64, f UserFilter, fn func([]User) error) error {
	var batch []User
	return s.userQuery(ctx, orgID, f).Order("users.id").FindInBatches(&batch, 500, func(_ *gorm.DB, _ int) error {
		return fn(batch)
	}).Error
}

// User loads a user of the organisation.
func (s *Store) User(ctx context.Context, orgID, id int64) (*User, error) {
	var u User
	err := s.ctx(ctx).First(&u, "org_id = ? AND id = ?", orgID, id).Error
	return &u, notFound(err)
}

// UserByEmail loads a user of the organisation by normalised email.
func (s *Store) UserByEmail(ctx context.Context, orgID int64, email string) (*User, error) {
	var u User
	err := s.ctx(ctx).First(&u, "org_id = ? AND email = ?", orgID, email).Error
	return &u, notFound(err)
}

// UsersByEmailAllOrgs returns the users with this email across organisations
// (login looks up the account before it knows the organisation).
func (s *Store) UsersByEmailAllOrgs(ctx context.Context, email string) ([]User, error) {
	var us []User
	err := s.ctx(ctx).Where("email = ?", email).Order("id").Find(&us).Error
	return us, err
}

// CreateUser inserts a user; a duplicate email in the organisation is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if err := s.ctx(ctx).Create(u).Error; err != nil {
		if isUnique(err) {
			return fmt.Errorf("email %s: %w", u.Email, ErrConflict)
		}
		return err
	}
	return nil
}

// UpdateUserFields updates the given columns of a user of the organisation.
func (s *Store) UpdateUserFields(ctx context.Context, orgID, id int64, fields map[string]any) error {
	fields["updated_at"] = s.db.NowFunc()
	res := s.ctx(ctx).Model(&User{}).Where("org_id = ? AND id = ?", orgID, id).Updates(fields)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// CountUsersByStatus counts users per status.
func (s *Store) CountUsersByStatus(ctx context.Context, orgID int64) (map[string]int64, error) {
	var rows []struct {
		Status string
		N      int64
	}
	err := s.ctx(ctx).Model(&User{}).Select("status, COUNT(*) AS n").Where("org_id = ?", orgID).Group("status").Scan(&rows).Error
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, err
}

// CountActiveOwners counts active owners (the last one cannot be demoted or deactivated).
func (s *Store) CountActiveOwners(ctx context.Context, orgID int64) (int64, error) {
	var n int64
	err := s.ctx(ctx).Model(&User{}).Where("org_id = ? AND role = ? AND status = ?", orgID, RoleOwner, StatusActive).Count(&n).Error
	return n, err
}

// UsersByIDs loads users of the organisation by id.
func (s *Store) UsersByIDs(ctx context.Context, orgID int64, ids []int64) (map[int64]User, error) {
	out := map[int64]User{}
	if len(ids) == 0 {
		return out, nil
	}
	var us []User
	if err := s.ctx(ctx).Where("org_id = ? AND id IN ?", orgID, ids).Find(&us).Error; err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}

// ActiveUsers lists active and invited users for pickers, by name.
func (s *Store) ActiveUsers(ctx context.Context, orgID int64) ([]User, error) {
	var us []User
	err := s.ctx(ctx).Where("org_id = ? AND status <> ?", orgID, StatusDeactivated).Order("LOWER(name), id").Find(&us).Error
	return us, err
}

// TouchLogin records a successful login.
func (s *Store) TouchLogin(ctx context.Context, orgID, id int64, at time.Time) error {
	return s.ctx(ctx).Model(&User{}).Where("org_id = ? AND id = ?", orgID, id).Update("last_login_at", at).Error
}

// DeleteUser removes a user (only used for revoked invitations that never became active).
func (s *Store) DeleteUser(ctx context.Context, orgID, id int64) error {
	res := s.ctx(ctx).Where("org_id = ? AND id = ?", orgID, id).Delete(&User{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
