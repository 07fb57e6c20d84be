package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/views"
)

// lineageView builds the lineage section of a user: the scope explanation
// and page (from 1) of the fields a sync changed.
func (s *Server) lineageView(c echo.Context, userID int64, userName string, page int) (*views.UserLineage, error) {
	ctx, a := c.Request().Context(), actor(c)
	l, err := s.Accounts.UserLineage(ctx, a, userID, page)
	if err != nil {
		return nil, err
	}
	sc, err := s.Accounts.UserScope(ctx, a, userID)
	if err != nil {
		return nil, err
	}
	loc := location(c)
	v := &views.UserLineage{UserID: userID, UserName: userName, Page: l.Page, Total: l.Total, HasNext: l.HasNext(),
		Scope: views.LineageScope{State: sc.State, Label: scopeLabel(sc.State), Explanation: sc.Explanation, Excluded: sc.Excluded, ExcludedBy: sc.ExcludedBy}}
	if sc.Filter != "" && !sc.InFilterScope {
		v.Scope.Filter = accounts.FilterLabel(sc.Filter)
	}
	if sc.Excluded {
		v.Scope.ExcludedAt = views.FormatTime(sc.ExcludedAt, loc)
	}
	for _, r := range l.Rows {
		row := views.LineageRow{Field: lineageFieldLabel(r.Field), Old: r.OldValue, New: r.NewValue, Source: r.Source, ChangedAt: views.FormatTime(r.ChangedAt, loc)}
		if r.RunID != nil {
			row.RunID = *r.RunID
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

func scopeLabel(state string) string {
	switch state {
	case accounts.ScopeInScope:
		return "In scope"
	case accounts.ScopeOutOfScope:
		return "Out of scope"
	case accounts.ScopeExcluded:
		return "Excluded from the sync"
	case accounts.ScopeRemoved:
		return "Removed from Personio"
	case accounts.ScopeMissing:
		return "Employee not in the synced data"
	}
	return "Not linked"
}

// lineageFieldLabel names a lineage field for people.
func lineageFieldLabel(f string) string {
	switch f {
	case "job_title":
		return "job title"
	case "hire_date":
		return "hire date"
	case "last_working_day":
		return "last working day"
	case "termination_date":
		return "termination date"
	case "cost_center":
		return "cost center"
	case "picture_url":
		return "picture"
	}
	return f
}

// userLineage is GET /users/:id/lineage: the lineage table (htmx fragment,
// ?page=N) or, without htmx, a page with the whole section.
func (s *Server) userLineage(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	r, err := s.Accounts.GetUser(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	v, err := s.lineageView(c, id, r.Name, page)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.LineagePage(s.page(c, "Lineage of "+r.Name, "users"), *v), views.LineageTable(*v))
}
