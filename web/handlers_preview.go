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

	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

// previewKindLabels names the groups of a preview.
var previewKindLabels = map[string]string{
	store.PreviewInvite:          "Invitations",
	store.PreviewUserField:       "Field changes",
	store.PreviewTeamMove:        "Team moves",
	store.PreviewManagerChange:   "Manager changes",
	store.PreviewRoleChange:      "Role changes",
	store.PreviewDeactivation:    "Deactivations",
	store.PreviewScheduled:       "Scheduled deactivations",
	store.PreviewReactivation:    "Reactivations",
	store.PreviewHold:            "Safeguard",
	store.PreviewEmployeeNew:     "New employees",
	store.PreviewEmployeeChanged: "Changed employees",
	store.PreviewEmployeeRemoved: "Removed employees",
	store.PreviewEmail:           "Emails",
	store.PreviewAbsencePush:     "Absences to push",
	store.PreviewTimePush:        "Time entries to push",
}

// previewKindLabel is the singular label of one item.
var previewKindLabel = map[string]string{
	store.PreviewInvite:          "invite",
	store.PreviewUserField:       "field",
	store.PreviewTeamMove:        "team move",
	store.PreviewManagerChange:   "manager",
	store.PreviewRoleChange:      "role",
	store.PreviewDeactivation:    "deactivate",
	store.PreviewScheduled:       "schedule deactivation",
	store.PreviewReactivation:    "reactivate",
	store.PreviewHold:            "safeguard",
	store.PreviewEmployeeNew:     "new employee",
	store.PreviewEmployeeChanged: "employee changed",
	store.PreviewEmployeeRemoved: "employee removed",
	store.PreviewEmail:           "email",
	store.PreviewAbsencePush:     "push absence",
	store.PreviewTimePush:        "push time entry",
}

var previewStatusLabels = map[string]string{
	store.PreviewComputing: "Computing", store.PreviewReady: "Waiting for review", store.PreviewApplying: "Applying",
	store.PreviewApplied: "Applied", store.PreviewDiscarded: "Discarded", store.PreviewStale: "Out of date", store.PreviewFailed: "Failed",
}

// userFieldLabels are the users' columns as the preview shows them.
var userFieldLabels = map[string]string{
	"name": "name", "job_title": "job title", "hire_date": "hire date", "last_working_day": "last working day",
	"termination_date": "termination date", "cost_center": "cost center", "picture_url": "picture",
}

// previewStart runs a preview of an employee sync (full or partial, of the
// employees or of all areas) and opens its page.
func (s *Server) previewStart(c echo.Context) error {
	a := actor(c)
	area, mode := c.FormValue("area"), c.FormValue("mode")
	if area == "" {
		area = store.AreaEmployees
	}
	if mode == "" {
		mode = store.ModeFull
	}
	return s.startPreview(c, hrsync.Request{Area: area, Mode: mode, Trigger: store.TriggerManual, StartedBy: &a.UserID})
}

// startPreview starts req as a preview and opens the page that follows it.
func (s *Server) startPreview(c echo.Context, req hrsync.Request) error {
	a := actor(c)
	req.Preview = true
	run, started, err := s.Sync.StartAsync(c.Request().Context(), a.OrgID, req)
	if fe := roster.FieldErrors(err); fe != nil {
		s.flash(c, "danger", strings.Join(mapValues(fe), " "))
		return redirect(c, "/settings/hr")
	}
	if err != nil {
		return err
	}
	if !started {
		s.flash(c, "info", "A sync is already running; showing its progress. Preview again when it has finished.")
		return redirect(c, "/settings/hr")
	}
	if err := s.Accounts.Record(c.Request().Context(), a, "hr.preview_started", "sync_run", run.ID, "Personio",
		fmt.Sprintf("preview of a %s %s sync (%s)", run.Mode, run.Area, strings.ReplaceAll(run.Trigger, "_", " "))); err != nil {
		return err
	}
	return redirect(c, "/settings/hr/runs/"+strconv.FormatInt(run.ID, 10)+"/preview")
}

// runPreview follows a preview's run: while it works, a page that polls;
// then the preview itself.
func (s *Server) runPreview(c echo.Context) error {
	run, err := s.loadRun(c)
	if err != nil {
		return err
	}
	ctx, a := c.Request().Context(), actor(c)
	pv, err := s.Sync.PreviewOfRun(ctx, a.OrgID, run.ID)
	if err != nil && !errors.Is(err, roster.ErrNotFound) {
		return err
	}
	if pv != nil && (pv.Status != store.PreviewComputing || !run.Running()) {
		return redirect(c, views.PreviewPath(pv.ID))
	}
	if pv == nil && !run.Running() {
		// Not a preview (or it failed before recording one): the run.
		return redirect(c, "/settings/hr/runs/"+strconv.FormatInt(run.ID, 10))
	}
	row := runRow(run, location(c))
	v := views.PreviewView{Page: s.page(c, "Preview", "hr"), RunID: run.ID, What: previewWhat(run.Mode, run.Area), Progress: &row}
	return render(c, http.StatusOK, views.PreviewComputingPage(v), views.PreviewComputing(v))
}

func previewWhat(mode, area string) string {
	if area == store.AreaAll {
		return mode + " sync of all areas"
	}
	return mode + " sync of the employees"
}

const previewPageSize = 100

// previewShow is a preview's page: grouped, filterable, paginated.
func (s *Server) previewShow(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx, a, loc := c.Request().Context(), actor(c), location(c)
	pv, err := s.Sync.Preview(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	if pv.Status == store.PreviewComputing {
		return redirect(c, "/settings/hr/runs/"+strconv.FormatInt(pv.RunID, 10)+"/preview")
	}
	if c.QueryParam("poll") == "1" && isFragmentRequest(c) {
		// The applying notice polls: while the apply runs, its progress;
		// then the whole page again.
		if pv.Status != store.PreviewApplying || pv.ApplyRunID == nil {
			return redirect(c, views.PreviewPath(pv.ID))
		}
		v := views.PreviewView{ID: pv.ID}
		if r, err := s.Sync.RunByID(ctx, a.OrgID, *pv.ApplyRunID); err == nil {
			row := runRow(r, loc)
			v.ApplyRun = &row
		}
		return render(c, http.StatusOK, views.PreviewApplying(v), views.PreviewApplying(v))
	}
	kind := c.QueryParam("kind")
	if _, ok := previewKindLabels[kind]; !ok {
		kind = ""
	}
	q := strings.TrimSpace(c.QueryParam("q"))
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	items, total, err := s.Sync.PreviewItems(ctx, a.OrgID, pv.ID, store.PreviewItemFilter{Kind: kind, Query: q, Limit: previewPageSize, Offset: (page - 1) * previewPageSize})
	if err != nil {
		return err
	}
	v := views.PreviewView{Page: s.page(c, "Preview", "hr"), ID: pv.ID, RunID: pv.RunID, Status: pv.Status, StatusLabel: previewStatusLabels[pv.Status],
		What: previewWhat(pv.Mode, pv.Area), FirstImport: pv.Trigger == store.TriggerFirstImport, Created: views.FormatTime(pv.CreatedAt, loc),
		Records: pv.Records, Total: pv.Total(), Note: pv.Note, Kind: kind, Query: q}
	names := s.userNames(c, pv.CreatedByID, pv.DecidedByID)
	if pv.CreatedByID != nil {
		v.CreatedBy = names[*pv.CreatedByID]
	}
	if pv.DecidedAt != nil {
		v.Decided = views.FormatTime(*pv.DecidedAt, loc)
		if pv.DecidedByID != nil {
			v.DecidedBy = names[*pv.DecidedByID]
		}
	}
	if pv.ApplyRunID != nil {
		v.ApplyRunID = *pv.ApplyRunID
		if pv.Status == store.PreviewApplying {
			if r, err := s.Sync.RunByID(ctx, a.OrgID, *pv.ApplyRunID); err == nil {
				row := runRow(r, loc)
				v.ApplyRun = &row
			}
		}
	}
	counts := pv.CountsMap()
	for _, k := range []string{store.PreviewUserField, store.PreviewTeamMove, store.PreviewManagerChange, store.PreviewRoleChange,
		store.PreviewDeactivation, store.PreviewScheduled, store.PreviewReactivation} {
		v.UserChanges += counts[k]
	}
	v.Invites = counts[store.PreviewInvite]
	for _, k := range store.PreviewKinds {
		if counts[k] > 0 {
			v.Kinds = append(v.Kinds, views.PreviewKind{Kind: k, Label: previewKindLabels[k], Count: counts[k], Active: k == kind})
		}
	}
	for _, it := range items {
		row := views.PreviewItemRow{Kind: it.Kind, KindLabel: previewKindLabel[it.Kind], Name: it.Name, Email: it.Email,
			Field: it.Field, Old: it.OldValue, New: it.NewValue, Detail: it.Detail}
		if l, ok := userFieldLabels[row.Field]; ok && it.Kind == store.PreviewUserField {
			row.Field = l
		}
		if it.Kind == store.PreviewScheduled {
			row.Old, row.New = previewMoment(row.Old, loc), previewMoment(row.New, loc)
		}
		if it.UserID != nil && it.Kind != store.PreviewInvite {
			row.UserID = *it.UserID
		}
		if it.PersonioID != nil {
			row.PersonioID = *it.PersonioID
		}
		v.Items = append(v.Items, row)
	}
	base := url.Values{}
	if kind != "" {
		base.Set("kind", kind)
	}
	if q != "" {
		base.Set("q", q)
	}
	v.Pager = views.Pager{Page: page, Pages: int((total + previewPageSize - 1) / previewPageSize), Total: total, Base: base, Path: views.PreviewPath(pv.ID)}
	return render(c, http.StatusOK, views.PreviewPage(v), views.PreviewItems(v))
}

// previewMoment shows an RFC 3339 moment in the organisation's time zone.
func previewMoment(s string, loc *time.Location) string {
	if s == "" {
		return "none"
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return views.FormatTime(t, loc)
}

// userNames maps the given users of the organisation (nil ids skipped) to
// their names, in one query; unknown users are left out.
func (s *Server) userNames(c echo.Context, ids ...*int64) map[int64]string {
	var want []int64
	for _, id := range ids {
		if id != nil {
			want = append(want, *id)
		}
	}
	out := map[int64]string{}
	if len(want) == 0 {
		return out
	}
	us, err := s.Accounts.UsersByIDs(c.Request().Context(), actor(c), want)
	if err != nil {
		return out
	}
	for id, u := range us {
		out[id] = u.Name
	}
	return out
}

// previewApply applies a ready preview (the apply refetches Personio and
// refuses when anything changed) and shows its progress on the preview.
func (s *Server) previewApply(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx, a := c.Request().Context(), actor(c)
	pv, err := s.Sync.Preview(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	run, started, err := s.Sync.StartAsync(ctx, a.OrgID, hrsync.Request{ApplyPreview: pv.ID, StartedBy: &a.UserID})
	if fe := roster.FieldErrors(err); fe != nil {
		s.flash(c, "danger", strings.Join(mapValues(fe), " "))
		return redirect(c, views.PreviewPath(pv.ID))
	}
	if err != nil {
		return err
	}
	if !started {
		s.flash(c, "info", "Another sync is running; apply the preview when it has finished.")
		return redirect(c, views.PreviewPath(pv.ID))
	}
	if err := s.Accounts.Record(ctx, a, "hr.preview_applied", "sync_run", run.ID, "Personio",
		fmt.Sprintf("applied preview %d (%d changes)", pv.ID, pv.Total())); err != nil {
		return err
	}
	return redirect(c, views.PreviewPath(pv.ID))
}

// previewDiscard discards a ready preview.
func (s *Server) previewDiscard(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx, a := c.Request().Context(), actor(c)
	pv, err := s.Sync.Preview(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	ok, err := s.Sync.DiscardPreview(ctx, a.OrgID, pv.ID, &a.UserID)
	if err != nil {
		return err
	}
	if !ok {
		s.flash(c, "warning", "This preview is "+previewStatusLabels[pv.Status]+": it can no longer be discarded.")
		return redirect(c, views.PreviewPath(pv.ID))
	}
	if err := s.Accounts.Record(ctx, a, "hr.preview_discarded", "sync_run", pv.RunID, "Personio", fmt.Sprintf("discarded preview %d", pv.ID)); err != nil {
		return err
	}
	s.flash(c, "success", "Preview discarded. Nothing was applied.")
	return redirect(c, "/settings/hr")
}
