package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

func paramID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, roster.ErrNotFound
	}
	return id, nil
}

func formIDs(c echo.Context, name string) []int64 {
	if err := c.Request().ParseForm(); err != nil {
		return nil
	}
	var ids []int64
	for _, v := range c.Request().Form[name] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

func userFilter(c echo.Context) (store.UserFilter, url.Values) {
	f := store.UserFilter{Query: c.QueryParam("q"), Status: c.QueryParam("status"), Role: c.QueryParam("role")}
	f.TeamID, _ = strconv.ParseInt(c.QueryParam("team"), 10, 64)
	base := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "status": f.Status, "role": f.Role, "team": c.QueryParam("team")} {
		if v != "" {
			base.Set(k, v)
		}
	}
	return f, base
}

func (s *Server) teamOptions(c echo.Context, selected string, allLabel string) ([]views.Option, error) {
	ts, err := s.Teams.List(c.Request().Context(), actor(c))
	if err != nil {
		return nil, err
	}
	opts := []views.Option{{Value: "", Label: allLabel, Selected: selected == ""}}
	for _, t := range ts {
		v := strconv.FormatInt(t.ID, 10)
		opts = append(opts, views.Option{Value: v, Label: t.Name, Selected: v == selected})
	}
	return opts, nil
}

func (s *Server) usersList(c echo.Context) error {
	f, base := userFilter(c)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	res, err := s.Accounts.ListUsers(c.Request().Context(), actor(c), f, page)
	if err != nil {
		return err
	}
	teamOpts, err := s.teamOptions(c, c.QueryParam("team"), "All teams")
	if err != nil {
		return err
	}
	loc, now, me := location(c), s.Now(), currentUser(c)
	v := views.UsersList{Page: s.page(c, "Users", "users"), Query: f.Query, Status: f.Status, Role: f.Role, Team: c.QueryParam("team"),
		Teams: teamOpts, Pager: views.Pager{Page: res.Page, Pages: res.Pages, Total: res.Total, Base: base, Path: "/users"}, ExportQuery: base.Encode()}
	for _, r := range res.Rows {
		row := views.UserRow{ID: r.ID, Name: r.Name, Email: r.Email, Role: r.Role, Status: r.Status, JobTitle: r.JobTitle,
			InvitationExpired: r.Status == store.StatusInvited && r.InvitationExpired(now), LastLogin: "never", IsSelf: r.ID == me.ID,
			FromPersonio: r.FromPersonio(), Manager: r.ManagerName}
		if r.LastLoginAt != nil {
			row.LastLogin = views.FormatTime(*r.LastLoginAt, loc)
		}
		for _, t := range r.Teams {
			row.Teams = append(row.Teams, t.Name)
		}
		v.Rows = append(v.Rows, row)
	}
	if conn, err := s.HR.Connection(c.Request().Context(), actor(c)); err == nil {
		v.HRConnected = conn.Status == store.ConnConnected
	} else if !errors.Is(err, roster.ErrNotFound) {
		return err
	}
	return render(c, http.StatusOK, views.UsersPage(v), views.UsersTable(v))
}

func (s *Server) usersExport(c echo.Context) error {
	f, _ := userFilter(c)
	format := c.QueryParam("format")
	if format != "csv" && format != "json" {
		return echo.NewHTTPError(http.StatusBadRequest, "Choose format=csv or format=json.")
	}
	ct := "text/csv; charset=utf-8"
	if format == "json" {
		ct = echo.MIMEApplicationJSON
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, ct)
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="users-%s.%s"`, s.Now().Format("2006-01-02"), format))
	c.Response().WriteHeader(http.StatusOK)
	return s.Accounts.ExportUsers(c.Request().Context(), actor(c), f, format, c.Response())
}

func roleOptions(selected string, actorRole string) []views.Option {
	var opts []views.Option
	for _, r := range store.Roles {
		if r == store.RoleOwner && actorRole != store.RoleOwner && selected != store.RoleOwner {
			continue
		}
		opts = append(opts, views.Option{Value: r, Label: roleLabel(r), Selected: r == selected})
	}
	return opts
}

func roleLabel(r string) string {
	switch r {
	case store.RoleOwner:
		return "Owner — everything, including other owners"
	case store.RoleAdmin:
		return "Admin — users, teams, HR connection, settings"
	case store.RoleManager:
		return "Manager — approves their reports' absences and time"
	}
	return "Member — own profile, absences and time"
}

func (s *Server) teamChecks(c echo.Context, checked []int64) ([]views.TeamCheck, error) {
	ts, err := s.Teams.List(c.Request().Context(), actor(c))
	if err != nil {
		return nil, err
	}
	set := map[int64]bool{}
	for _, id := range checked {
		set[id] = true
	}
	out := make([]views.TeamCheck, 0, len(ts))
	for _, t := range ts {
		out = append(out, views.TeamCheck{ID: t.ID, Name: t.Name, Checked: set[t.ID]})
	}
	return out, nil
}

func (s *Server) inviteForm(c echo.Context) error {
	teams, err := s.teamChecks(c, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.InvitePage(views.InviteForm{Page: s.page(c, "Invite user", "users"),
		Roles: roleOptions(store.RoleMember, currentUser(c).Role), Teams: teams}), nil)
}

func (s *Server) inviteSubmit(c echo.Context) error {
	in := accounts.InviteInput{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role"), TeamIDs: formIDs(c, "team_ids")}
	u, err := s.Accounts.Invite(c.Request().Context(), actor(c), in)
	if fe := roster.FieldErrors(err); fe != nil {
		teams, terr := s.teamChecks(c, in.TeamIDs)
		if terr != nil {
			return terr
		}
		return render(c, http.StatusUnprocessableEntity, views.InvitePage(views.InviteForm{Page: s.page(c, "Invite user", "users"),
			Email: in.Email, Name: in.Name, Roles: roleOptions(in.Role, currentUser(c).Role), Teams: teams, Errors: fe}), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", fmt.Sprintf("Invitation sent to %s.", u.Email))
	return redirect(c, "/users")
}

func (s *Server) userEditView(c echo.Context, id int64, errs views.Errors, override *accounts.UpdateInput) (views.UserEdit, error) {
	r, err := s.Accounts.GetUser(c.Request().Context(), actor(c), id)
	if err != nil {
		return views.UserEdit{}, err
	}
	loc := location(c)
	teamIDs := make([]int64, 0, len(r.Teams))
	for _, t := range r.Teams {
		teamIDs = append(teamIDs, t.ID)
	}
	name, title, role := r.Name, r.JobTitle, r.Role
	if override != nil {
		name, title, role, teamIDs = override.Name, override.JobTitle, override.Role, override.TeamIDs
	}
	teams, err := s.teamChecks(c, teamIDs)
	if err != nil {
		return views.UserEdit{}, err
	}
	v := views.UserEdit{Page: s.page(c, r.Name, "users"), ID: r.ID, Email: r.Email, Name: name, JobTitle: title, Status: r.Status,
		Roles: roleOptions(role, currentUser(c).Role), Teams: teams, Errors: errs, IsSelf: r.ID == currentUser(c).ID,
		Invited: r.Status == store.StatusInvited, CreatedAt: views.FormatTime(r.CreatedAt, loc), LastLogin: "never"}
	if r.LastLoginAt != nil {
		v.LastLogin = views.FormatTime(*r.LastLoginAt, loc)
	}
	if r.DeactivatedAt != nil {
		v.Deactivated = views.FormatTime(*r.DeactivatedAt, loc)
	}
	if r.Invitation != nil {
		v.InvitationExpired = r.InvitationExpired(s.Now())
		v.InvitationExpires = views.FormatTime(r.Invitation.ExpiresAt, loc)
	}
	if r.PersonioID != nil {
		v.Personio = personioView(r, loc)
	}
	if r.ManagerID != nil {
		v.ManagerID, v.Manager = *r.ManagerID, r.ManagerName
	}
	v.Note = statusNote(r, c)
	v.Bank, err = s.bankDetailsFor(c, r.ID)
	if err != nil {
		return v, err
	}
	v.Lineage, err = s.lineageView(c, r.ID, r.Name, 1)
	return v, err
}

// personioView is what Personio manages on a linked user, for display.
func personioView(r *accounts.UserRow, loc *time.Location) *views.UserPersonio {
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	p := &views.UserPersonio{PersonioID: strconv.FormatInt(*r.PersonioID, 10), Manager: dash(r.ManagerName),
		HireDate: dash(r.HireDate), LastWorkingDay: dash(r.LastWorkingDay), TerminationDate: dash(r.TerminationDate),
		CostCenter: dash(r.CostCenter), LastSynced: "never", PictureURL: r.PictureURL, Initials: initials(r.Name)}
	if r.ManagerID != nil && r.ManagerName != "" {
		p.ManagerID = *r.ManagerID
	}
	if r.PersonioSyncedAt != nil {
		p.LastSynced = views.FormatTime(*r.PersonioSyncedAt, loc)
	}
	return p
}

// initials are the first letters of the first and last word of a name.
func initials(name string) string {
	ws := strings.Fields(name)
	if len(ws) == 0 {
		return "?"
	}
	first := func(w string) string { return strings.ToUpper(string([]rune(w)[:1])) }
	out := first(ws[0])
	if len(ws) > 1 {
		out += first(ws[len(ws)-1])
	}
	return out
}

func (s *Server) userEdit(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.userEditView(c, id, nil, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.UserEditPage(v), nil)
}

func (s *Server) userUpdate(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	in := accounts.UpdateInput{Name: c.FormValue("name"), JobTitle: c.FormValue("job_title"), Role: c.FormValue("role"), TeamIDs: formIDs(c, "team_ids")}
	err = s.Accounts.UpdateUser(c.Request().Context(), actor(c), id, in)
	if fe := roster.FieldErrors(err); fe != nil {
		v, verr := s.userEditView(c, id, fe, &in)
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.UserEditPage(v), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Changes saved.")
	return redirect(c, "/users/"+strconv.FormatInt(id, 10))
}

// userAction runs a one-click action on a user and reports the outcome as a flash.
func (s *Server) userAction(c echo.Context, fn func(roster.Actor, int64) error, success string, after func(int64) string) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	err = fn(actor(c), id)
	if fe := roster.FieldErrors(err); fe != nil {
		s.flash(c, "danger", fe[""])
		return redirect(c, "/users/"+strconv.FormatInt(id, 10))
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", success)
	return redirect(c, after(id))
}

func backToUser(id int64) string { return "/users/" + strconv.FormatInt(id, 10) }

func (s *Server) userDeactivate(c echo.Context) error {
	return s.userAction(c, func(a roster.Actor, id int64) error { return s.Accounts.Deactivate(c.Request().Context(), a, id) },
		"User deactivated and logged out everywhere. Their data is kept.", backToUser)
}

func (s *Server) userReactivate(c echo.Context) error {
	return s.userAction(c, func(a roster.Actor, id int64) error { return s.Accounts.Reactivate(c.Request().Context(), a, id) },
		"User reactivated.", backToUser)
}

func (s *Server) userResend(c echo.Context) error {
	return s.userAction(c, func(a roster.Actor, id int64) error { return s.Accounts.ResendInvitation(c.Request().Context(), a, id) },
		"A new invitation link was sent; the previous one no longer works.", backToUser)
}

func (s *Server) userRevoke(c echo.Context) error {
	return s.userAction(c, func(a roster.Actor, id int64) error { return s.Accounts.RevokeInvitation(c.Request().Context(), a, id) },
		"Invitation revoked.", func(int64) string { return "/users" })
}
