package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

// healthProblemRows lists the organisation's open sync health problems.
func (s *Server) healthProblemRows(c echo.Context) ([]views.HealthProblemRow, error) {
	if s.Health == nil {
		return nil, nil
	}
	ps, err := s.Health.Open(c.Request().Context(), actor(c))
	if err != nil {
		return nil, err
	}
	loc := location(c)
	out := make([]views.HealthProblemRow, 0, len(ps))
	for _, p := range ps {
		r := views.HealthProblemRow{Kind: p.Kind, Title: p.Title, Detail: p.Detail, Link: p.Link, Since: views.FormatTime(p.OpenedAt, loc)}
		if p.LastAlertedAt != nil {
			r.Alerted = views.FormatTime(*p.LastAlertedAt, loc)
		}
		out = append(out, r)
	}
	return out, nil
}

// orgHealth returns the org chart's anomalies (computed by the org chart)
// and how many people it holds.
func (s *Server) orgHealth(c echo.Context) ([]views.OrgAnomaly, int, error) {
	o, err := s.Org.Overview(c.Request().Context(), actor(c), 0, 1)
	if err != nil {
		return nil, 0, err
	}
	out := make([]views.OrgAnomaly, 0, len(o.Anomalies))
	for _, a := range o.Anomalies {
		v := orgAnomalyView(a)
		v.Manager = views.OrgRef{ID: a.Manager.ID, Name: a.Manager.Name, Deactivated: a.Manager.Deactivated}
		out = append(out, v)
	}
	return out, o.Total, nil
}

// healthPage shows the open sync problems and the org chart's problems.
func (s *Server) healthPage(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	v := views.HealthPage{Page: s.page(c, "Health", "hr")}
	conn, err := s.HR.Connection(ctx, a)
	if err != nil && !errors.Is(err, roster.ErrNotFound) {
		return err
	}
	v.Connected = err == nil && conn.Status == store.ConnConnected
	if v.Problems, err = s.healthProblemRows(c); err != nil {
		return err
	}
	if v.Anomalies, v.People, err = s.orgHealth(c); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.HealthPageView(v), nil)
}
