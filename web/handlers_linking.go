package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

const linkPath = "/settings/hr/link"

// linkFallbackOptions is how many unlinked employees the plain-form select
// of a user without a match lists.
const linkFallbackOptions = 200

// linkChoice is what the form chose: checked matches and picked employees,
// by user id.
type linkChoice struct {
	checked map[string]bool // "userID:personioID"
	picked  map[int64]int64
}

func employeeOption(e store.HREmployee, selected int64) views.Option {
	label := e.DisplayName()
	if e.Email != "" {
		label += " <" + e.Email + ">"
	}
	return views.Option{Value: strconv.FormatInt(e.PersonioID, 10), Label: label, Selected: e.PersonioID == selected}
}

func noLinkOption(selected bool) views.Option {
	return views.Option{Value: "", Label: "— don't link —", Selected: selected}
}

func (s *Server) linkView(c echo.Context, res *linking.Result, ch *linkChoice, errs map[string]string) (views.LinkUsers, error) {
	v := views.LinkUsers{Page: s.page(c, "Link users", "hr"), Errors: errs}
	for _, m := range res.Matches {
		val := fmt.Sprintf("%d:%d", m.User.ID, m.Employee.PersonioID)
		team := m.Preview.Team
		if m.Preview.Unmapped {
			team = ""
		}
		v.Matches = append(v.Matches, views.LinkMatchRow{UserID: m.User.ID, Value: val, Email: m.User.Email,
			EmployeeName: m.Employee.DisplayName(), EmployeeEmail: m.Employee.Email,
			OldName: m.Preview.Name.Old, NewName: m.Preview.Name.New, OldTitle: m.Preview.JobTitle.Old, NewTitle: m.Preview.JobTitle.New,
			Team: team, Checked: ch == nil || ch.checked[val], Error: errs[fmt.Sprintf("user_%d", m.User.ID)],
			Manager: m.Preview.Manager, SupervisorMissing: m.Preview.SupervisorMissing,
			OldHire: m.Preview.HireDate.Old, NewHire: m.Preview.HireDate.New, OldLastDay: m.Preview.LastWorkingDay.Old, NewLastDay: m.Preview.LastWorkingDay.New})
	}
	pick := func(userID int64) int64 {
		if ch == nil {
			return 0
		}
		return ch.picked[userID]
	}
	for _, a := range res.Ambiguous {
		sel := pick(a.User.ID)
		opts := []views.Option{noLinkOption(sel == 0)}
		for _, e := range a.Employees {
			opts = append(opts, employeeOption(e, sel))
		}
		v.Ambiguous = append(v.Ambiguous, views.LinkPickRow{UserID: a.User.ID, Name: a.User.Name, Email: a.User.Email, Options: opts, Error: errs[fmt.Sprintf("user_%d", a.User.ID)]})
	}
	if len(res.NoMatch) > 0 {
		es, err := s.Linking.UnlinkedEmployees(c.Request().Context(), actor(c), "", linkFallbackOptions)
		if err != nil {
			return v, err
		}
		for _, u := range res.NoMatch {
			sel := pick(u.ID)
			opts := []views.Option{noLinkOption(sel == 0)}
			for _, e := range es {
				opts = append(opts, employeeOption(e, sel))
			}
			v.NoMatch = append(v.NoMatch, views.LinkPickRow{UserID: u.ID, Name: u.Name, Email: u.Email, Options: opts, Error: errs[fmt.Sprintf("user_%d", u.ID)]})
		}
	}
	return v, nil
}

func (s *Server) linkUsers(c echo.Context) error {
	res, err := s.Linking.Candidates(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	v, err := s.linkView(c, res, nil, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.LinkUsersPage(v), nil)
}

// linkSearch returns the options of the employee select of one user.
func (s *Server) linkSearch(c echo.Context) error {
	es, err := s.Linking.SearchEmployees(c.Request().Context(), actor(c), c.QueryParam("q"))
	if err != nil {
		return err
	}
	opts := []views.Option{noLinkOption(true)}
	for _, e := range es {
		opts = append(opts, employeeOption(e, 0))
	}
	return render(c, http.StatusOK, views.LinkSearchOptions(opts), nil)
}

// linkForm reads the "link" checkboxes ("userID:personioID") and the
// "pick_<userID>" selects.
func linkForm(c echo.Context) (*linkChoice, []linking.Pair, map[string]string, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read form: %w", err)
	}
	ch := &linkChoice{checked: map[string]bool{}, picked: map[int64]int64{}}
	var pairs []linking.Pair
	bad := map[string]string{}
	for _, v := range form["link"] {
		us, ps, ok := strings.Cut(strings.TrimSpace(v), ":")
		uid, err1 := strconv.ParseInt(us, 10, 64)
		pid, err2 := strconv.ParseInt(ps, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			bad[""] = "The form was not understood; reload the page."
			continue
		}
		ch.checked[v] = true
		pairs = append(pairs, linking.Pair{UserID: uid, PersonioID: pid})
	}
	for name, vals := range form {
		us, ok := strings.CutPrefix(name, "pick_")
		if !ok || len(vals) == 0 || strings.TrimSpace(vals[len(vals)-1]) == "" {
			continue
		}
		uid, err1 := strconv.ParseInt(us, 10, 64)
		pid, err2 := strconv.ParseInt(strings.TrimSpace(vals[len(vals)-1]), 10, 64)
		if err1 != nil || err2 != nil {
			bad[name] = "Choose a Personio employee."
			continue
		}
		ch.picked[uid] = pid
		pairs = append(pairs, linking.Pair{UserID: uid, PersonioID: pid})
	}
	return ch, pairs, bad, nil
}

func (s *Server) linkUsersSave(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	ch, pairs, bad, err := linkForm(c)
	if err != nil {
		return err
	}
	var n int
	if len(bad) > 0 {
		err = &roster.ValidationError{Fields: bad}
	} else {
		n, err = s.Linking.Link(ctx, a, pairs)
	}
	if fe := roster.FieldErrors(err); fe != nil {
		res, lerr := s.Linking.Candidates(ctx, a)
		if lerr != nil {
			return lerr
		}
		if _, ok := fe[""]; !ok {
			msgs := make([]string, 0, len(fe))
			for _, m := range fe {
				msgs = append(msgs, m)
			}
			fe[""] = "Nothing was linked. " + strings.Join(msgs, " ")
		}
		v, verr := s.linkView(c, res, ch, fe)
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.LinkUsersPage(v), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", plural(n, "user", "users")+" linked.")
	return redirect(c, linkPath)
}
