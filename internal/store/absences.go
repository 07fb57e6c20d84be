package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ---- Absence categories ----

// AbsenceCategories lists the organisation's categories by name.
func (s *Store) AbsenceCategories(ctx context.Context, orgID int64) ([]AbsenceCategory, error) {
	var cs []AbsenceCategory
	err := s.ctx(ctx).Where("org_id = ?", orgID).Order("LOWER(name), id").Find(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("list absence categories: %w", err)
	}
	return cs, nil
}

// AbsenceCategory loads one category of the organisation.
func (s *Store) AbsenceCategory(ctx context.Context, orgID, id int64) (*AbsenceCategory, error) {
	var c AbsenceCategory
	err := s.ctx(ctx).First(&c, "org_id = ? AND id = ?", orgID, id).Error
	return &c, notFound(err)
}

// AbsenceCategoryNameTaken reports another category with this name (case-insensitive).
func (s *Store) AbsenceCategoryNameTaken(ctx context.Context, orgID int64, name string, exceptID int64) (bool, error) {
	var n int64
	err := s.ctx(ctx).Model(&AbsenceCategory{}).
		Where("org_id = ? AND LOWER(name) = ? AND id <> ?", orgID, strings.ToLower(strings.TrimSpace(name)), exceptID).Count(&n).Error
	return n > 0, err
}

// CreateAbsenceCategory inserts a category.
func (s *Store) CreateAbsenceCategory(ctx context.Context, c *AbsenceCategory) error {
	if err := s.ctx(ctx).Create(c).Error; err != nil {
		if isUnique(err) {
			return fmt.Errorf("absence category %q: %w", c.Name, ErrConflict)
		}
		return fmt.Errorf("create absence category: %w", err)
	}
	return nil
}

// UpdateAbsenceCategory saves name, half days and the Personio pairing.
func (s *Store) UpdateAbsenceCategory(ctx context.Context, c *AbsenceCategory) error {
	res := s.ctx(ctx).Model(&AbsenceCategory{}).Where("org_id = ? AND id = ?", c.OrgID, c.ID).
		Updates(map[string]any{"name": c.Name, "half_days": c.HalfDays, "personio_type_id": c.PersonioTypeID,
			"personio_type_name": c.PersonioTypeName, "updated_at": s.db.NowFunc()})
	if res.Error != nil {
		if isUnique(res.Error) {
			return fmt.Errorf("absence category %q: %w", c.Name, ErrConflict)
		}
		return fmt.Errorf("update absence category: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteAbsenceCategory deletes a category of the organisation.
func (s *Store) DeleteAbsenceCategory(ctx context.Context, orgID, id int64) error {
	res := s.ctx(ctx).Where("org_id = ? AND id = ?", orgID, id).Delete(&AbsenceCategory{})
	if res.Error != nil {
		return fmt.Errorf("delete absence category: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// CountAbsencesOfCategory counts the absences filed under a category.
func (s *Store) CountAbsencesOfCategory(ctx context.Context, orgID, categoryID int64) (int64, error) {
	var n int64
	err := s.ctx(ctx).Model(&Absence{}).Where("org_id = ? AND category_id = ?", orgID, categoryID).Count(&n).Error
	return n, err
}

// ---- Absences ----

// AbsenceRow is an absence with the names a list shows.
type AbsenceRow struct {
	Absence
	UserName     string
	CategoryName string
	ApproverName string
	DeciderName  string
}

func (s *Store) absenceRows(ctx context.Context) *gorm.DB {
	return s.ctx(ctx).Table("absences a").
		Select("a.*, u.name AS user_name, COALESCE(c.name, '') AS category_name, COALESCE(ap.name, '') AS approver_name, COALESCE(d.name, '') AS decider_name").
		Joins("JOIN users u ON u.id = a.user_id AND u.org_id = a.org_id").
		Joins("LEFT JOIN absence_categories c ON c.id = a.category_id AND c.org_id = a.org_id").
		Joins("LEFT JOIN users ap ON ap.id = a.approver_id AND ap.org_id = a.org_id").
		Joins("LEFT JOIN users d ON d.id = a.decided_by_id AND d.org_id = a.org_id")
}

// Absence loads one absence of the organisation.
func (s *Store) Absence(ctx context.Context, orgID, id int64) (*Absence, error) {
	var a Absence
	err := s.ctx(ctx).First(&a, "org_id = ? AND id = ?", orgID, id).Error
	return &a, notFound(err)
}

// AbsenceRowByID loads one absence with its names.
func (s *Store) AbsenceRowByID(ctx context.Context, orgID, id int64) (*AbsenceRow, error) {
	var rows []AbsenceRow
	if err := s.absenceRows(ctx).Where("a.org_id = ? AND a.id = ?", orgID, id).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("load absence: %w", err)
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	return &rows[0], nil
}

// CreateAbsence inserts an absence.
func (s *Store) CreateAbsence(ctx context.Context, a *Absence) error {
	if err := s.ctx(ctx).Create(a).Error; err != nil {
		return fmt.Errorf("create absence: %w", err)
	}
	return nil
}

// SaveAbsence writes every column of an absence of the organisation.
func (s *Store) SaveAbsence(ctx context.Context, a *Absence) error {
	res := s.ctx(ctx).Model(&Absence{}).Where("org_id = ? AND id = ?", a.OrgID, a.ID).Updates(map[string]any{
		"category_id": a.CategoryID, "start_date": a.StartDate, "end_date": a.EndDate,
		"half_day_start": a.HalfDayStart, "half_day_end": a.HalfDayEnd, "comment": a.Comment,
		"status": a.Status, "approver_id": a.ApproverID, "decided_by_id": a.DecidedByID, "decided_at": a.DecidedAt,
		"decision_note": a.DecisionNote, "out_of_sync": a.OutOfSync, "updated_at": a.UpdatedAt,
	})
	if res.Error != nil {
		return fmt.Errorf("save absence: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// absenceLive are the statuses of absences that count (not rejected or cancelled).
var absenceLive = []string{AbsencePending, AbsenceApproved, AbsenceToConfirm, AbsenceConfirmed}

// OverlappingAbsences lists the user's live absences overlapping [start, end]
// (YYYY-MM-DD, inclusive), except exceptID.
func (s *Store) OverlappingAbsences(ctx context.Context, orgID, userID int64, start, end string, exceptID int64) ([]Absence, error) {
	var as []Absence
	err := s.ctx(ctx).Where("org_id = ? AND user_id = ? AND id <> ? AND status IN ? AND start_date <= ? AND end_date >= ?",
		orgID, userID, exceptID, absenceLive, end, start).Order("start_date").Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("overlapping absences: %w", err)
	}
	return as, nil
}

// UserAbsences lists a user's absences, latest start first.
func (s *Store) UserAbsences(ctx context.Context, orgID, userID int64) ([]AbsenceRow, error) {
	var rows []AbsenceRow
	err := s.absenceRows(ctx).Where("a.org_id = ? AND a.user_id = ?", orgID, userID).
		Order("a.start_date DESC, a.id DESC").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list absences: %w", err)
	}
	return rows, nil
}

// ApprovalFilter selects the absences waiting for a decision.
type ApprovalFilter struct {
	// All lists every pending and to-confirm absence of the organisation (admins).
	All bool
	// ApproverID lists absences assigned to this user or of the people
	// they manage (users.manager_id, teams.manager_id, teams.approver_id).
	ApproverID int64
}

// PendingApprovals lists pending requests and imported absences to confirm,
// oldest first, in one query.
func (s *Store) PendingApprovals(ctx context.Context, orgID int64, f ApprovalFilter) ([]AbsenceRow, error) {
	q := s.absenceRows(ctx).Where("a.org_id = ? AND a.status IN ?", orgID, []string{AbsencePending, AbsenceToConfirm})
	if !f.All {
		q = q.Where("a.user_id <> ?", f.ApproverID).
			Where("(a.approver_id = ? OR u.manager_id = ? OR EXISTS (SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id AND t.org_id = tm.org_id "+
				"WHERE tm.org_id = a.org_id AND tm.user_id = a.user_id AND (t.manager_id = ? OR t.approver_id = ?)))",
				f.ApproverID, f.ApproverID, f.ApproverID, f.ApproverID)
	}
	var rows []AbsenceRow
	if err := q.Order("a.start_date, a.id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list approvals: %w", err)
	}
	return rows, nil
}

// AbsencesInRange lists the live absences overlapping [from, to] of the
// given users (all users of the organisation when userIDs is nil), in one query.
func (s *Store) AbsencesInRange(ctx context.Context, orgID int64, from, to string, userIDs []int64) ([]AbsenceRow, error) {
	q := s.absenceRows(ctx).Where("a.org_id = ? AND a.status IN ? AND a.start_date <= ? AND a.end_date >= ?", orgID, absenceLive, to, from)
	if userIDs != nil {
		if len(userIDs) == 0 {
			return nil, nil
		}
		q = q.Where("a.user_id IN ?", userIDs)
	}
	var rows []AbsenceRow
	if err := q.Order("a.user_id, a.start_date").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list absences in range: %w", err)
	}
	return rows, nil
}

// AbsentUserIDs returns the users among ids with an approved or confirmed
// absence covering day (YYYY-MM-DD).
func (s *Store) AbsentUserIDs(ctx context.Context, orgID int64, day string, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var got []int64
	err := s.ctx(ctx).Model(&Absence{}).Distinct("user_id").
		Where("org_id = ? AND user_id IN ? AND status IN ? AND start_date <= ? AND end_date >= ?",
			orgID, ids, []string{AbsenceApproved, AbsenceConfirmed}, day, day).Pluck("user_id", &got).Error
	if err != nil {
		return nil, fmt.Errorf("absent users: %w", err)
	}
	for _, id := range got {
		out[id] = true
	}
	return out, nil
}

// DaysTaken is a user's absences of one category in a period.
type DaysTaken struct {
	CategoryID   *int64
	CategoryName string
	Status       string
	StartDate    string
	EndDate      string
	HalfDayStart bool
	HalfDayEnd   bool
}

// AbsencesForBalance lists the user's live absences overlapping [from, to].
func (s *Store) AbsencesForBalance(ctx context.Context, orgID, userID int64, from, to string) ([]DaysTaken, error) {
	var out []DaysTaken
	err := s.ctx(ctx).Table("absences a").
		Select("a.category_id, COALESCE(c.name, '') AS category_name, a.status, a.start_date, a.end_date, a.half_day_start, a.half_day_end").
		Joins("LEFT JOIN absence_categories c ON c.id = a.category_id AND c.org_id = a.org_id").
		Where("a.org_id = ? AND a.user_id = ? AND a.status IN ? AND a.start_date <= ? AND a.end_date >= ?", orgID, userID, absenceLive, to, from).
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("absences for balance: %w", err)
	}
	return out, nil
}

// ManagedUserIDs lists the users managerID has manager rights over:
// direct reports (users.manager_id) and members of teams they manage or
// approve for.
func (s *Store) ManagedUserIDs(ctx context.Context, orgID, managerID int64) ([]int64, error) {
	var ids []int64
	err := s.ctx(ctx).Model(&User{}).
		Where("users.org_id = ? AND users.id <> ?", orgID, managerID).
		Where("(users.manager_id = ? OR EXISTS (SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id AND t.org_id = tm.org_id "+
			"WHERE tm.org_id = users.org_id AND tm.user_id = users.id AND (t.manager_id = ? OR t.approver_id = ?)))", managerID, managerID, managerID).
		Order("users.id").Pluck("users.id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("managed users: %w", err)
	}
	return ids, nil
}

// HasManagerRights reports a user who manages or approves for anyone.
func (s *Store) HasManagerRights(ctx context.Context, orgID, userID int64) (bool, error) {
	var n int64
	err := s.ctx(ctx).Model(&User{}).Where("org_id = ? AND manager_id = ? AND id <> ?", orgID, userID, userID).Limit(1).Count(&n).Error
	if err != nil || n > 0 {
		return n > 0, err
	}
	err = s.ctx(ctx).Model(&Team{}).Where("org_id = ? AND (manager_id = ? OR approver_id = ?)", orgID, userID, userID).Limit(1).Count(&n).Error
	return n > 0, err
}

func decidedAt(t time.Time) *time.Time { u := t.UTC(); return &u }

// DecideAbsence sets status, decider, time and note of an absence still in
// status from; it reports false when the absence was no longer in that
// status (decided meanwhile).
func (s *Store) DecideAbsence(ctx context.Context, orgID, id int64, from, to string, deciderID int64, note string, at time.Time) (bool, error) {
	res := s.ctx(ctx).Model(&Absence{}).Where("org_id = ? AND id = ? AND status = ?", orgID, id, from).
		Updates(map[string]any{"status": to, "decided_by_id": deciderID, "decided_at": decidedAt(at), "decision_note": note, "updated_at": at.UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("decide absence: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// PendingWithApproverAway lists pending absences whose approver has an
// approved or confirmed absence covering day (YYYY-MM-DD), in one query.
func (s *Store) PendingWithApproverAway(ctx context.Context, orgID int64, day string) ([]Absence, error) {
	var as []Absence
	err := s.ctx(ctx).Where("org_id = ? AND status = ? AND approver_id IS NOT NULL", orgID, AbsencePending).
		Where("EXISTS (SELECT 1 FROM absences o WHERE o.org_id = absences.org_id AND o.user_id = absences.approver_id "+
			"AND o.status IN ? AND o.start_date <= ? AND o.end_date >= ?)", []string{AbsenceApproved, AbsenceConfirmed}, day, day).
		Order("id").Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("pending absences with approver away: %w", err)
	}
	return as, nil
}

// UserEmployeeCustom returns the custom attributes (JSON) of the Personio
// employee the user is linked to, "" when the user is not linked or the
// employee is not in the mirror.
func (s *Store) UserEmployeeCustom(ctx context.Context, orgID, userID int64) (string, error) {
	var out []string
	err := s.ctx(ctx).Table("users u").Select("e.custom").
		Joins("JOIN hr_employees e ON e.org_id = u.org_id AND e.personio_id = u.personio_id AND e.removed_at IS NULL").
		Where("u.org_id = ? AND u.id = ?", orgID, userID).Limit(1).Pluck("e.custom", &out).Error
	if err != nil {
		return "", fmt.Errorf("employee attributes of user %d: %w", userID, err)
	}
	if len(out) == 0 {
		return "", nil
	}
	return out[0], nil
}
