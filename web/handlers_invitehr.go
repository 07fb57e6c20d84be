package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/hrinvite"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

const inviteHRPath = "/users/invite-hr"

// inviteHRFilter reads the filter from the query (GET) or the form (POST).
func inviteHRFilter(c echo.Context) (hrinvite.Filter, url.Values) {
	f := hrinvite.Filter{Query: strings.TrimSpace(c.FormValue("q")), Unit: strings.TrimSpace(c.FormValue("team")), CostCenter: strings.TrimSpace(c.FormValue("cost_center"))}
	base := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "team": f.Unit, "cost_center": f.CostCenter} {
		if v != "" {
			base.Set(k, v)
		}
	}
	return f, base
}

func (s *Server) inviteHRView(c echo.Context, checked []int64, errs map[string]string) (views.InviteHR, error) {
	f, base := inviteHRFilter(c)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	res, err := s.HRInvite.List(c.Request().Context(), actor(c), f, page)
	if err != nil {
		return views.InviteHR{}, err
	}
	label, all := "Team", "All teams"
	if res.Source == store.TeamSourceDepartment {
		label, all = "Department", "All departments"
	}
	v := views.InviteHR{Page: s.page(c, "Invite users via HR", "users"), Query: f.Query, Unit: f.Unit, CostCenter: f.CostCenter,
		UnitLabel: label, Units: facetOptions(res.Units, f.Unit, all), CostCenters: facetOptions(res.CostCenters, f.CostCenter, "All cost centers"),
		Total: res.Total, Pager: views.Pager{Page: res.Page, Pages: res.Pages, Total: res.Total, Base: base, Path: inviteHRPath}, Errors: errs}
	for _, r := range res.Rows {
		e := r.Employee
		v.Rows = append(v.Rows, views.InviteHRRow{PersonioID: e.PersonioID, Name: e.DisplayName(), Email: e.Email, Position: e.Position,
			Unit: r.Unit, Team: r.Team, NoEmail: r.NoEmail, Checked: slices.Contains(checked, e.PersonioID),
			Error: errs[fmt.Sprintf("employee_%d", e.PersonioID)]})
	}
	return v, nil
}

func (s *Server) inviteHR(c echo.Context) error {
	v, err := s.inviteHRView(c, nil, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.InviteHRPage(v), nil)
}

// inviteHRDone flashes the count and goes to the users list, or shows the
// page again with the problems (422).
func (s *Server) inviteHRDone(c echo.Context, n int, checked []int64, err error) error {
	if fe := roster.FieldErrors(err); fe != nil {
		if _, ok := fe[""]; !ok {
			msgs := make([]string, 0, len(fe))
			for _, m := range fe {
				msgs = append(msgs, m)
			}
			slices.Sort(msgs)
			fe[""] = "Nobody was invited. " + strings.Join(msgs, " ")
		}
		v, verr := s.inviteHRView(c, checked, fe)
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.InviteHRPage(v), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", plural(n, "invitation", "invitations")+" sent.")
	return redirect(c, "/users")
}

func (s *Server) inviteHRSelected(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return fmt.Errorf("read form: %w", err)
	}
	var ids []int64
	for _, v := range form["employee"] {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return s.inviteHRDone(c, 0, ids, &roster.ValidationError{Fields: map[string]string{"": "The form was not understood; reload the page."}})
		}
		ids = append(ids, id)
	}
	n, err := s.HRInvite.Invite(c.Request().Context(), actor(c), ids)
	return s.inviteHRDone(c, n, ids, err)
}

func (s *Server) inviteHRAll(c echo.Context) error {
	f, _ := inviteHRFilter(c)
	n, err := s.HRInvite.InviteAllMatching(c.Request().Context(), actor(c), f)
	return s.inviteHRDone(c, n, nil, err)
}
