package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/orgchart"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

// Handlers of the org chart and profiles. Wired in routes.go; built in this file.

func orgCardView(c orgchart.Card) views.OrgCard {
	return views.OrgCard{ID: c.ID, Name: c.Name, Title: c.Title, Email: c.Email, StartDate: c.HireDate, Teams: c.Teams,
		Reports: c.Reports, HasPicture: c.HasPicture, Issue: c.Issue, IssueText: c.IssueDetail}
}

func orgNodesView(ns []orgchart.Node) []views.OrgNode {
	out := make([]views.OrgNode, 0, len(ns))
	for _, n := range ns {
		out = append(out, views.OrgNode{OrgCard: orgCardView(n.Card), Open: n.Open, Highlight: n.Highlight, Children: orgNodesView(n.Children)})
	}
	return out
}

func orgRefsView(rs []orgchart.Ref) []views.OrgRef {
	out := make([]views.OrgRef, 0, len(rs))
	for _, r := range rs {
		out = append(out, views.OrgRef{ID: r.ID, Name: r.Name, Deactivated: r.Deactivated})
	}
	return out
}

func orgAnomalyView(a orgchart.AnomalyView) views.OrgAnomaly {
	v := views.OrgAnomaly{Kind: a.Kind, People: orgRefsView(a.People), More: a.More}
	switch a.Kind {
	case orgchart.KindCycle:
		v.Title, v.Text = "Reporting loop", "these people are each other's managers; the first is shown at the top"
	case orgchart.KindDeactivatedManager:
		v.Title, v.Text = "Manager deactivated", "reports to "+a.Manager.Name+", who is deactivated"
	case orgchart.KindMissingManager:
		v.Title, v.Text = "Manager missing", "reports to a user who no longer exists"
	case orgchart.KindSeveralRoots:
		v.Title, v.Text = "Several people without a manager", "each heads their own chart"
	}
	return v
}

// orgChartView builds the chart page; focus opens it on a person, q shows
// search results above it.
func (s *Server) orgChartView(c echo.Context, focus int64, q string, searched bool) (views.OrgChart, error) {
	ctx := c.Request().Context()
	roots := orgchart.RootsPage
	if r := c.QueryParam("roots"); r != "" {
		n, err := strconv.Atoi(r)
		if err != nil || n < 1 {
			return views.OrgChart{}, echo.NewHTTPError(http.StatusBadRequest, "The number of people to show at the top (roots) must be a positive number.")
		}
		roots = n
	}
	o, err := s.Org.Overview(ctx, actor(c), focus, roots)
	if err != nil {
		return views.OrgChart{}, err
	}
	v := views.OrgChart{Page: s.page(c, "Org chart", "org"), Total: o.Total, Roots: orgNodesView(o.Roots), Focus: o.Focus, Path: orgRefsView(o.Path), Query: q, Searched: searched}
	if o.MoreRoots > 0 {
		v.MoreRoots = o.MoreRoots
		v.MoreURL = "/org?roots=" + strconv.Itoa(len(o.Roots)+orgchart.RootsPage)
	}
	for _, a := range o.Anomalies {
		v.Anomalies = append(v.Anomalies, orgAnomalyView(a))
	}
	if searched {
		rs, err := s.Org.Search(ctx, actor(c), q)
		if err != nil {
			return views.OrgChart{}, err
		}
		v.Results = orgResultsView(rs)
	}
	return v, nil
}

func orgResultsView(rs []orgchart.Result) []views.OrgResult {
	out := make([]views.OrgResult, 0, len(rs))
	for _, r := range rs {
		out = append(out, views.OrgResult{OrgCard: orgCardView(r.Card), Chain: r.Chain})
	}
	return out
}

// orgChart shows the first level of the chart (GET /org), or the chart
// opened along the path to ?focus=<user id>.
func (s *Server) orgChart(c echo.Context) error {
	var focus int64
	if f := c.QueryParam("focus"); f != "" {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return echo.NewHTTPError(http.StatusBadRequest, "The person to show (focus) must be a user id.")
		}
		focus = id
	}
	v, err := s.orgChartView(c, focus, "", false)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.OrgChartPage(v), nil)
}

// orgSearch finds people by name, email or title: the result list for
// htmx, the chart page with the results otherwise.
func (s *Server) orgSearch(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if len(q) > 200 {
		return echo.NewHTTPError(http.StatusBadRequest, "The search is too long (200 characters at most).")
	}
	if isFragmentRequest(c) {
		rs, err := s.Org.Search(c.Request().Context(), actor(c), q)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, nil, views.OrgSearchResults(q, orgResultsView(rs)))
	}
	v, err := s.orgChartView(c, 0, q, true)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.OrgChartPage(v), nil)
}

// orgReports sends one person's reports: the children fragment for htmx
// (expanding a card), a page listing them otherwise.
func (s *Server) orgReports(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.Org.Reports(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	nodes := make([]views.OrgNode, 0, len(r.Children))
	for _, k := range r.Children {
		nodes = append(nodes, views.OrgNode{OrgCard: orgCardView(k)})
	}
	if isFragmentRequest(c) {
		return render(c, http.StatusOK, nil, views.OrgChildren(nodes))
	}
	v := views.OrgReports{Page: s.page(c, "Reports of "+r.Person.Name, "org"), Person: orgCardView(r.Person), Path: orgRefsView(r.Path), Children: nodes}
	return render(c, http.StatusOK, views.OrgReportsPage(v), nil)
}

func sourceName(fromPersonio bool) string {
	if fromPersonio {
		return "Personio"
	}
	return "Roster"
}

// profile shows a person's profile; what is shown depends on who looks
// (see orgchart.Profile).
func (s *Server) profile(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.Org.Profile(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	me := currentUser(c)
	v := views.Profile{Page: s.page(c, p.Name, "org"), ID: p.ID, Name: p.Name, Title: p.Title, Email: p.Email, HasPicture: p.HasPicture,
		Full: p.Full, Status: p.Status, Linked: p.Linked, Reports: orgRefsView(p.Reports), ShowAdmin: me.IsAdmin()}
	field := func(key, label, value, f string) views.ProfileField {
		return views.ProfileField{Key: key, Label: label, Value: value, Source: sourceName(p.FromPersonio(f))}
	}
	v.Fields = append(v.Fields,
		field("name", "Name", p.Name, orgchart.FieldName),
		field("title", "Job title", p.Title, orgchart.FieldTitle),
		field("email", "Email", p.Email, ""),
		field("hire_date", "Start date", views.Day(p.HireDate), orgchart.FieldHireDate))
	if p.SyncedAt != nil {
		v.SyncedAt = views.FormatTime(*p.SyncedAt, location(c))
	}
	if p.Full {
		v.Fields = append(v.Fields,
			field("status", "Status", p.Status, ""),
			field("role", "Role", p.Role, ""),
			field("last_working_day", "Last working day", dayOrEmpty(p.LastWorkingDay), orgchart.FieldLastWorkingDay),
			field("termination_date", "Termination date", dayOrEmpty(p.TerminationDate), orgchart.FieldTerminationDate),
			field("cost_center", "Cost center", p.CostCenter, orgchart.FieldCostCenter))
	}
	for _, t := range p.Teams {
		v.Teams = append(v.Teams, views.ProfileTeam{ID: t.ID, Name: t.Name, Source: sourceName(p.Linked && t.Source == "personio")})
	}
	if p.Manager != nil {
		m := views.OrgRef{ID: p.Manager.ID, Name: p.Manager.Name, Deactivated: p.Manager.Deactivated}
		missing := m.Name == ""
		if missing {
			m.Name = "A user who no longer exists"
		}
		v.Manager = &m
		v.ManagerSource = sourceName(p.FromPersonio(orgchart.FieldManager))
		// Deactivated people are not in the chart: only admins open their profile.
		v.ManagerLink = !missing && (!m.Deactivated || me.IsAdmin())
	}
	if v.Bank, err = s.bankDetailsFor(c, id); err != nil {
		return err
	}
	if p.Activity != nil {
		v.Activity = s.profileActivityView(p, me.ID, v.Page.CanApprove, isReviewer(actor(c)))
	}
	return render(c, http.StatusOK, views.ProfilePage(v), nil)
}

// profileActivityView renders the full profile's recent absences and time
// this week; the links go to where viewer can act on them.
func (s *Server) profileActivityView(p *orgchart.Profile, viewer int64, approver, reviewer bool) *views.ProfileActivity {
	act, w := p.Activity, p.Activity.Week
	self := viewer == p.ID
	v := &views.ProfileActivity{Window: views.Day(act.From) + " – " + views.Day(act.To), MoreAbsences: act.MoreAbsences}
	switch {
	case self:
		v.AbsencesLink, v.AbsencesLinkLabel = "/absences", "My absences"
	case approver:
		v.AbsencesLink, v.AbsencesLinkLabel = "/approvals", "Approvals"
	}
	for i := range act.Absences {
		v.Absences = append(v.Absences, absenceRowView(&act.Absences[i], w.Today, nil))
	}
	v.Week = views.ProfileWeek{Label: w.Monday.Format("Mon 2 Jan 2006"), Total: fmtDuration(w.Total), Entries: w.Entries}
	switch {
	case self:
		v.Week.Link, v.Week.LinkLabel = "/time", "My time"
	case reviewer:
		v.Week.Link, v.Week.LinkLabel = "/time/review", "Confirm time"
	}
	for _, d := range w.Days {
		day := views.TimeDay{Label: d.Date.Format("Mon 2 Jan"), Total: fmtDuration(d.Total), Today: d.Date.Format("2006-01-02") == w.Today}
		for i := range d.Entries {
			e := &d.Entries[i]
			var push *store.OutboxItem
			if e.PushState != "" {
				push = &store.OutboxItem{State: e.PushState, LastError: e.PushError}
			}
			row := s.entryRow(&e.TimeEntry, w.Location, push)
			row.Editable = false
			day.Entries = append(day.Entries, row)
		}
		v.Week.Days = append(v.Week.Days, day)
	}
	return v
}

func dayOrEmpty(d string) string {
	if d == "" {
		return ""
	}
	return views.Day(d)
}

// profilePicture serves the cached profile picture (fetched from the HR
// system once when missing); 404 when there is none, and the page shows
// the initials.
func (s *Server) profilePicture(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	pic, err := s.Org.Picture(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(pic.Data)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=3600")
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, pic.ContentType, pic.Data)
}
