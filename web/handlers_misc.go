package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
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
	ctx, a, loc := c.Request().Context(), actor(c), location(c)
	d := views.Dashboard{Page: s.page(c, "Dashboard", "dashboard")}
	if err := s.dashboardActivity(c, &d); err != nil {
		return err
	}
	if !d.IsAdmin {
		u, err := s.Accounts.GetUser(ctx, a, a.UserID)
		if err != nil {
			return err
		}
		for _, t := range u.Teams {
			d.MyTeams = append(d.MyTeams, t.Name)
		}
		return render(c, http.StatusOK, views.DashboardPage(d), nil)
	}
	ad, err := s.Dashboard.ForAdmin(ctx, a, loc)
	if err != nil {
		return err
	}
	d.Active, d.Invited, d.Deactivated = ad.Counts.Active, ad.Counts.Invited, ad.Counts.Deactivated
	d.Linked, d.Unlinked, d.Teams = ad.Counts.Linked, ad.Counts.Unlinked, ad.Teams
	if ad.HasConnection {
		h := &views.DashboardHealth{Connected: ad.Connected, Failures: ad.Failures}
		if ad.LastSuccess != nil && ad.LastSuccess.FinishedAt != nil {
			h.DataAsOf = views.FormatTime(*ad.LastSuccess.FinishedAt, loc)
		}
		if r := ad.LastRun; r != nil {
			h.LastRunID, h.LastRun, h.LastStatus = r.ID, views.FormatTime(r.StartedAt, loc), r.Status
			if r.Status == store.RunFailed {
				h.LastError = r.Error
			}
		}
		if s.Schedule != nil && ad.Connected {
			if full, partial := s.Schedule.NextRuns(a.OrgID); !full.IsZero() {
				h.NextFull, h.NextPartial = views.FormatTime(full, loc), views.FormatTime(partial, loc)
			}
		}
		d.Health = h
		for i := range ad.Recent {
			d.Runs = append(d.Runs, runRow(&ad.Recent[i], loc))
		}
		today, _ := time.ParseInLocation(time.DateOnly, ad.Today, loc)
		d.Joiners, d.Leavers = upcomingRows(ad.Joiners, today), upcomingRows(ad.Leavers, today)
		until, _ := time.ParseInLocation(time.DateOnly, ad.Until, loc)
		d.Until = views.FormatDate(until)
	}
	problems, err := s.healthProblemRows(c)
	if err != nil {
		return err
	}
	anomalies, _, err := s.orgHealth(c)
	if err != nil {
		return err
	}
	d.HealthProblems = len(problems) + len(anomalies)
	es, _, err := s.Accounts.Audit(ctx, a, store.AuditFilter{Limit: 8})
	if err != nil {
		return err
	}
	d.Recent = s.auditRows(c, es)
	return render(c, http.StatusOK, views.DashboardPage(d), nil)
}

// upcomingRows maps joiners or leavers for the dashboard.
func upcomingRows(es []store.UpcomingEmployee, today time.Time) []views.UpcomingRow {
	out := make([]views.UpcomingRow, 0, len(es))
	for i := range es {
		e := &es[i]
		r := views.UpcomingRow{Name: e.DisplayName(), Date: e.Date, UserStatus: "not in Roster"}
		var parts []string
		for _, p := range []string{e.Position, e.TeamName} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		if len(parts) == 0 && e.DepartmentName != "" {
			parts = append(parts, e.DepartmentName)
		}
		r.Detail = strings.Join(parts, " · ")
		if day, err := time.ParseInLocation(time.DateOnly, e.Date, today.Location()); err == nil {
			r.Date = views.FormatDate(day)
			switch n := int(day.Sub(today).Hours()/24 + 0.5); n {
			case 0:
				r.InDays = "today"
			case 1:
				r.InDays = "tomorrow"
			default:
				r.InDays = "in " + strconv.Itoa(n) + " days"
			}
		}
		if e.UserID != nil {
			r.UserURL, r.UserStatus = "/users/"+strconv.FormatInt(*e.UserID, 10), e.UserStatus
		}
		out = append(out, r)
	}
	return out
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

// dashboardActivity fills what waits for the viewer's decision (approvers
// and admins) and, for members, their pending requests and time this week.
func (s *Server) dashboardActivity(c echo.Context, d *views.Dashboard) error {
	ctx, a := c.Request().Context(), actor(c)
	if d.CanApprove && s.Absences != nil {
		w := &views.DashboardWaiting{}
		inbox, err := s.Absences.Approvals(ctx, a)
		if err != nil {
			return err
		}
		for _, r := range inbox.Rows {
			if r.Status == store.AbsenceToConfirm {
				w.ToConfirm++
			} else if r.Status == store.AbsencePending {
				w.Requests++
			}
		}
		if s.Time != nil {
			rows, err := s.Time.ToReview(ctx, a)
			if err != nil {
				return err
			}
			w.TimeEntries = len(rows)
		}
		d.Waiting = w
	}
	if d.IsAdmin {
		return nil
	}
	if s.Absences != nil {
		mine, away, err := s.Absences.Mine(ctx, a)
		if err != nil {
			return err
		}
		for i := range mine {
			if mine[i].Status == store.AbsencePending {
				d.MyRequests = append(d.MyRequests, absenceRowView(&mine[i], "", away))
			}
		}
	}
	if s.Time != nil {
		wk, err := s.Time.Week(ctx, a, "")
		if err != nil {
			return err
		}
		if wk.Total > 0 {
			d.MyWeek = fmtDuration(wk.Total)
		}
	}
	return nil
}
