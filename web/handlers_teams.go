package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/teams"
	"github.com/rosterhq/roster/views"
)

func (s *Server) teamsView(c echo.Context, newName string, errs views.Errors) (views.TeamsList, error) {
	rows, err := s.Teams.List(c.Request().Context(), actor(c))
	if err != nil {
		return views.TeamsList{}, err
	}
	var ids []int64
	for _, r := range rows {
		for _, p := range []*int64{r.ManagerID, r.ApproverID} {
			if p != nil {
				ids = append(ids, *p)
			}
		}
	}
	users, err := s.Accounts.UsersByIDs(c.Request().Context(), actor(c), ids)
	if err != nil {
		return views.TeamsList{}, err
	}
	name := func(p *int64) string {
		if p == nil {
			return ""
		}
		return users[*p].Name
	}
	v := views.TeamsList{Page: s.page(c, "Teams", "teams"), NewName: newName, Errors: errs}
	for _, r := range rows {
		v.Rows = append(v.Rows, views.TeamRow{ID: r.ID, Name: r.Name, Members: r.Members, Manager: name(r.ManagerID), Approver: name(r.ApproverID)})
	}
	return v, nil
}

func (s *Server) teamsList(c echo.Context) error {
	v, err := s.teamsView(c, "", nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TeamsPage(v), nil)
}

func (s *Server) teamCreate(c echo.Context) error {
	t, err := s.Teams.Create(c.Request().Context(), actor(c), teams.Input{Name: c.FormValue("name")})
	if fe := roster.FieldErrors(err); fe != nil {
		v, verr := s.teamsView(c, c.FormValue("name"), fe)
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.TeamsPage(v), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", fmt.Sprintf("Team %s created. Add members and set a manager.", t.Name))
	return redirect(c, "/teams/"+strconv.FormatInt(t.ID, 10))
}

func (s *Server) teamView(c echo.Context, id int64, errs views.Errors, override *teams.Input) (views.TeamDetail, error) {
	d, err := s.Teams.Get(c.Request().Context(), actor(c), id)
	if err != nil {
		return views.TeamDetail{}, err
	}
	people, err := s.Accounts.ActiveUsers(c.Request().Context(), actor(c))
	if err != nil {
		return views.TeamDetail{}, err
	}
	mgr, apr, name := ptrVal(d.Team.ManagerID), ptrVal(d.Team.ApproverID), d.Team.Name
	if override != nil {
		mgr, apr, name = override.ManagerID, override.ApproverID, override.Name
	}
	v := views.TeamDetail{Page: s.page(c, d.Team.Name, "teams"), ID: d.Team.ID, Name: name, Errors: errs}
	v.Managers = personOptions(people, mgr, "No manager")
	v.Approvers = personOptions(people, apr, "No approver (the manager approves)")
	inTeam := map[int64]bool{}
	for _, m := range d.Members {
		inTeam[m.ID] = true
		v.Members = append(v.Members, views.TeamMember{ID: m.ID, Name: m.Name, Email: m.Email, Status: m.Status})
	}
	for _, p := range people {
		if !inTeam[p.ID] {
			v.Candidates = append(v.Candidates, views.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.Email + ")"})
		}
	}
	return v, nil
}

func ptrVal(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func personOptions(people []store.User, selected int64, none string) []views.Option {
	opts := []views.Option{{Value: "", Label: none, Selected: selected == 0}}
	for _, p := range people {
		opts = append(opts, views.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name, Selected: p.ID == selected})
	}
	return opts
}

func (s *Server) teamShow(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.teamView(c, id, nil, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TeamPage(v), nil)
}

func (s *Server) teamUpdate(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	in := teams.Input{Name: c.FormValue("name")}
	in.ManagerID, _ = strconv.ParseInt(c.FormValue("manager_id"), 10, 64)
	in.ApproverID, _ = strconv.ParseInt(c.FormValue("approver_id"), 10, 64)
	err = s.Teams.Update(c.Request().Context(), actor(c), id, in)
	if fe := roster.FieldErrors(err); fe != nil {
		v, verr := s.teamView(c, id, fe, &in)
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.TeamPage(v), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Team saved.")
	return redirect(c, "/teams/"+strconv.FormatInt(id, 10))
}

func (s *Server) teamDelete(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	err = s.Teams.Delete(c.Request().Context(), actor(c), id)
	if fe := roster.FieldErrors(err); fe != nil {
		v, verr := s.teamView(c, id, fe, nil)
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.TeamPage(v), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Team deleted.")
	return redirect(c, "/teams")
}

func (s *Server) teamAddMember(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	uid, _ := strconv.ParseInt(c.FormValue("user_id"), 10, 64)
	err = s.Teams.AddMember(c.Request().Context(), actor(c), id, uid)
	if fe := roster.FieldErrors(err); fe != nil {
		v, verr := s.teamView(c, id, fe, nil)
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.TeamPage(v), nil)
	}
	if err != nil {
		return err
	}
	return redirect(c, "/teams/"+strconv.FormatInt(id, 10))
}

func (s *Server) teamRemoveMember(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	uid, err := paramID(c, "userID")
	if err != nil {
		return err
	}
	if err := s.Teams.RemoveMember(c.Request().Context(), actor(c), id, uid); err != nil {
		return err
	}
	return redirect(c, "/teams/"+strconv.FormatInt(id, 10))
}
