package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/drift"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

// driftHandlers serve Settings › HR software › Drift report.
type driftHandlers struct {
	s   *Server
	svc *drift.Service
}

// The query parameters of the sections' pages, with their anchors.
var driftPageParams = [...][2]string{
	{"users_page", "drift-users"},
	{"employees_page", "drift-employees"},
	{"emails_page", "drift-emails"},
	{"overwrites_page", "drift-overwrites"},
	{"mappings_page", "drift-mappings"},
}

func driftPages(c echo.Context) (drift.Pages, url.Values) {
	n := func(k string) int { v, _ := strconv.Atoi(c.QueryParam(k)); return max(v, 1) }
	p := drift.Pages{Users: n("users_page"), Employees: n("employees_page"), Emails: n("emails_page"),
		Overwrites: n("overwrites_page"), Mappings: n("mappings_page")}
	base := url.Values{}
	for _, kv := range driftPageParams {
		if v := n(kv[0]); v > 1 {
			base.Set(kv[0], strconv.Itoa(v))
		}
	}
	return p, base
}

func driftPager(base url.Values, i int, sec drift.Section) views.DriftPager {
	b := url.Values{}
	for k, v := range base {
		if k != driftPageParams[i][0] {
			b[k] = v
		}
	}
	return views.DriftPager{Param: driftPageParams[i][0], Anchor: driftPageParams[i][1], Page: sec.Page, Pages: sec.Pages, Total: sec.Total, Base: b}
}

func (h *driftHandlers) view(c echo.Context, errs map[string]string) (views.DriftReport, error) {
	pages, base := driftPages(c)
	r, err := h.svc.Report(c.Request().Context(), actor(c), pages)
	if err != nil {
		return views.DriftReport{}, err
	}
	v := views.DriftReport{Page: h.s.page(c, "Drift report", "hr"), Errors: errs, Problems: r.Problems(), UnitLabel: "team",
		UsersPager: driftPager(base, 0, r.UsersPage), EmpPager: driftPager(base, 1, r.EmpPage), EmailsPager: driftPager(base, 2, r.EmailsPage),
		OverPager: driftPager(base, 3, r.OverPage), MapPager: driftPager(base, 4, r.MapPage)}
	if r.Source == store.TeamSourceDepartment {
		v.UnitLabel = "department"
	}
	for _, u := range r.Users {
		v.Users = append(v.Users, views.DriftUserRow{ID: u.ID, Name: u.Name, Email: u.Email, Status: u.Status})
	}
	for _, e := range r.Employees {
		v.Employees = append(v.Employees, views.DriftEmployeeRow{PersonioID: e.Employee.PersonioID, Name: e.Employee.DisplayName(),
			Email: e.Employee.Email, Position: e.Employee.Position, Unit: e.Unit, NoEmail: e.NoEmail})
	}
	for _, e := range r.Emails {
		v.Emails = append(v.Emails, views.DriftEmailRow{UserID: e.UserID, Name: e.UserName, RosterEmail: e.UserEmail, PersonioEmail: e.EmployeeEmail})
	}
	for _, o := range r.Overwrites {
		row := views.DriftOverwriteRow{UserID: o.UserID, Name: o.UserName, Email: o.UserEmail, EmployeeName: o.EmployeeName}
		for _, ch := range o.Changes {
			row.Changes = append(row.Changes, views.DriftChange{Label: ch.Label, Old: ch.Old, New: ch.New})
		}
		v.Overwrites = append(v.Overwrites, row)
	}
	for _, m := range r.Mappings {
		row := views.DriftMappingRow{ID: m.ID, Key: m.Key, PersonioName: m.PersonioName, TeamName: m.TeamName, TeamMissing: m.TeamMissing, UnitGone: m.UnitGone}
		if !m.UnitGone {
			row.Teams = append(row.Teams, views.Option{Value: "", Label: "— choose a team —", Selected: true})
			for _, t := range r.Teams {
				row.Teams = append(row.Teams, views.Option{Value: strconv.FormatInt(t.ID, 10), Label: t.Name})
			}
		}
		v.Mappings = append(v.Mappings, row)
	}
	return v, nil
}

func (h *driftHandlers) report(c echo.Context) error {
	v, err := h.view(c, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.DriftReportPage(v), nil)
}

// done flashes msg and goes back to the section (303), or shows the report
// again with the problem (422) when the fix was refused.
func (h *driftHandlers) done(c echo.Context, anchor, msg string, err error) error {
	if fe := roster.FieldErrors(err); fe != nil {
		msgs := make([]string, 0, len(fe))
		for _, m := range fe {
			msgs = append(msgs, m)
		}
		slices.Sort(msgs)
		v, verr := h.view(c, map[string]string{"": "Nothing was changed. " + strings.Join(msgs, " ")})
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.DriftReportPage(v), nil)
	}
	if err != nil {
		return err
	}
	h.s.flash(c, "success", msg)
	return redirect(c, views.DriftPath+"#"+anchor)
}

func (h *driftHandlers) linkPick(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	q := strings.TrimSpace(c.QueryParam("q"))
	u, es, err := h.svc.LinkChoices(c.Request().Context(), actor(c), id, q)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.DriftLinkPage(h.linkView(c, u, q, es, nil)), nil)
}

func (h *driftHandlers) linkView(c echo.Context, u *store.User, q string, es []store.HREmployee, errs map[string]string) views.DriftLink {
	v := views.DriftLink{Page: h.s.page(c, "Link "+u.Name, "hr"), UserID: u.ID, Name: u.Name, Email: u.Email, Query: q, Errors: errs}
	for _, e := range es {
		v.Choices = append(v.Choices, views.DriftEmployeeChoice{PersonioID: e.PersonioID, Name: e.DisplayName(), Email: e.Email, Position: e.Position})
	}
	return v
}

func (h *driftHandlers) link(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	pid, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("personio_id")), 10, 64)
	u, err := h.svc.Link(ctx, a, id, pid)
	if fe := roster.FieldErrors(err); fe != nil {
		msgs := make([]string, 0, len(fe))
		for _, m := range fe {
			msgs = append(msgs, m)
		}
		slices.Sort(msgs)
		user, es, lerr := h.svc.LinkChoices(ctx, a, id, "")
		if lerr != nil {
			return lerr
		}
		return render(c, http.StatusUnprocessableEntity, views.DriftLinkPage(h.linkView(c, user, "", es,
			map[string]string{"": "Nothing was linked. " + strings.Join(msgs, " ")})), nil)
	}
	if err != nil {
		return err
	}
	h.s.flash(c, "success", u.Name+" is linked to their Personio employee.")
	return redirect(c, views.DriftPath+"#drift-users")
}

func (h *driftHandlers) useEmail(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	u, changed, err := h.svc.UsePersonioEmail(c.Request().Context(), actor(c), id)
	msg := ""
	if err == nil {
		msg = u.Name + " already has their Personio email."
		if changed {
			msg = u.Name + " now has their Personio email."
		}
	}
	return h.done(c, "drift-emails", msg, err)
}

func (h *driftHandlers) apply(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	u, cs, err := h.svc.ApplyPersonio(c.Request().Context(), actor(c), id)
	msg := ""
	if err == nil {
		msg = u.Name + " already had Personio's values."
		if len(cs) > 0 {
			msg = "Personio's values applied to " + u.Name + " (" + plural(len(cs), "field", "fields") + ")."
		}
	}
	return h.done(c, "drift-overwrites", msg, err)
}

func (h *driftHandlers) excludeUser(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	u, _, err := h.svc.ExcludeUser(c.Request().Context(), actor(c), id)
	msg := ""
	if err == nil {
		msg = u.Name + "'s employee is excluded from the sync; the values edited in Roster stay."
	}
	return h.done(c, "drift-overwrites", msg, err)
}

func (h *driftHandlers) invite(c echo.Context) error {
	id, err := paramID(c, "personioID")
	if err != nil {
		return err
	}
	e, err := h.svc.Invite(c.Request().Context(), actor(c), id)
	msg := ""
	if err == nil {
		msg = e.DisplayName() + " is invited to Roster."
	}
	return h.done(c, "drift-employees", msg, err)
}

func (h *driftHandlers) exclude(c echo.Context) error {
	id, err := paramID(c, "personioID")
	if err != nil {
		return err
	}
	e, _, err := h.svc.Exclude(c.Request().Context(), actor(c), id, c.FormValue("reason"))
	msg := ""
	if err == nil {
		msg = e.DisplayName() + " is excluded from the sync."
	}
	return h.done(c, "drift-employees", msg, err)
}

func (h *driftHandlers) remap(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	teamID, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("team_id")), 10, 64)
	m, err := h.svc.Remap(c.Request().Context(), actor(c), id, teamID)
	msg := ""
	if err == nil {
		msg = m.PersonioName + " is mapped again."
	}
	return h.done(c, "drift-mappings", msg, err)
}

func (h *driftHandlers) removeMapping(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	m, err := h.svc.RemoveMapping(c.Request().Context(), actor(c), id)
	msg := ""
	if err == nil {
		msg = "The mapping of " + m.PersonioName + " is removed."
	}
	return h.done(c, "drift-mappings", msg, err)
}
