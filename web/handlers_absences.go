package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/absences"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

// ---- Requests ----

func absenceInput(c echo.Context) absences.Input {
	cid, _ := strconv.ParseInt(c.FormValue("category_id"), 10, 64)
	return absences.Input{StartDate: c.FormValue("start_date"), EndDate: c.FormValue("end_date"),
		HalfDayStart: c.FormValue("half_day_start") != "", HalfDayEnd: c.FormValue("half_day_end") != "",
		CategoryID: cid, Comment: c.FormValue("comment")}
}

// absenceFormView fills the form's category select and half-day help.
func (s *Server) absenceFormView(c echo.Context, id int64, in absences.Input, errs views.Errors) (views.AbsenceForm, error) {
	cats, err := s.Absences.Categories(c.Request().Context(), actor(c))
	if err != nil {
		return views.AbsenceForm{}, err
	}
	f := views.AbsenceForm{ID: id, StartDate: in.StartDate, EndDate: in.EndDate, HalfDayStart: in.HalfDayStart,
		HalfDayEnd: in.HalfDayEnd, Comment: in.Comment, Errors: errs}
	f.Categories = append(f.Categories, views.Option{Value: "", Label: "Choose a category", Selected: in.CategoryID == 0})
	var half []string
	for _, ct := range cats {
		f.Categories = append(f.Categories, views.Option{Value: strconv.FormatInt(ct.ID, 10), Label: ct.Name, Selected: ct.ID == in.CategoryID})
		if ct.HalfDays {
			half = append(half, ct.Name)
		}
	}
	f.HalfDayCategories = strings.Join(half, ", ")
	return f, nil
}

func dayRange(r *store.AbsenceRow) string {
	f := func(d string) string {
		t, err := time.Parse(absences.DateLayout, d)
		if err != nil {
			return d
		}
		return t.Format("Mon 2 Jan 2006")
	}
	out := f(r.StartDate)
	if r.HalfDayStart {
		out += " (half)"
	}
	if r.EndDate != r.StartDate {
		out += " – " + f(r.EndDate)
		if r.HalfDayEnd {
			out += " (half)"
		}
	}
	return out
}

func daysLabel(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if v == 1 {
		return "1 working day"
	}
	return s + " working days"
}

func absenceRowView(r *store.AbsenceRow, today string, away map[int64]bool) views.AbsenceRow {
	days := absences.WorkingDays(r.StartDate, r.EndDate, r.HalfDayStart, r.HalfDayEnd, time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	v := views.AbsenceRow{ID: r.ID, Person: r.UserName, Category: r.CategoryName, Dates: dayRange(r), Days: daysLabel(days),
		Status: r.Status, StatusLabel: absences.StatusLabel(r.Status), FromPersonio: r.Source == store.SourcePersonio,
		OutOfSync: r.OutOfSync, Comment: r.Comment, Approver: r.ApproverName, DecidedBy: r.DeciderName, DecisionNote: r.DecisionNote}
	if v.Category == "" {
		v.Category = "Uncategorised"
	}
	if r.Status == store.AbsencePending && r.ApproverID == nil {
		v.Approver = "Admins"
	}
	own := r.Source == store.SourceRoster
	v.CanEdit = own && r.Status == store.AbsencePending
	v.CanCancel = own && (r.Status == store.AbsencePending || r.Status == store.AbsenceApproved) && r.EndDate >= today
	v.ApproverAway = r.Status == store.AbsencePending && r.ApproverID != nil && away[*r.ApproverID]
	return v
}

func (s *Server) approverOptions(c echo.Context, id int64) ([]views.Option, error) {
	us, err := s.Absences.EligibleApprovers(c.Request().Context(), actor(c), id)
	if err != nil {
		return nil, err
	}
	opts := []views.Option{{Value: "", Label: "Choose an approver"}}
	for _, u := range us {
		opts = append(opts, views.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Name + " (" + u.Role + ")"})
	}
	return opts, nil
}

func (s *Server) absencesView(c echo.Context, in absences.Input, errs views.Errors) (views.AbsencesView, error) {
	ctx, a := c.Request().Context(), actor(c)
	f, err := s.absenceFormView(c, 0, in, errs)
	if err != nil {
		return views.AbsencesView{}, err
	}
	rows, away, err := s.Absences.Mine(ctx, a)
	if err != nil {
		return views.AbsencesView{}, err
	}
	today, err := s.Absences.Today(ctx, a.OrgID)
	if err != nil {
		return views.AbsencesView{}, err
	}
	bal, year, err := s.Absences.Balances(ctx, a)
	if err != nil {
		return views.AbsencesView{}, err
	}
	v := views.AbsencesView{Page: s.page(c, "Absences", "absences"), Form: f, Year: int64(year)}
	for i := range rows {
		rv := absenceRowView(&rows[i], today.Format(absences.DateLayout), away)
		if rv.ApproverAway {
			if rv.Approvers, err = s.approverOptions(c, rv.ID); err != nil {
				return v, err
			}
		}
		v.Rows = append(v.Rows, rv)
	}
	for _, b := range bal {
		row := views.BalanceRow{Category: b.Category, Taken: strconv.FormatFloat(b.Taken, 'f', -1, 64), Planned: strconv.FormatFloat(b.Planned, 'f', -1, 64)}
		if b.Entitlement != nil {
			row.Entitlement, row.Remaining = strconv.FormatFloat(*b.Entitlement, 'f', -1, 64), strconv.FormatFloat(b.Remaining, 'f', -1, 64)
		}
		v.Balances = append(v.Balances, row)
	}
	return v, nil
}

func (s *Server) absencesList(c echo.Context) error {
	v, err := s.absencesView(c, absences.Input{}, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AbsencesPage(v), nil)
}

func (s *Server) absenceCreate(c echo.Context) error {
	in := absenceInput(c)
	ab, err := s.Absences.Request(c.Request().Context(), actor(c), in)
	if fe := roster.FieldErrors(err); fe != nil {
		v, verr := s.absencesView(c, in, fe)
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.AbsencesPage(v), nil)
	}
	if err != nil {
		return err
	}
	who := "Your approver has been told."
	if ab.ApproverID == nil {
		who = "You have no team approver or manager, so the admins have been told."
	}
	s.flash(c, "success", fmt.Sprintf("Absence requested (%s to %s). %s", ab.StartDate, ab.EndDate, who))
	return redirect(c, "/absences")
}

func (s *Server) absenceEdit(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ab, err := s.Absences.Get(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	if ab.Status != store.AbsencePending || ab.Source != store.SourceRoster {
		s.flash(c, "warning", "Only pending requests can be edited.")
		return redirect(c, "/absences")
	}
	in := absences.Input{StartDate: ab.StartDate, EndDate: ab.EndDate, HalfDayStart: ab.HalfDayStart, HalfDayEnd: ab.HalfDayEnd,
		CategoryID: ptrVal(ab.CategoryID), Comment: ab.Comment}
	f, err := s.absenceFormView(c, id, in, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AbsenceEditPage(views.AbsenceEditView{Page: s.page(c, "Edit absence", "absences"), Form: f}), nil)
}

func (s *Server) absenceUpdate(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	in := absenceInput(c)
	err = s.Absences.Update(c.Request().Context(), actor(c), id, in)
	if fe := roster.FieldErrors(err); fe != nil {
		f, verr := s.absenceFormView(c, id, in, fe)
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.AbsenceEditPage(views.AbsenceEditView{Page: s.page(c, "Edit absence", "absences"), Form: f}), nil)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Absence request updated.")
	return redirect(c, "/absences")
}

// absenceAction runs a POST action on an absence and redirects to back,
// showing a validation message as a flash.
func (s *Server) absenceAction(c echo.Context, back, done string, fn func(id int64) error) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	err = fn(id)
	if fe := roster.FieldErrors(err); fe != nil {
		msgs := make([]string, 0, len(fe))
		for _, m := range fe {
			msgs = append(msgs, m)
		}
		s.flash(c, "danger", strings.Join(msgs, " "))
		return redirect(c, back)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", done)
	return redirect(c, back)
}

func (s *Server) absenceCancel(c echo.Context) error {
	return s.absenceAction(c, "/absences", "Absence cancelled.", func(id int64) error {
		return s.Absences.Cancel(c.Request().Context(), actor(c), id)
	})
}

func (s *Server) absenceDesignate(c echo.Context) error {
	back := "/absences"
	if currentUser(c).IsAdmin() && strings.Contains(c.Request().Referer(), "/approvals") {
		back = "/approvals"
	}
	return s.absenceAction(c, back, "The request now waits for the approver you designated; they have been told.", func(id int64) error {
		uid, _ := strconv.ParseInt(c.FormValue("approver_id"), 10, 64)
		return s.Absences.Reassign(c.Request().Context(), actor(c), id, uid)
	})
}

// ---- Approvals ----

func (s *Server) approvalsList(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	inbox, err := s.Absences.Approvals(ctx, a)
	if err != nil {
		return err
	}
	today, err := s.Absences.Today(ctx, a.OrgID)
	if err != nil {
		return err
	}
	v := views.ApprovalsView{Page: s.page(c, "Approvals", "approvals")}
	for i := range inbox.Rows {
		rv := absenceRowView(&inbox.Rows[i], today.Format(absences.DateLayout), inbox.Away)
		if inbox.Rows[i].Status == store.AbsenceToConfirm {
			v.Imported = append(v.Imported, rv)
			continue
		}
		if rv.ApproverAway && a.IsAdmin() {
			if rv.Approvers, err = s.approverOptions(c, rv.ID); err != nil {
				return err
			}
		} else {
			rv.ApproverAway = false
		}
		v.Requests = append(v.Requests, rv)
	}
	return render(c, http.StatusOK, views.ApprovalsPage(v), nil)
}

func (s *Server) approvalApprove(c echo.Context) error {
	return s.absenceAction(c, "/approvals", "Absence approved; the requester has been told.", func(id int64) error {
		return s.Absences.Decide(c.Request().Context(), actor(c), id, true, c.FormValue("note"))
	})
}

func (s *Server) approvalReject(c echo.Context) error {
	return s.absenceAction(c, "/approvals", "Absence rejected; the requester has been told.", func(id int64) error {
		return s.Absences.Decide(c.Request().Context(), actor(c), id, false, c.FormValue("note"))
	})
}

func (s *Server) approvalConfirm(c echo.Context) error {
	return s.absenceAction(c, "/approvals", "Absence from Personio confirmed.", func(id int64) error {
		return s.Absences.Confirm(c.Request().Context(), actor(c), id)
	})
}

// ---- Team calendar ----

func (s *Server) absenceCalendar(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	teamID, _ := strconv.ParseInt(c.QueryParam("team"), 10, 64)
	cal, err := s.Absences.TeamCalendar(ctx, a, c.QueryParam("month"), teamID)
	if err != nil {
		return err
	}
	today, err := s.Absences.Today(ctx, a.OrgID)
	if err != nil {
		return err
	}
	link := func(m time.Time) string {
		q := url.Values{"month": {m.Format("2006-01")}}
		if cal.TeamID != 0 {
			q.Set("team", strconv.FormatInt(cal.TeamID, 10))
		}
		return "/absences/calendar?" + q.Encode()
	}
	v := views.CalendarView{Page: s.page(c, "Team calendar", "calendar"), MonthLabel: cal.Month.Format("January 2006"),
		Month: cal.Month.Format("2006-01"), PrevURL: link(cal.Month.AddDate(0, -1, 0)), NextURL: link(cal.Month.AddDate(0, 1, 0))}
	v.Teams = append(v.Teams, views.Option{Value: "", Label: "All people", Selected: cal.TeamID == 0})
	for _, t := range cal.Teams {
		v.Teams = append(v.Teams, views.Option{Value: strconv.FormatInt(t.ID, 10), Label: t.Name, Selected: t.ID == cal.TeamID})
	}
	for _, d := range cal.Days {
		wk := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
		v.Days = append(v.Days, views.CalendarDay{Num: strconv.Itoa(d.Day()), Weekday: d.Format("Mon")[:2], Weekend: wk})
	}
	for _, p := range cal.People {
		row := views.CalendarPerson{Name: p.Name}
		for _, d := range cal.Days {
			ds := d.Format(absences.DateLayout)
			cell := views.CalendarCell{Weekend: d.Weekday() == time.Saturday || d.Weekday() == time.Sunday, Today: d.Equal(today)}
			for _, r := range cal.Absences[p.ID] {
				if r.StartDate > ds || r.EndDate < ds {
					continue
				}
				switch {
				case r.Source == store.SourcePersonio:
					cell.Kind = "personio"
				case r.Status == store.AbsencePending:
					cell.Kind = "pending"
				default:
					cell.Kind = "approved"
				}
				cell.Half = (ds == r.StartDate && r.HalfDayStart) || (ds == r.EndDate && r.HalfDayEnd)
				cat := r.CategoryName
				if cat == "" {
					cat = "Absence"
				}
				cell.Title = fmt.Sprintf("%s: %s, %s", p.Name, cat, absences.StatusLabel(r.Status))
				if cell.Half {
					cell.Title += " (half day)"
				}
				break
			}
			row.Cells = append(row.Cells, cell)
		}
		v.People = append(v.People, row)
	}
	return render(c, http.StatusOK, views.CalendarPage(v), nil)
}

// ---- Categories ----

func (s *Server) categoriesView(c echo.Context, newName string, newHalf bool, errs views.Errors) (views.CategoriesView, error) {
	m, err := s.Absences.Matching(c.Request().Context(), actor(c))
	if err != nil {
		return views.CategoriesView{}, err
	}
	v := views.CategoriesView{Page: s.page(c, "Absence categories", "categories"), Connected: m.Connected, Problem: m.Problem,
		Newly: int64(m.Newly), NewName: newName, NewHalfDays: newHalf, Errors: errs}
	typeOpts := []views.Option{{Value: "", Label: "Choose a Personio type"}}
	for _, t := range m.UnmatchedTypes {
		v.UnmatchedTypes = append(v.UnmatchedTypes, t.Name)
		typeOpts = append(typeOpts, views.Option{Value: strconv.FormatInt(t.ID, 10), Label: t.Name})
	}
	for _, p := range m.Pairs {
		row := views.CategoryRow{ID: p.Category.ID, Name: p.Category.Name, HalfDays: p.Category.HalfDays, Missing: p.Missing}
		if p.Category.PersonioTypeID != nil {
			row.PersonioType = p.Category.PersonioTypeName
			v.Paired = append(v.Paired, row)
			continue
		}
		row.PairOptions = typeOpts
		v.Unpaired = append(v.Unpaired, row)
	}
	return v, nil
}

func (s *Server) categoriesPage(c echo.Context) error {
	v, err := s.categoriesView(c, "", true, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.CategoriesPage(v), nil)
}

func (s *Server) categoryFail(c echo.Context, err error, newName string, newHalf bool) error {
	fe := roster.FieldErrors(err)
	if fe == nil {
		return err
	}
	v, verr := s.categoriesView(c, newName, newHalf, fe)
	if verr != nil {
		return verr
	}
	return render(c, http.StatusUnprocessableEntity, views.CategoriesPage(v), nil)
}

func (s *Server) categoryCreate(c echo.Context) error {
	in := absences.CategoryInput{Name: c.FormValue("name"), HalfDays: c.FormValue("half_days") != ""}
	cat, err := s.Absences.CreateCategory(c.Request().Context(), actor(c), in)
	if err != nil {
		return s.categoryFail(c, err, in.Name, in.HalfDays)
	}
	s.flash(c, "success", fmt.Sprintf("Category %s created.", cat.Name))
	return redirect(c, "/settings/absence-categories")
}

func (s *Server) categoryUpdate(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	in := absences.CategoryInput{Name: c.FormValue("name"), HalfDays: c.FormValue("half_days") != ""}
	if err := s.Absences.UpdateCategory(c.Request().Context(), actor(c), id, in); err != nil {
		return s.categoryFail(c, err, "", true)
	}
	s.flash(c, "success", "Category saved.")
	return redirect(c, "/settings/absence-categories")
}

func (s *Server) categoryDelete(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Absences.DeleteCategory(c.Request().Context(), actor(c), id); err != nil {
		return s.categoryFail(c, err, "", true)
	}
	s.flash(c, "success", "Category deleted.")
	return redirect(c, "/settings/absence-categories")
}

func (s *Server) categoryPair(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	typeID, _ := strconv.ParseInt(c.FormValue("type_id"), 10, 64)
	if err := s.Absences.Pair(c.Request().Context(), actor(c), id, typeID); err != nil {
		return s.categoryFail(c, err, "", true)
	}
	if typeID == 0 {
		s.flash(c, "success", "Category unpaired.")
	} else {
		s.flash(c, "success", "Category paired with the Personio type.")
	}
	return redirect(c, "/settings/absence-categories")
}

func (s *Server) categoriesCreateMissing(c echo.Context) error {
	n, err := s.Absences.CreateMissing(c.Request().Context(), actor(c))
	if err != nil {
		return s.categoryFail(c, err, "", true)
	}
	if n == 0 {
		s.flash(c, "info", "Every Personio time-off type already has a Roster category.")
	} else {
		s.flash(c, "success", fmt.Sprintf("%d categor%s created from Personio.", n, map[bool]string{true: "y", false: "ies"}[n == 1]))
	}
	return redirect(c, "/settings/absence-categories")
}
