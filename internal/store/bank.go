package store

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Sources of bank details.
const BankSourcePersonio = "personio"

// LinkedPersonioUsers maps the Personio ids of the organisation's linked
// users (any status) to the users' ids.
func (s *Store) LinkedPersonioUsers(ctx context.Context, orgID int64) (map[int64]int64, error) {
	var rows []struct {
		ID         int64
		PersonioID int64
	}
	err := s.ctx(ctx).Model(&User{}).Select("id, personio_id").Where("org_id = ? AND personio_id IS NOT NULL", orgID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.PersonioID] = r.ID
	}
	return out, nil
}

// BankDetailsOfOrg loads every bank detail row of the organisation by user id.
func (s *Store) BankDetailsOfOrg(ctx context.Context, orgID int64) (map[int64]BankDetail, error) {
	var rows []BankDetail
	if err := s.ctx(ctx).Where("org_id = ?", orgID).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]BankDetail, len(rows))
	for _, r := range rows {
		out[r.UserID] = r
	}
	return out, nil
}

// BankDetail loads the bank details of one user.
func (s *Store) BankDetail(ctx context.Context, orgID, userID int64) (*BankDetail, error) {
	var b BankDetail
	err := s.ctx(ctx).First(&b, "org_id = ? AND user_id = ?", orgID, userID).Error
	return &b, notFound(err)
}

// SaveBankDetails inserts or replaces rows (all of one organisation).
func (s *Store) SaveBankDetails(ctx context.Context, rows []BankDetail) error {
	if len(rows) == 0 {
		return nil
	}
	return s.ctx(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "org_id"}, {Name: "user_id"}}, UpdateAll: true}).
		CreateInBatches(rows, 200).Error
}

// DeleteBankDetails removes the bank details of the given users.
func (s *Store) DeleteBankDetails(ctx context.Context, orgID int64, userIDs []int64) error {
	for chunk := range bankChunks(userIDs, 500) {
		if err := s.ctx(ctx).Where("org_id = ? AND user_id IN ?", orgID, chunk).Delete(&BankDetail{}).Error; err != nil {
			return err
		}
	}
	return nil
}

// BankDetailRow is a user's bank details with the user's name and email.
type BankDetailRow struct {
	BankDetail
	Name   string
	Email  string
	Status string
}

// BankDetailRows lists the organisation's bank details with their users,
// ordered by name; userIDs limits them to these users (nil: all).
func (s *Store) BankDetailRows(ctx context.Context, orgID int64, userIDs []int64) ([]BankDetailRow, error) {
	base := func() *gorm.DB {
		return s.ctx(ctx).Table("bank_details b").
			Select("b.*, u.name AS name, u.email AS email, u.status AS status").
			Joins("JOIN users u ON u.id = b.user_id AND u.org_id = b.org_id").
			Where("b.org_id = ?", orgID).Order("LOWER(u.name), u.id")
	}
	var out []BankDetailRow
	if userIDs == nil {
		err := base().Scan(&out).Error
		return out, err
	}
	for chunk := range bankChunks(userIDs, 500) {
		var part []BankDetailRow
		if err := base().Where("b.user_id IN ?", chunk).Scan(&part).Error; err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// CountBankDetails counts the organisation's bank details and those with
// a warning.
func (s *Store) CountBankDetails(ctx context.Context, orgID int64) (total, warned int64, err error) {
	var r struct{ Total, Warned int64 }
	err = s.ctx(ctx).Model(&BankDetail{}).Select("COUNT(*) AS total, COALESCE(SUM(CASE WHEN warning <> '' THEN 1 ELSE 0 END), 0) AS warned").
		Where("org_id = ?", orgID).Scan(&r).Error
	return r.Total, r.Warned, err
}

// bankChunks splits ids into slices of at most n (IN lists stay small).
func bankChunks(ids []int64, n int) func(func([]int64) bool) {
	return func(yield func([]int64) bool) {
		for len(ids) > 0 {
			k := min(n, len(ids))
			if !yield(ids[:k]) {
				return
			}
			ids = ids[k:]
		}
	}
}
