package absences

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// CategoryInput creates or edits a category.
type CategoryInput struct {
	Name     string
	HalfDays bool
}

// Categories lists the organisation's categories (everyone may read them:
// the request form offers them).
func (s *Service) Categories(ctx context.Context, a roster.Actor) ([]store.AbsenceCategory, error) {
	return s.st.AbsenceCategories(ctx, a.OrgID)
}

func (s *Service) validateCategory(ctx context.Context, a roster.Actor, id int64, in *CategoryInput) error {
	in.Name = strings.TrimSpace(in.Name)
	p := roster.Problems{}
	switch {
	case in.Name == "":
		p.Add("name", "Enter a category name.")
	case len(in.Name) > 80:
		p.Add("name", "Use at most 80 characters.")
	default:
		taken, err := s.st.AbsenceCategoryNameTaken(ctx, a.OrgID, in.Name, id)
		if err != nil {
			return err
		}
		if taken {
			p.Add("name", fmt.Sprintf("A category called %q already exists.", in.Name))
		}
	}
	return p.Err()
}

// CreateCategory adds a Roster category (admins).
func (s *Service) CreateCategory(ctx context.Context, a roster.Actor, in CategoryInput) (*store.AbsenceCategory, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	if err := s.validateCategory(ctx, a, 0, &in); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	c := store.AbsenceCategory{OrgID: a.OrgID, Name: in.Name, HalfDays: in.HalfDays, CreatedAt: now, UpdatedAt: now}
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.CreateAbsenceCategory(ctx, &c); err != nil {
			return err
		}
		return tx.AddAudit(ctx, store.NewAuditEvent(a, "absence_category.created", "absence_category", c.ID, c.Name, "", now))
	})
	if errors.Is(err, roster.ErrConflict) {
		return nil, &roster.ValidationError{Fields: map[string]string{"name": fmt.Sprintf("A category called %q already exists.", in.Name)}}
	}
	return &c, err
}

// UpdateCategory renames a category and sets whether it allows half days.
func (s *Service) UpdateCategory(ctx context.Context, a roster.Actor, id int64, in CategoryInput) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	c, err := s.st.AbsenceCategory(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	if err := s.validateCategory(ctx, a, id, &in); err != nil {
		return err
	}
	now := s.now().UTC()
	details := ""
	if c.Name != in.Name {
		details = fmt.Sprintf("renamed from %q", c.Name)
	}
	c.Name, c.HalfDays = in.Name, in.HalfDays
	return s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.UpdateAbsenceCategory(ctx, c); err != nil {
			return err
		}
		return tx.AddAudit(ctx, store.NewAuditEvent(a, "absence_category.updated", "absence_category", c.ID, c.Name, details, now))
	})
}

// DeleteCategory removes a category no absence uses.
func (s *Service) DeleteCategory(ctx context.Context, a roster.Actor, id int64) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	c, err := s.st.AbsenceCategory(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	n, err := s.st.CountAbsencesOfCategory(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	if n > 0 {
		return &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("%s is used by %d absence(s); it cannot be deleted. Rename it instead.", c.Name, n)}}
	}
	now := s.now().UTC()
	return s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.DeleteAbsenceCategory(ctx, a.OrgID, id); err != nil {
			return err
		}
		return tx.AddAudit(ctx, store.NewAuditEvent(a, "absence_category.deleted", "absence_category", 0, c.Name, "", now))
	})
}

// Pair is a Roster category with its Personio time-off type (Type nil:
// unmatched) and how the pairing was made.
type Pair struct {
	Category store.AbsenceCategory
	Type     *hris.TimeOffType
	// Missing is set when the category is paired with a type id Personio
	// no longer lists.
	Missing bool
}

// Matching is the state of the matching page.
type Matching struct {
	// Connected is false when the organisation has no working HR
	// connection; Problem then says why.
	Connected bool
	Problem   string
	Pairs     []Pair
	// UnmatchedTypes are Personio day-based types no category is paired with.
	UnmatchedTypes []hris.TimeOffType
	// Newly counts the pairings made by name (or names updated after a
	// rename) when the page was built.
	Newly int
}

// ErrNotConnected is returned by actions that need Personio when the
// organisation is not connected.
var ErrNotConnected = errors.New("HR software not connected")

func normName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// dayTypes keeps the day-based types (hour-based ones cannot be requested).
func dayTypes(ts []hris.TimeOffType) []hris.TimeOffType {
	out := ts[:0:0]
	for _, t := range ts {
		if t.Unit == "" || strings.EqualFold(t.Unit, "day") {
			out = append(out, t)
		}
	}
	return out
}

func (s *Service) timeOffTypes(ctx context.Context, orgID int64) ([]hris.TimeOffType, error) {
	if s.providers == nil {
		return nil, ErrNotConnected
	}
	p, err := s.providers(hris.WithArea(ctx, store.AreaAbsences), orgID, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotConnected, err)
	}
	ts, err := p.ListTimeOffTypes(hris.WithArea(ctx, store.AreaAbsences))
	if err != nil {
		return nil, fmt.Errorf("read time-off types from Personio: %w", err)
	}
	return dayTypes(ts), nil
}

// Matching reads the Personio time-off types live and pairs the
// categories: by type id once paired (a rename in Personio keeps the pair
// and updates the name shown), else by name (case-insensitive, trimmed),
// and remembers new pairs by type id. Admins only; audited when something
// changed.
func (s *Service) Matching(ctx context.Context, a roster.Actor) (*Matching, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	cats, err := s.st.AbsenceCategories(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	types, err := s.timeOffTypes(ctx, a.OrgID)
	if err != nil {
		m := &Matching{Problem: problemText(err)}
		for _, c := range cats {
			m.Pairs = append(m.Pairs, Pair{Category: c})
		}
		return m, nil
	}
	m, err := s.reconcile(ctx, a, cats, types)
	if err != nil {
		return nil, err
	}
	m.Connected = true
	return m, nil
}

func problemText(err error) string {
	if errors.Is(err, ErrNotConnected) {
		return "Personio is not connected. Connect it under Settings › HR software to pair categories with Personio time-off types."
	}
	return "Personio could not be reached: " + err.Error() + ". Try again in a moment."
}

// reconcile pairs categories with types and saves what changed.
func (s *Service) reconcile(ctx context.Context, a roster.Actor, cats []store.AbsenceCategory, types []hris.TimeOffType) (*Matching, error) {
	byID := map[int64]*hris.TimeOffType{}
	byName := map[string]*hris.TimeOffType{}
	for i := range types {
		byID[types[i].ID] = &types[i]
		if _, dup := byName[normName(types[i].Name)]; !dup {
			byName[normName(types[i].Name)] = &types[i]
		}
	}
	used := map[int64]bool{}
	for _, c := range cats {
		if c.PersonioTypeID != nil {
			used[*c.PersonioTypeID] = true
		}
	}
	m := &Matching{}
	var changed []store.AbsenceCategory
	var notes []string
	for _, c := range cats {
		p := Pair{Category: c}
		switch {
		case c.PersonioTypeID != nil:
			t, ok := byID[*c.PersonioTypeID]
			if !ok {
				p.Missing = true
				break
			}
			p.Type = t
			if c.PersonioTypeName != t.Name {
				notes = append(notes, fmt.Sprintf("%s: Personio type renamed from %q to %q", c.Name, c.PersonioTypeName, t.Name))
				c.PersonioTypeName = t.Name
				p.Category = c
				changed = append(changed, c)
			}
		default:
			t, ok := byName[normName(c.Name)]
			if !ok || used[t.ID] {
				break
			}
			used[t.ID] = true
			id := t.ID
			c.PersonioTypeID, c.PersonioTypeName = &id, t.Name
			p.Category, p.Type = c, t
			changed = append(changed, c)
			notes = append(notes, fmt.Sprintf("%s paired with %q by name", c.Name, t.Name))
		}
		m.Pairs = append(m.Pairs, p)
	}
	for _, t := range types {
		if !used[t.ID] {
			m.UnmatchedTypes = append(m.UnmatchedTypes, t)
		}
	}
	if len(changed) == 0 {
		return m, nil
	}
	now := s.now().UTC()
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		for i := range changed {
			if err := tx.UpdateAbsenceCategory(ctx, &changed[i]); err != nil {
				return err
			}
		}
		return tx.AddAudit(ctx, store.NewAuditEvent(a, "absence_category.matched", "absence_category", 0, fmt.Sprintf("%d categor(ies)", len(changed)), strings.Join(notes, "; "), now))
	})
	if err != nil {
		return nil, err
	}
	m.Newly = len(changed)
	return m, nil
}

// Pair pairs a category with a Personio type by hand (typeID 0 unpairs).
func (s *Service) Pair(ctx context.Context, a roster.Actor, categoryID, typeID int64) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	c, err := s.st.AbsenceCategory(ctx, a.OrgID, categoryID)
	if err != nil {
		return err
	}
	details := "unpaired"
	if typeID == 0 {
		c.PersonioTypeID, c.PersonioTypeName = nil, ""
	} else {
		types, err := s.timeOffTypes(ctx, a.OrgID)
		if err != nil {
			return &roster.ValidationError{Fields: map[string]string{"": problemText(err)}}
		}
		var t *hris.TimeOffType
		for i := range types {
			if types[i].ID == typeID {
				t = &types[i]
			}
		}
		if t == nil {
			return &roster.ValidationError{Fields: map[string]string{"type_id": "Choose one of the Personio time-off types listed."}}
		}
		cats, err := s.st.AbsenceCategories(ctx, a.OrgID)
		if err != nil {
			return err
		}
		for _, o := range cats {
			if o.ID != c.ID && o.PersonioTypeID != nil && *o.PersonioTypeID == typeID {
				return &roster.ValidationError{Fields: map[string]string{"type_id": fmt.Sprintf("%q is already paired with %s. Unpair it there first.", t.Name, o.Name)}}
			}
		}
		id := t.ID
		c.PersonioTypeID, c.PersonioTypeName = &id, t.Name
		details = fmt.Sprintf("paired by hand with %q (%d)", t.Name, t.ID)
	}
	now := s.now().UTC()
	return s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.UpdateAbsenceCategory(ctx, c); err != nil {
			return err
		}
		return tx.AddAudit(ctx, store.NewAuditEvent(a, "absence_category.paired", "absence_category", c.ID, c.Name, details, now))
	})
}

// CreateMissing creates a Roster category for every Personio type no
// category is paired with, paired at once. It returns how many it created.
func (s *Service) CreateMissing(ctx context.Context, a roster.Actor) (int, error) {
	m, err := s.Matching(ctx, a)
	if err != nil {
		return 0, err
	}
	if !m.Connected {
		return 0, &roster.ValidationError{Fields: map[string]string{"": m.Problem}}
	}
	if len(m.UnmatchedTypes) == 0 {
		return 0, nil
	}
	now := s.now().UTC()
	var names []string
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		for _, t := range m.UnmatchedTypes {
			name := strings.TrimSpace(t.Name)
			taken, err := tx.AbsenceCategoryNameTaken(ctx, a.OrgID, name, 0)
			if err != nil {
				return err
			}
			if taken { // a category of that name is paired with another type
				name = fmt.Sprintf("%s (Personio %d)", name, t.ID)
			}
			id := t.ID
			c := store.AbsenceCategory{OrgID: a.OrgID, Name: name, PersonioTypeID: &id, PersonioTypeName: t.Name,
				HalfDays: t.HalfDaysAllowed, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateAbsenceCategory(ctx, &c); err != nil {
				return err
			}
			names = append(names, name)
		}
		return tx.AddAudit(ctx, store.NewAuditEvent(a, "absence_category.created_from_personio", "absence_category", 0,
			fmt.Sprintf("%d categor(ies)", len(names)), strings.Join(names, ", "), now))
	})
	if err != nil {
		return 0, err
	}
	return len(names), nil
}
