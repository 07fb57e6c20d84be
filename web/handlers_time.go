package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/timetrack"
	"github.com/rosterhq/roster/views"
)

func fmtDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	return fmt.Sprintf("%d:%02d h", int(d.Hours()), int(d.Minutes())%60)
}

func clockOf(t *time.Time, loc *time.Location) string {
	if t == nil {
		return "…"
	}
	return t.In(loc).Format("15:04")
}

func (s *Server) entryRow(e *store.TimeEntry, loc *time.Location, push *store.OutboxItem) views.TimeEntryRow {
	r := views.TimeEntryRow{ID: e.ID, Day: e.Day, Start: clockOf(&e.StartAt, loc), End: clockOf(e.EndAt, loc), Break: e.BreakMinutes,
		Comment: e.Comment, Project: e.Project, Status: e.Status, Editable: true}
	if e.EndAt != nil {
		r.Worked = fmtDuration(timetrack.Worked(e, s.Now()))
	}
	if push != nil {
		r.Push, r.PushError = push.State, push.LastError
	}
	return r
}

// isReviewer: managers and admins confirm time.
func isReviewer(a roster.Actor) bool { return a.IsAdmin() || a.Role == store.RoleManager }

// timeView builds the /time page for the week of the "week" query value.
func (s *Server) timeView(c echo.Context, form views.TimeForm, timer views.TimeForm) (*views.TimeView, error) {
	a, loc := actor(c), location(c)
	w, err := s.Time.Week(c.Request().Context(), a, c.QueryParam("week"))
	if err != nil {
		return nil, err
	}
	v := &views.TimeView{Page: s.page(c, "Time tracking", "time"), WeekLabel: w.Monday.Format("Mon 2 Jan 2006"), WeekTotal: fmtDuration(w.Total),
		PrevWeek: w.Monday.AddDate(0, 0, -7).Format("2006-01-02"), NextWeek: w.Monday.AddDate(0, 0, 7).Format("2006-01-02"),
		Form: form, Timer: timer, Linked: w.Linked, Push: w.Push, Reviewer: isReviewer(a)}
	today := s.Now().In(loc).Format("2006-01-02")
	for _, d := range w.Days {
		day := views.TimeDay{Label: d.Date.Format("Monday 2 Jan"), Total: fmtDuration(d.Total), Today: d.Date.Format("2006-01-02") == today}
		for i := range d.Entries {
			var push *store.OutboxItem
			if it, ok := w.States[d.Entries[i].ID]; ok {
				push = &it
			}
			day.Entries = append(day.Entries, s.entryRow(&d.Entries[i], loc, push))
		}
		v.Days = append(v.Days, day)
	}
	if w.Running != nil {
		row := s.entryRow(w.Running, loc, nil)
		v.Running = &row
		v.RunningSince = views.FormatTime(w.Running.StartAt, loc)
	}
	if v.Form.Day == "" {
		// The form adds to the week on screen: today there, else its Monday.
		v.Form.Day = today
		if today < w.Monday.Format("2006-01-02") || today > w.Monday.AddDate(0, 0, 6).Format("2006-01-02") {
			v.Form.Day = w.Monday.Format("2006-01-02")
		}
	}
	return v, nil
}

func (s *Server) timePage(c echo.Context) error {
	v, err := s.timeView(c, views.TimeForm{}, views.TimeForm{})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TimePage(*v), nil)
}

func timeInput(c echo.Context) timetrack.Input {
	return timetrack.Input{Day: c.FormValue("day"), Start: c.FormValue("start"), End: c.FormValue("end"), Break: c.FormValue("break"),
		Comment: c.FormValue("comment"), Project: c.FormValue("project")}
}

func formOf(in timetrack.Input, id int64, errs map[string]string) views.TimeForm {
	return views.TimeForm{ID: id, Day: in.Day, Start: in.Start, End: in.End, Break: in.Break, Comment: in.Comment, Project: in.Project, Errors: errs}
}

func (s *Server) timeAdd(c echo.Context) error {
	in := timeInput(c)
	_, err := s.Time.Add(c.Request().Context(), actor(c), in)
	if fe := roster.FieldErrors(err); fe != nil {
		v, verr := s.timeView(c, formOf(in, 0, fe), views.TimeForm{})
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.TimePage(*v), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Entry added.")
	return redirect(c, "/time?week="+url.QueryEscape(in.Day))
}

func (s *Server) timerStart(c echo.Context) error {
	comment, project := c.FormValue("comment"), c.FormValue("project")
	_, err := s.Time.Start(c.Request().Context(), actor(c), comment, project)
	if fe := roster.FieldErrors(err); fe != nil {
		v, verr := s.timeView(c, views.TimeForm{}, views.TimeForm{Comment: comment, Project: project, Errors: fe})
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.TimePage(*v), nil)
	}
	switch {
	case errors.Is(err, roster.ErrConflict):
		s.flash(c, "warning", "A timer is already running; stop it first.")
	case err != nil:
		return err
	default:
		s.flash(c, "success", "Timer started.")
	}
	return redirect(c, "/time")
}

func (s *Server) timerStop(c echo.Context) error {
	e, err := s.Time.Stop(c.Request().Context(), actor(c))
	switch {
	case errors.Is(err, roster.ErrNotFound):
		s.flash(c, "info", "No timer is running.")
	case err != nil:
		return err
	default:
		s.flash(c, "success", "Timer stopped: "+fmtDuration(timetrack.Worked(e, s.Now()))+" tracked.")
	}
	return redirect(c, "/time")
}

func (s *Server) timeEdit(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	e, err := s.Time.Get(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	loc := location(c)
	f := views.TimeForm{ID: e.ID, Day: e.Day, Start: e.StartAt.In(loc).Format("15:04"), Break: strconv.Itoa(e.BreakMinutes),
		Comment: e.Comment, Project: e.Project, Running: e.EndAt == nil}
	if e.EndAt != nil {
		f.End = e.EndAt.In(loc).Format("15:04")
	}
	return render(c, http.StatusOK, views.TimeEditPage(views.TimeEditView{Page: s.page(c, "Edit time entry", "time"), Form: f}), nil)
}

func (s *Server) timeUpdate(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	in := timeInput(c)
	e, err := s.Time.Update(c.Request().Context(), actor(c), id, in)
	if fe := roster.FieldErrors(err); fe != nil {
		f := formOf(in, id, fe)
		return render(c, http.StatusUnprocessableEntity, views.TimeEditPage(views.TimeEditView{Page: s.page(c, "Edit time entry", "time"), Form: f}), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Entry saved.")
	return redirect(c, "/time?week="+url.QueryEscape(e.Day))
}

func (s *Server) timeDelete(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Time.Delete(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	s.flash(c, "success", "Entry deleted.")
	return redirect(c, "/time")
}

func (s *Server) timeReview(c echo.Context) error {
	a, loc := actor(c), location(c)
	if !isReviewer(a) {
		return roster.ErrForbidden
	}
	es, err := s.Time.ToReview(c.Request().Context(), a)
	if err != nil {
		return err
	}
	v := views.TimeReviewView{Page: s.page(c, "Confirm time", "time")}
	for i := range es {
		e := &es[i].TimeEntry
		v.Rows = append(v.Rows, views.TimeReviewRow{ID: e.ID, Person: es[i].UserName, Day: e.Day, Start: clockOf(&e.StartAt, loc), End: clockOf(e.EndAt, loc),
			Worked: fmtDuration(timetrack.Worked(e, s.Now())), Comment: e.Comment, Project: e.Project, Break: e.BreakMinutes})
	}
	return render(c, http.StatusOK, views.TimeReviewPage(v), nil)
}

func (s *Server) timeDecide(confirm bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		a := actor(c)
		if !isReviewer(a) {
			return roster.ErrForbidden
		}
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		_, err = s.Time.Decide(c.Request().Context(), a, id, confirm)
		switch {
		case errors.Is(err, timetrack.ErrOwnTime):
			s.flash(c, "warning", "You cannot confirm or reject your own time; your manager does.")
		case errors.Is(err, roster.ErrConflict):
			s.flash(c, "warning", "This entry was already decided or is still running.")
		case err != nil:
			return err
		case confirm:
			s.flash(c, "success", "Entry confirmed.")
		default:
			s.flash(c, "success", "Entry rejected.")
		}
		return redirect(c, "/time/review")
	}
}

// outboxLog is the outbox section of the API log.
func (s *Server) outboxLog(c echo.Context) error {
	ctx, a, loc := c.Request().Context(), actor(c), location(c)
	f := outbox.Filter{Kind: c.QueryParam("kind"), State: c.QueryParam("state")}
	f.Page, _ = strconv.Atoi(c.QueryParam("page"))
	if d, err := time.ParseInLocation("2006-01-02", c.QueryParam("from"), loc); err == nil {
		f.From = d
	}
	if d, err := time.ParseInLocation("2006-01-02", c.QueryParam("to"), loc); err == nil {
		f.To = d.AddDate(0, 0, 1)
	}
	items, total, counts, err := s.Outbox.List(ctx, a.OrgID, f)
	if err != nil {
		return err
	}
	base := url.Values{"tab": {"outbox"}}
	for _, k := range []string{"kind", "state", "from", "to"} {
		if v := c.QueryParam(k); v != "" {
			base.Set(k, v)
		}
	}
	ov := &views.OutboxView{Kind: f.Kind, State: f.State, From: c.QueryParam("from"), To: c.QueryParam("to"),
		Failed: counts[store.OutboxFailed], Retrying: counts[store.OutboxRetrying], Pending: counts[store.OutboxPending], Pushed: counts[store.OutboxPushed],
		Pager: views.Pager{Page: max(f.Page, 1), Pages: int((total + 49) / 50), Total: total, Base: base, Path: "/settings/hr/api-log"}}
	ov.Kinds = []views.Option{{Value: "", Label: "Everything", Selected: f.Kind == ""},
		{Value: store.OutboxTimeEntry, Label: "Time entries", Selected: f.Kind == store.OutboxTimeEntry},
		{Value: store.OutboxAbsence, Label: "Absences", Selected: f.Kind == store.OutboxAbsence}}
	ov.States = []views.Option{{Value: "", Label: "All", Selected: f.State == ""}}
	for _, st := range []string{store.OutboxFailed, store.OutboxRetrying, store.OutboxPending, store.OutboxPushed} {
		ov.States = append(ov.States, views.Option{Value: st, Label: st, Selected: f.State == st})
	}
	var entryIDs []int64
	for _, it := range items {
		if it.Kind == store.OutboxTimeEntry {
			entryIDs = append(entryIDs, it.RecordID)
		}
	}
	owners, err := s.Time.Owners(ctx, a.OrgID, entryIDs)
	if err != nil {
		return err
	}
	for _, it := range items {
		row := views.OutboxRow{ID: it.ID, When: views.FormatTime(it.FirstChangeAt, loc), Kind: it.Kind, Op: it.Op, PersonioID: it.PersonioID,
			State: it.State, LastError: it.LastError, Attempts: it.Attempts}
		switch it.Kind {
		case store.OutboxTimeEntry:
			row.Record = "Time entry " + strconv.FormatInt(it.RecordID, 10)
			if o, ok := owners[it.RecordID]; ok {
				row.Record += " · " + o.UserName + " · " + o.Day
				row.RecordLink = "/people/" + strconv.FormatInt(o.UserID, 10)
			} else {
				row.Record += " (deleted)"
			}
		case store.OutboxAbsence:
			row.Record = "Absence " + strconv.FormatInt(it.RecordID, 10)
		default:
			row.Record = it.Kind + " " + strconv.FormatInt(it.RecordID, 10)
		}
		if it.State == store.OutboxPending || it.State == store.OutboxRetrying {
			row.NextAttempt = views.FormatTime(it.NextAttemptAt, loc)
		}
		if it.PushedAt != nil {
			row.Pushed = views.FormatTime(*it.PushedAt, loc)
		}
		ov.Rows = append(ov.Rows, row)
	}
	v := views.APILog{Page: s.page(c, "API log", "hr"), Tab: "outbox", Outbox: ov}
	return render(c, http.StatusOK, views.APILogPage(v), views.OutboxTable(*ov))
}
