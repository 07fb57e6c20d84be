package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// LineagePerPage is how many lineage rows a page shows.
const LineagePerPage = 20

// Lineage is a page of a user's lineage, newest first.
type Lineage struct {
	UserID  int64
	Rows    []store.LineageEntry
	Total   int64
	Page    int
	PerPage int
}

// HasNext reports whether a later (older) page exists.
func (l *Lineage) HasNext() bool { return int64(l.Page*l.PerPage) < l.Total }

// UserLineage returns page (from 1) of the lineage of a user of the
// actor's organisation: every field a sync, a link, an invitation or the
// team mapping changed. Admins only.
func (s *Service) UserLineage(ctx context.Context, a roster.Actor, userID int64, page int) (*Lineage, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	if _, err := s.store.User(ctx, a.OrgID, userID); err != nil {
		return nil, err
	}
	page = max(page, 1)
	rows, total, err := s.store.UserLineage(ctx, a.OrgID, userID, LineagePerPage, (page-1)*LineagePerPage)
	if err != nil {
		return nil, err
	}
	return &Lineage{UserID: userID, Rows: rows, Total: total, Page: page, PerPage: LineagePerPage}, nil
}

// Scope states, in order of precedence.
const (
	ScopeNotLinked  = "not_linked"
	ScopeMissing    = "missing"
	ScopeRemoved    = "removed"
	ScopeExcluded   = "excluded"
	ScopeOutOfScope = "out_of_scope"
	ScopeInScope    = "in_scope"
)

// Scope says why a user's employee is in or out of the sync's scope.
type Scope struct {
	State      string
	PersonioID int64
	// Employee is the mirrored employee's name ("" when not linked or
	// not mirrored).
	Employee string
	// Filter is the sync filter that leaves the employee out (subcompany,
	// status, office, employment_type); Value the employee's value for it
	// and Allowed the values the filter keeps.
	Filter  string
	Value   string
	Allowed []string
	// InFilterScope is the employee's scope by the filters alone (an
	// excluded employee may be inside them).
	InFilterScope bool
	// Excluded: an admin excluded the employee from the sync.
	Excluded      bool
	ExcludedBy    string
	ExcludedAt    time.Time
	ExcludeReason string
	// Explanation says it in words.
	Explanation string
}

// FilterLabel names a sync filter for people.
func FilterLabel(filter string) string {
	switch filter {
	case hrsync.ScopeSubcompany:
		return "subcompany"
	case hrsync.ScopeStatus:
		return "status"
	case hrsync.ScopeOffice:
		return "office"
	case hrsync.ScopeEmploymentType:
		return "employment type"
	}
	return filter
}

// UserScope explains why a user of the actor's organisation is in or out
// of the sync's scope: not linked, employee missing or removed from
// Personio, excluded by an admin (who, when, why), or left out by a sync
// filter (which one, the employee's value and what the filter keeps).
// Admins only.
func (s *Service) UserScope(ctx context.Context, a roster.Actor, userID int64) (*Scope, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, a.OrgID, userID)
	if err != nil {
		return nil, err
	}
	if u.PersonioID == nil {
		return &Scope{State: ScopeNotLinked, Explanation: "Not linked to a Personio employee: the sync does not change this user."}, nil
	}
	sc := &Scope{PersonioID: *u.PersonioID}
	e, err := s.store.HREmployee(ctx, a.OrgID, *u.PersonioID)
	switch {
	case errors.Is(err, roster.ErrNotFound):
		sc.State = ScopeMissing
		sc.Explanation = fmt.Sprintf("Linked to Personio employee %d, which is not in the synced data: the sync does not change this user.", sc.PersonioID)
		return sc, nil
	case err != nil:
		return nil, err
	}
	sc.Employee = e.DisplayName()
	sc.InFilterScope = e.InScope
	x, by, err := s.store.HRExclusionOf(ctx, a.OrgID, e.PersonioID)
	if err != nil {
		return nil, err
	}
	if x != nil {
		sc.Excluded, sc.ExcludedBy, sc.ExcludedAt, sc.ExcludeReason = true, by, x.CreatedAt, x.Reason
	}
	if !e.InScope {
		sc.Filter = e.ScopeReason
		sc.Value = filterValue(e, e.ScopeReason)
		settings, err := s.store.SyncSettings(ctx, a.OrgID)
		if err != nil {
			return nil, fmt.Errorf("load sync settings: %w", err)
		}
		sc.Allowed = filterValues(settings, e.ScopeReason)
	}
	switch {
	case e.RemovedAt != nil:
		sc.State = ScopeRemoved
		sc.Explanation = fmt.Sprintf("%s was removed from Personio: the sync no longer changes this user.", sc.Employee)
	case sc.Excluded:
		sc.State = ScopeExcluded
		who := "an admin"
		if sc.ExcludedBy != "" {
			who = sc.ExcludedBy
		}
		sc.Explanation = fmt.Sprintf("Excluded from the sync by %s: the sync does not change this user.", who)
		if sc.ExcludeReason != "" {
			sc.Explanation += " Reason: " + sc.ExcludeReason + "."
		}
		if !e.InScope {
			sc.Explanation += " Also out of scope: " + outOfFilter(sc)
		}
	case !e.InScope:
		sc.State = ScopeOutOfScope
		sc.Explanation = "Out of scope: " + outOfFilter(sc) + " The sync does not change this user."
	default:
		sc.State = ScopeInScope
		sc.Explanation = fmt.Sprintf("In scope: %s (Personio employee %d) passes every filter of the sync settings and is not excluded; each sync applies their changes.",
			sc.Employee, sc.PersonioID)
	}
	return sc, nil
}

// outOfFilter says which filter leaves the employee out and why.
func outOfFilter(sc *Scope) string {
	value := sc.Value
	if value == "" {
		value = "none"
	}
	return fmt.Sprintf("the %s filter of the sync settings keeps only %s, and %s's %s is %q.",
		FilterLabel(sc.Filter), quoteList(sc.Allowed), sc.Employee, FilterLabel(sc.Filter), value)
}

func filterValue(e *store.HREmployee, filter string) string {
	switch filter {
	case hrsync.ScopeSubcompany:
		return e.SubcompanyName
	case hrsync.ScopeStatus:
		return e.Status
	case hrsync.ScopeOffice:
		return e.OfficeName
	case hrsync.ScopeEmploymentType:
		return e.EmploymentType
	}
	return ""
}

func filterValues(st *store.SyncSettings, filter string) []string {
	raw := ""
	switch filter {
	case hrsync.ScopeSubcompany:
		raw = st.FilterSubcompanies
	case hrsync.ScopeStatus:
		raw = st.FilterStatuses
	case hrsync.ScopeOffice:
		raw = st.FilterOffices
	case hrsync.ScopeEmploymentType:
		raw = st.FilterEmploymentTypes
	}
	var vals []string
	if strings.TrimSpace(raw) != "" {
		// A malformed filter cannot have excluded anyone (the sync refuses
		// it); show no values then.
		_ = json.Unmarshal([]byte(raw), &vals)
	}
	return vals
}

func quoteList(vs []string) string {
	if len(vs) == 0 {
		return "nothing"
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
