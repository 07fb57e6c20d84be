package store

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"
)

// Queries of the absence sync with Personio (internal/absencesync): the
// import of time-offs while Personio leads and the push of Roster absences
// while Roster leads. Every query filters by org_id.

// AbsenceSyncCategoriesByType maps the organisation's Personio time-off
// type ids to the Roster categories paired with them.
func (s *Store) AbsenceSyncCategoriesByType(ctx context.Context, orgID int64) (map[int64]int64, error) {
	var cats []AbsenceCategory
	err := s.ctx(ctx).Where("org_id = ? AND personio_type_id IS NOT NULL", orgID).Find(&cats).Error
	if err != nil {
		return nil, fmt.Errorf("absence categories of org %d: %w", orgID, err)
	}
	out := make(map[int64]int64, len(cats))
	for _, c := range cats {
		out[*c.PersonioTypeID] = c.ID
	}
	return out, nil
}

// AbsenceSyncCategory loads one category of the organisation.
func (s *Store) AbsenceSyncCategory(ctx context.Context, orgID, id int64) (*AbsenceCategory, error) {
	var c AbsenceCategory
	err := s.ctx(ctx).First(&c, "org_id = ? AND id = ?", orgID, id).Error
	return &c, notFound(err)
}

// AbsenceSyncAbsence loads one absence of the organisation.
func (s *Store) AbsenceSyncAbsence(ctx context.Context, orgID, id int64) (*Absence, error) {
	var a Absence
	err := s.ctx(ctx).First(&a, "org_id = ? AND id = ?", orgID, id).Error
	return &a, notFound(err)
}

// AbsenceSyncByPersonioIDs returns the absences linked to these Personio
// time-offs, by time-off id.
func (s *Store) AbsenceSyncByPersonioIDs(ctx context.Context, orgID int64, ids []int64) (map[int64]Absence, error) {
	out := make(map[int64]Absence, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var rows []Absence
		if err := s.ctx(ctx).Where("org_id = ? AND personio_id IN ?", orgID, chunk).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("absences by personio id of org %d: %w", orgID, err)
		}
		for _, a := range rows {
			out[*a.PersonioID] = a
		}
	}
	return out, nil
}

// AbsenceSyncImportedInWindow lists the absences imported from Personio
// that overlap the days [from, to] (YYYY-MM-DD, inclusive).
func (s *Store) AbsenceSyncImportedInWindow(ctx context.Context, orgID int64, from, to string) ([]Absence, error) {
	var rows []Absence
	err := s.ctx(ctx).Where("org_id = ? AND source = ? AND start_date <= ? AND end_date >= ?", orgID, SourcePersonio, to, from).
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("imported absences of org %d: %w", orgID, err)
	}
	return rows, nil
}

// AbsenceSyncSave inserts a (new) absence or writes every column of an
// existing one of the same organisation. An insert of a Personio time-off
// that another run imported meanwhile does nothing.
func (s *Store) AbsenceSyncSave(ctx context.Context, a *Absence) error {
	if a.ID == 0 {
		return s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(a).Error
	}
	res := s.ctx(ctx).Model(&Absence{}).Where("org_id = ? AND id = ?", a.OrgID, a.ID).Select("*").Omit("id", "org_id", "created_at").Updates(a)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// AbsenceSyncDelete deletes absences of the organisation.
func (s *Store) AbsenceSyncDelete(ctx context.Context, orgID int64, ids []int64) error {
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		if err := s.ctx(ctx).Where("org_id = ? AND id IN ?", orgID, chunk).Delete(&Absence{}).Error; err != nil {
			return fmt.Errorf("delete absences of org %d: %w", orgID, err)
		}
	}
	return nil
}

// AbsenceSyncSetOutOfSync records why an absence is not synced ("" when it
// is).
func (s *Store) AbsenceSyncSetOutOfSync(ctx context.Context, orgID, id int64, why string) error {
	return s.ctx(ctx).Model(&Absence{}).Where("org_id = ? AND id = ?", orgID, id).Update("out_of_sync", why).Error
}

// AbsenceSyncSetLink stores the Personio time-off an absence is linked to
// (nil: none) and the hash of what was pushed.
func (s *Store) AbsenceSyncSetLink(ctx context.Context, orgID, id int64, personioID *int64, hash string) error {
	return s.ctx(ctx).Model(&Absence{}).Where("org_id = ? AND id = ?", orgID, id).
		Updates(map[string]any{"personio_id": personioID, "personio_hash": hash}).Error
}

// AbsenceSyncHasOutboxItem reports whether an absence was ever queued for
// a push (any state).
func (s *Store) AbsenceSyncHasOutboxItem(ctx context.Context, orgID, recordID int64) (bool, error) {
	var n int64
	err := s.ctx(ctx).Model(&OutboxItem{}).Where("org_id = ? AND kind = ? AND record_id = ?", orgID, OutboxAbsence, recordID).Count(&n).Error
	return n > 0, err
}
