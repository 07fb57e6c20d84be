package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		s.Logger.WarnContext(ctx, "readiness check failed", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) auditRows(c echo.Context, es []store.AuditEvent) []views.AuditRow {
	loc := location(c)
	rows := make([]views.AuditRow, 0, len(es))
	for _, e := range es {
		actor := e.ActorName
		if actor == "" {
			actor = "Roster"
		}
		rows = append(rows, views.AuditRow{When: views.FormatTime(e.CreatedAt, loc), Actor: actor, Action: e.Action, Target: e.TargetLabel, Details: e.Details})
	}
	return rows
}

func (s *Server) dashboard(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	d := views.Dashboard{Page: s.page(c, "Dashboard", "dashboard")}
	if d.IsAdmin {
		counts, err := s.Accounts.CountByStatus(ctx, a)
		if err != nil {
			return err
		}
		d.Active, d.Invited, d.Deactivated = counts[store.StatusActive], counts[store.StatusInvited], counts[store.StatusDeactivated]
		ts, err := s.Teams.List(ctx, a)
		if err != nil {
			return err
		}
		d.Teams = len(ts)
		es, _, err := s.Accounts.Audit(ctx, a, store.AuditFilter{Limit: 8})
		if err != nil {
			return err
		}
		d.Recent = s.auditRows(c, es)
	} else {
		u, err := s.Accounts.GetUser(ctx, a, a.UserID)
		if err != nil {
			return err
		}
		for _, t := range u.Teams {
			d.MyTeams = append(d.MyTeams, t.Name)
		}
	}
	return render(c, http.StatusOK, views.DashboardPage(d), nil)
}

const auditPageSize = 50

func (s *Server) auditList(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	if page < 1 {
		page = 1
	}
	action := c.QueryParam("action")
	es, total, err := s.Accounts.Audit(ctx, a, store.AuditFilter{Action: action, Limit: auditPageSize, Offset: (page - 1) * auditPageSize})
	if err != nil {
		return err
	}
	actions, err := s.Accounts.AuditActions(ctx, a)
	if err != nil {
		return err
	}
	opts := []views.Option{{Value: "", Label: "All actions", Selected: action == ""}}
	for _, ac := range actions {
		opts = append(opts, views.Option{Value: ac, Label: ac, Selected: ac == action})
	}
	base := map[string][]string{}
	if action != "" {
		base["action"] = []string{action}
	}
	v := views.AuditList{Page: s.page(c, "Audit log", "audit"), Action: action, Actions: opts, Rows: s.auditRows(c, es),
		Pager: views.Pager{Page: page, Pages: int((total + auditPageSize - 1) / auditPageSize), Total: total, Base: base, Path: "/audit"}}
	return render(c, http.StatusOK, views.AuditPage(v), views.AuditTable(v))
}

func (s *Server) mailbox(c echo.Context) error {
	var rows []views.MailRow
	for _, m := range s.Mailbox.Messages() {
		rows = append(rows, views.MailRow{ID: m.ID, When: views.FormatTime(m.SentAt, location(c)), To: m.To, Subject: m.Subject, Body: m.Text, Link: m.Link})
	}
	return render(c, http.StatusOK, views.MailboxPage(s.page(c, "Dev mailbox", "mailbox"), rows), nil)
}
