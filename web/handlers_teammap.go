package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/teammap"
	"github.com/rosterhq/roster/views"
)

const teamMapPath = "/settings/hr/teams"

// teamMapView maps the overview to the page; chosen overrides the selects
// (a form re-rendered with errors).
func (s *Server) teamMapView(c echo.Context, o *teammap.Overview, chosen map[string]int64, errs map[string]string) views.TeamMap {
	v := views.TeamMap{Page: s.page(c, "Map teams", "hr"), Source: o.Source, Synced: o.Synced, Unmapped: o.Unmapped, Errors: errs}
	for _, r := range o.Rows {
		sel := r.TeamID
		if id, ok := chosen[r.Key]; ok {
			sel = id
		}
		opts := make([]views.Option, 0, len(o.Teams)+1)
		opts = append(opts, views.Option{Value: "0", Label: "— not mapped —", Selected: sel == 0})
		for _, t := range o.Teams {
			opts = append(opts, views.Option{Value: strconv.FormatInt(t.ID, 10), Label: t.Name, Selected: t.ID == sel})
		}
		v.Rows = append(v.Rows, views.TeamMapRow{Key: r.Key, Name: r.Name, Employees: r.Employees, Unmapped: r.Unmapped(), Options: opts, Error: errs["team_"+r.Key]})
	}
	return v
}

func (s *Server) teamMap(c echo.Context) error {
	o, err := s.TeamMap.List(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TeamMapPage(s.teamMapView(c, o, nil, nil)), nil)
}

// teamMapForm reads the "team_<personio key>" selects.
func teamMapForm(c echo.Context) (map[string]int64, map[string]string, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, nil, fmt.Errorf("read form: %w", err)
	}
	out := map[string]int64{}
	bad := map[string]string{}
	for name, vals := range form {
		key, ok := strings.CutPrefix(name, "team_")
		if !ok || key == "" || len(vals) == 0 {
			continue
		}
		id, err := strconv.ParseInt(strings.TrimSpace(vals[len(vals)-1]), 10, 64)
		if err != nil || id < 0 {
			bad[name] = "Choose a team of your organisation."
			continue
		}
		out[key] = id
	}
	return out, bad, nil
}

func (s *Server) teamMapSave(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	chosen, bad, err := teamMapForm(c)
	if err != nil {
		return err
	}
	var moved int
	if len(bad) > 0 {
		err = &roster.ValidationError{Fields: bad}
	} else {
		moved, err = s.TeamMap.Save(ctx, a, chosen)
	}
	if fe := roster.FieldErrors(err); fe != nil {
		o, lerr := s.TeamMap.List(ctx, a)
		if lerr != nil {
			return lerr
		}
		if _, ok := fe[""]; !ok {
			fe[""] = "Nothing was saved. Fix the highlighted rows and save again."
		}
		return render(c, http.StatusUnprocessableEntity, views.TeamMapPage(s.teamMapView(c, o, chosen, fe)), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", fmt.Sprintf("Saved. %s moved.", plural(moved, "user", "users")))
	return redirect(c, teamMapPath)
}

func (s *Server) teamMapCreate(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	res, err := s.TeamMap.CreateTeam(ctx, a, c.FormValue("personio_key"))
	if fe := roster.FieldErrors(err); fe != nil {
		o, lerr := s.TeamMap.List(ctx, a)
		if lerr != nil {
			return lerr
		}
		return render(c, http.StatusUnprocessableEntity, views.TeamMapPage(s.teamMapView(c, o, nil, map[string]string{"": fe["personio_key"]})), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", createdMessage(res))
	return redirect(c, teamMapPath)
}

func (s *Server) teamMapCreateAll(c echo.Context) error {
	res, err := s.TeamMap.CreateAllUnmapped(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	if res.Created == 0 && res.Reused == 0 {
		s.flash(c, "info", "Every Personio team is already mapped.")
	} else {
		s.flash(c, "success", createdMessage(res))
	}
	return redirect(c, teamMapPath)
}

func createdMessage(r *teammap.Created) string {
	var parts []string
	if r.Created > 0 {
		parts = append(parts, plural(r.Created, "team", "teams")+" created")
	}
	if r.Reused > 0 {
		parts = append(parts, plural(r.Reused, "existing team", "existing teams")+" mapped")
	}
	if len(parts) == 0 {
		parts = append(parts, "Mapping unchanged")
	}
	msg := strings.Join(parts, ", ")
	return strings.ToUpper(msg[:1]) + msg[1:] + fmt.Sprintf(". %s moved.", plural(r.Moved, "user", "users"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
