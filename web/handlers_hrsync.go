package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

func runRow(r *store.SyncRun, loc *time.Location) views.RunRow {
	return views.RunRow{ID: r.ID, Started: views.FormatTime(r.StartedAt, loc), Trigger: strings.ReplaceAll(r.Trigger, "_", " "), Mode: r.Mode, Area: r.Area,
		Status: r.Status, Phase: r.Phase, New: r.NewCount, Changed: r.ChangedCount, Unchanged: r.UnchangedCount, Removed: r.RemovedCount,
		Warnings: r.WarningCount, Errors: r.ErrorCount, APICalls: r.APICalls, Pages: r.PagesFetched, Processed: r.Processed,
		Duration: r.Duration().Round(100 * time.Millisecond).String(), Error: r.Error, Running: r.Running()}
}

// syncPanel builds the sync part of the HR tab.
func (s *Server) syncPanel(c echo.Context) (*views.SyncPanel, error) {
	ctx, a, loc := c.Request().Context(), actor(c), location(c)
	p := &views.SyncPanel{CSRF: csrfToken(c)}
	runs, err := s.Sync.ListRuns(ctx, a.OrgID, 20)
	if err != nil {
		return nil, err
	}
	for i := range runs {
		p.Runs = append(p.Runs, runRow(&runs[i], loc))
		if runs[i].Running() && p.Current == nil {
			row := runRow(&runs[i], loc)
			p.Current = &row
		}
	}
	last, err := s.Sync.LastSuccessful(ctx, a.OrgID, store.AreaEmployees)
	if err != nil && !errors.Is(err, roster.ErrNotFound) {
		return nil, err
	}
	if err == nil && last.FinishedAt != nil {
		p.DataAsOf = views.FormatTime(*last.FinishedAt, loc)
	}
	p.FirstImport = errors.Is(err, roster.ErrNotFound)
	if pv, err := s.Sync.PendingPreview(ctx, a.OrgID); err == nil {
		p.Pending = &views.PendingPreview{ID: pv.ID, Created: views.FormatTime(pv.CreatedAt, loc), Total: pv.Total(), FirstImport: pv.Trigger == store.TriggerFirstImport}
	} else if !errors.Is(err, roster.ErrNotFound) {
		return nil, err
	}
	if s.Schedule != nil {
		full, partial := s.Schedule.NextRuns(a.OrgID)
		if !full.IsZero() {
			p.NextFull, p.NextPartial = views.FormatTime(full, loc), views.FormatTime(partial, loc)
		}
	}
	return p, nil
}

func (s *Server) syncNow(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	area := c.FormValue("area")
	trigger := store.TriggerManual
	if area == store.AreaEmployees || area == store.AreaAll {
		if _, err := s.Sync.LastSuccessful(ctx, a.OrgID, store.AreaEmployees); errors.Is(err, roster.ErrNotFound) {
			trigger = store.TriggerFirstImport
		}
	}
	uid := a.UserID
	if trigger == store.TriggerFirstImport && c.FormValue("preview") != "0" {
		// The first import runs as a preview by default: the admin
		// reviews it before anything changes.
		return s.startPreview(c, hrsync.Request{Area: area, Mode: store.ModeFull, Trigger: trigger, StartedBy: &uid})
	}
	run, started, err := s.Sync.StartAsync(ctx, a.OrgID, hrsync.Request{Area: area, Mode: store.ModeFull, Trigger: trigger, StartedBy: &uid})
	if fe := roster.FieldErrors(err); fe != nil {
		s.flash(c, "danger", strings.Join(mapValues(fe), " "))
		return redirect(c, "/settings/hr")
	}
	if err != nil {
		return err
	}
	if started {
		if err := s.Accounts.Record(ctx, a, "hr.sync_started", "sync_run", run.ID, "Personio", fmt.Sprintf("%s %s sync (%s)", run.Mode, run.Area, run.Trigger)); err != nil {
			return err
		}
	}
	row := runRow(run, location(c))
	if isFragmentRequest(c) {
		return render(c, http.StatusOK, views.RunProgress(&row), nil)
	}
	if !started {
		s.flash(c, "info", "A sync is already running; showing its progress.")
	}
	return redirect(c, "/settings/hr")
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func (s *Server) loadRun(c echo.Context) (*store.SyncRun, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.Sync.RunByID(c.Request().Context(), actor(c).OrgID, id)
}

func (s *Server) runProgress(c echo.Context) error {
	run, err := s.loadRun(c)
	if err != nil {
		return err
	}
	row := runRow(run, location(c))
	return render(c, http.StatusOK, views.RunProgress(&row), views.RunProgress(&row))
}

const warningsPageSize = 100

func (s *Server) runShow(c echo.Context) error {
	run, err := s.loadRun(c)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	ws, total, err := s.Sync.RunWarnings(c.Request().Context(), actor(c).OrgID, run.ID, warningsPageSize, (page-1)*warningsPageSize)
	if err != nil {
		return err
	}
	v := views.RunDetail{Page: s.page(c, "Sync run", "hr"), Run: runRow(run, location(c)),
		Pager: views.Pager{Page: page, Pages: int((total + warningsPageSize - 1) / warningsPageSize), Total: total, Path: "/settings/hr/runs/" + strconv.FormatInt(run.ID, 10)}}
	for _, w := range ws {
		v.Warnings = append(v.Warnings, views.WarningRow{PersonioID: w.PersonioID, Code: w.Code, Message: w.Message})
	}
	return render(c, http.StatusOK, views.RunDetailPage(v), nil)
}

func (s *Server) apiLog(c echo.Context) error {
	if c.QueryParam("tab") == "outbox" && s.Outbox != nil {
		return s.outboxLog(c)
	}
	ctx, a, loc := c.Request().Context(), actor(c), location(c)
	f := hrsync.APICallFilter{Area: c.QueryParam("area"), Status: c.QueryParam("status")}
	f.RunID, _ = strconv.ParseInt(c.QueryParam("run"), 10, 64)
	f.Page, _ = strconv.Atoi(c.QueryParam("page"))
	if d, err := time.ParseInLocation("2006-01-02", c.QueryParam("from"), loc); err == nil {
		f.From = d
	}
	if d, err := time.ParseInLocation("2006-01-02", c.QueryParam("to"), loc); err == nil {
		f.To = d.AddDate(0, 0, 1)
	}
	calls, total, err := s.Sync.ListAPICalls(ctx, a.OrgID, f)
	if err != nil {
		return err
	}
	base := url.Values{}
	for _, k := range []string{"area", "status", "run", "from", "to"} {
		if v := c.QueryParam(k); v != "" {
			base.Set(k, v)
		}
	}
	v := views.APILog{Page: s.page(c, "API log", "hr"), Area: f.Area, Status: f.Status, Run: c.QueryParam("run"), From: c.QueryParam("from"), To: c.QueryParam("to"),
		Pager: views.Pager{Page: max(f.Page, 1), Pages: int((total + 49) / 50), Total: total, Base: base, Path: "/settings/hr/api-log"}}
	v.Areas = []views.Option{{Value: "", Label: "All areas", Selected: f.Area == ""}}
	for _, ar := range []string{"connection", store.AreaEmployees, store.AreaAbsences, store.AreaTimeTracking} {
		v.Areas = append(v.Areas, views.Option{Value: ar, Label: ar, Selected: ar == f.Area})
	}
	for _, cl := range calls {
		row := views.APICallRow{When: views.FormatTime(cl.CreatedAt, loc), Area: cl.Area, Op: cl.Op, Method: cl.Method, Path: cl.Path, Query: cl.Query,
			Error: cl.Error, Status: cl.Status, Retries: cl.Retries, DurationMS: cl.DurationMS, Bytes: cl.Bytes, OK: cl.OK()}
		if cl.RunID != nil {
			row.RunID = *cl.RunID
		}
		v.Rows = append(v.Rows, row)
	}
	return render(c, http.StatusOK, views.APILogPage(v), views.APILogTable(v))
}

func hrEmployeeFilter(c echo.Context) (hrsync.EmployeeFilter, url.Values) {
	f := hrsync.EmployeeFilter{Query: c.QueryParam("q"), Team: c.QueryParam("team"), Department: c.QueryParam("department"),
		CostCenter: c.QueryParam("cost_center"), Office: c.QueryParam("office"), Status: c.QueryParam("status")}
	switch c.QueryParam("scope") {
	case "in":
		t := true
		f.InScope = &t
	case "out":
		fl := false
		f.InScope = &fl
	}
	switch c.QueryParam("linked") {
	case "yes":
		t := true
		f.Linked = &t
	case "no":
		fl := false
		f.Linked = &fl
	}
	f.Page, _ = strconv.Atoi(c.QueryParam("page"))
	base := url.Values{}
	for _, k := range []string{"q", "team", "department", "cost_center", "office", "status", "scope", "linked"} {
		if v := c.QueryParam(k); v != "" {
			base.Set(k, v)
		}
	}
	return f, base
}

func facetOptions(values []string, selected, all string) []views.Option {
	opts := []views.Option{{Value: "", Label: all, Selected: selected == ""}}
	for _, v := range values {
		opts = append(opts, views.Option{Value: v, Label: v, Selected: v == selected})
	}
	return opts
}

func warningTexts(raw ...string) []string {
	var out []string
	for _, r := range raw {
		var ws []store.EmployeeWarning
		if json.Unmarshal([]byte(r), &ws) == nil {
			for _, w := range ws {
				out = append(out, w.Message)
			}
		}
	}
	return out
}

func (s *Server) hrEmployees(c echo.Context) error {
	f, base := hrEmployeeFilter(c)
	res, err := s.Sync.ListEmployees(c.Request().Context(), actor(c).OrgID, f)
	if err != nil {
		return err
	}
	v := views.HREmployees{Page: s.page(c, "HR employees", "hr"), Query: f.Query, Team: f.Team, Department: f.Department, CostCenter: f.CostCenter,
		Office: f.Office, Status: f.Status, Scope: c.QueryParam("scope"), Linked: c.QueryParam("linked"),
		Teams: facetOptions(res.Facets.Teams, f.Team, "All teams"), Departments: facetOptions(res.Facets.Departments, f.Department, "All departments"),
		CostCenters: facetOptions(res.Facets.CostCenters, f.CostCenter, "All cost centers"), Offices: facetOptions(res.Facets.Offices, f.Office, "All offices"),
		Pager: views.Pager{Page: res.Page, Pages: res.Pages(), Total: res.Total, Base: base, Path: "/settings/hr/employees"}, ExportQuery: base.Encode()}
	ids := make([]int64, len(res.Employees))
	for i, e := range res.Employees {
		ids[i] = e.PersonioID
	}
	excluded, err := s.HRInvite.Excluded(c.Request().Context(), actor(c), ids)
	if err != nil {
		return err
	}
	for _, e := range res.Employees {
		u := res.Linked[e.PersonioID]
		v.Rows = append(v.Rows, views.HREmployeeRow{LinkedUser: u.Name, LinkedUserID: u.ID, PersonioID: e.PersonioID, Name: strings.TrimSpace(e.FirstName + " " + e.LastName), Email: e.Email,
			Status: e.Status, Position: e.Position, Team: e.TeamName, Department: e.DepartmentName, Office: e.OfficeName,
			CostCenters: strings.Trim(strings.ReplaceAll(e.CostCenterNames, "|", ", "), ", "), HireDate: e.HireDate, LastDay: e.LastWorkingDay,
			InScope: e.InScope, ScopeReason: e.ScopeReason, Removed: e.RemovedAt != nil, Excluded: excluded[e.PersonioID], Warnings: warningTexts(e.Warnings, e.CheckWarnings)})
	}
	return render(c, http.StatusOK, views.HREmployeesPage(v), views.HREmployeesTable(v))
}

func (s *Server) hrEmployeesExport(c echo.Context) error {
	f, _ := hrEmployeeFilter(c)
	format := c.QueryParam("format")
	if format != "csv" && format != "json" {
		return echo.NewHTTPError(http.StatusBadRequest, "Choose format=csv or format=json.")
	}
	ct := "text/csv; charset=utf-8"
	if format == "json" {
		ct = echo.MIMEApplicationJSON
	}
	c.Response().Header().Set(echo.HeaderContentType, ct)
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="hr-employees-%s.%s"`, s.Now().Format("2006-01-02"), format))
	c.Response().WriteHeader(http.StatusOK)
	return s.Sync.Export(c.Request().Context(), actor(c).OrgID, f, format, c.Response())
}

// hrEmployeesBack is the HR employees page with the filter the exclude or
// include form carried in its "back" field.
func hrEmployeesBack(c echo.Context) string {
	q, err := url.ParseQuery(c.FormValue("back"))
	if err != nil || len(q) == 0 {
		return "/settings/hr/employees"
	}
	return "/settings/hr/employees?" + q.Encode()
}

func (s *Server) hrEmployeeExclude(c echo.Context) error {
	id, err := paramID(c, "personioID")
	if err != nil {
		return err
	}
	e, changed, err := s.HRInvite.Exclude(c.Request().Context(), actor(c), id, c.FormValue("reason"))
	if err != nil {
		return err
	}
	if changed {
		s.flash(c, "success", e.DisplayName()+" is excluded from the sync.")
	} else {
		s.flash(c, "info", e.DisplayName()+" was already excluded from the sync.")
	}
	return redirect(c, hrEmployeesBack(c))
}

func (s *Server) hrEmployeeInclude(c echo.Context) error {
	id, err := paramID(c, "personioID")
	if err != nil {
		return err
	}
	e, changed, err := s.HRInvite.Include(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	if changed {
		s.flash(c, "success", e.DisplayName()+" is included in the sync again.")
	} else {
		s.flash(c, "info", e.DisplayName()+" was not excluded from the sync.")
	}
	return redirect(c, hrEmployeesBack(c))
}
