// Package absences holds the absence use cases: Roster's absence
// categories and their pairing with Personio time-off types, requests,
// approvals (and the confirmation of absences imported from Personio), the
// team calendar, balances, and the approver-out-of-office flow
// (PRODUCT.md sections 7 and 9).
package absences

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// DateLayout is the format of absence dates.
const DateLayout = "2006-01-02"

// Options configure the service.
type Options struct {
	Store *store.Store
	// Notify delivers in-app notes and emails (nil: none).
	Notify *notify.Service
	// Providers builds the HR client of an organisation
	// (hrconnect.Service.Provider); nil when no HR software is available.
	Providers func(ctx context.Context, orgID int64, onCall func(hris.CallInfo)) (hris.Provider, error)
	Now       func() time.Time
	Log       *slog.Logger
	// OnChange is called inside the transaction of every change of a
	// Roster absence: op store.OutboxCreate on request, store.OutboxUpdate
	// on edit, approve and reject, store.OutboxDelete on cancel. nil: nothing.
	OnChange func(ctx context.Context, tx *store.Store, a *store.Absence, op string) error
}

// Service runs absence use cases.
type Service struct {
	st        *store.Store
	notify    *notify.Service
	providers func(ctx context.Context, orgID int64, onCall func(hris.CallInfo)) (hris.Provider, error)
	now       func() time.Time
	log       *slog.Logger
	onChange  func(ctx context.Context, tx *store.Store, a *store.Absence, op string) error
}

// New builds the service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: o.Store, notify: o.Notify, providers: o.Providers, now: o.Now, log: o.Log, onChange: o.OnChange}
}

func (s *Service) changed(ctx context.Context, tx *store.Store, a *store.Absence, op string) error {
	if s.onChange == nil {
		return nil
	}
	if err := s.onChange(ctx, tx, a, op); err != nil {
		return fmt.Errorf("absence change hook (%s): %w", op, err)
	}
	return nil
}

// Today is the current day in the organisation's time zone.
func (s *Service) Today(ctx context.Context, orgID int64) (time.Time, error) {
	org, err := s.st.Organization(ctx, orgID)
	if err != nil {
		return time.Time{}, err
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	n := s.now().In(loc)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC), nil
}

// ---- Requests ----

// Input is an absence request as entered.
type Input struct {
	StartDate, EndDate       string
	HalfDayStart, HalfDayEnd bool
	CategoryID               int64
	Comment                  string
}

func parseDay(s string) (time.Time, bool) {
	t, err := time.Parse(DateLayout, strings.TrimSpace(s))
	return t, err == nil
}

// validate checks a request of userID (exceptID: the absence being edited).
func (s *Service) validate(ctx context.Context, orgID, userID, exceptID int64, in *Input) (*store.AbsenceCategory, error) {
	in.StartDate, in.EndDate, in.Comment = strings.TrimSpace(in.StartDate), strings.TrimSpace(in.EndDate), strings.TrimSpace(in.Comment)
	p := roster.Problems{}
	start, okS := parseDay(in.StartDate)
	end, okE := parseDay(in.EndDate)
	switch {
	case in.StartDate == "":
		p.Add("start_date", "Enter the first day of the absence.")
	case !okS:
		p.Add("start_date", "Enter a date as YYYY-MM-DD.")
	}
	switch {
	case in.EndDate == "":
		p.Add("end_date", "Enter the last day of the absence.")
	case !okE:
		p.Add("end_date", "Enter a date as YYYY-MM-DD.")
	}
	if okS && okE {
		if end.Before(start) {
			p.Add("end_date", "The last day must be on or after the first day.")
		} else if end.Sub(start) > 366*24*time.Hour {
			p.Add("end_date", "An absence can last at most one year. Split longer absences.")
		}
	}
	var cat *store.AbsenceCategory
	if in.CategoryID == 0 {
		p.Add("category_id", "Choose a category.")
	} else {
		c, err := s.st.AbsenceCategory(ctx, orgID, in.CategoryID)
		if err != nil {
			p.Add("category_id", "Choose one of the categories listed.")
		} else {
			cat = c
		}
	}
	if cat != nil && !cat.HalfDays {
		if in.HalfDayStart {
			p.Add("half_day_start", fmt.Sprintf("%s cannot be taken as half days.", cat.Name))
		}
		if in.HalfDayEnd {
			p.Add("half_day_end", fmt.Sprintf("%s cannot be taken as half days.", cat.Name))
		}
	}
	if okS && okE && start.Equal(end) && in.HalfDayStart && in.HalfDayEnd {
		p.Add("half_day_end", "A one-day absence is either a half day or a whole day: tick one half day at most.")
	}
	if len(in.Comment) > 500 {
		p.Add("comment", "Use at most 500 characters.")
	}
	if okS && okE && !end.Before(start) {
		over, err := s.st.OverlappingAbsences(ctx, orgID, userID, in.StartDate, in.EndDate, exceptID)
		if err != nil {
			return nil, err
		}
		if len(over) > 0 {
			o := over[0]
			p.Add("start_date", fmt.Sprintf("Overlaps your absence from %s to %s (%s). Choose other days or cancel that one first.",
				o.StartDate, o.EndDate, StatusLabel(o.Status)))
		}
	}
	return cat, p.Err()
}

// StatusLabel is how a status reads in the UI.
func StatusLabel(status string) string {
	switch status {
	case store.AbsenceToConfirm:
		return "from Personio — to confirm"
	case store.AbsenceConfirmed:
		return "confirmed"
	}
	return status
}

// AssignApprover picks who approves userID's requests: the approver of the
// user's team, else the team's manager, else the user's manager, else nil
// (admins approve). Only active users other than the requester qualify.
func (s *Service) AssignApprover(ctx context.Context, orgID, userID int64) (*int64, error) {
	u, err := s.st.User(ctx, orgID, userID)
	if err != nil {
		return nil, err
	}
	teams, err := s.st.TeamsOfUsers(ctx, orgID, []int64{userID})
	if err != nil {
		return nil, err
	}
	var cands []int64
	for _, t := range teams[userID] {
		if t.ApproverID != nil {
			cands = append(cands, *t.ApproverID)
		}
	}
	for _, t := range teams[userID] {
		if t.ManagerID != nil {
			cands = append(cands, *t.ManagerID)
		}
	}
	if u.ManagerID != nil {
		cands = append(cands, *u.ManagerID)
	}
	users, err := s.st.UsersByIDs(ctx, orgID, cands)
	if err != nil {
		return nil, err
	}
	for _, id := range cands {
		if c, ok := users[id]; ok && id != userID && c.Status == store.StatusActive {
			v := id
			return &v, nil
		}
	}
	return nil, nil
}

// Request files an absence request of the actor.
func (s *Service) Request(ctx context.Context, a roster.Actor, in Input) (*store.Absence, error) {
	cat, err := s.validate(ctx, a.OrgID, a.UserID, 0, &in)
	if err != nil {
		return nil, err
	}
	approver, err := s.AssignApprover(ctx, a.OrgID, a.UserID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	cid := cat.ID
	ab := store.Absence{OrgID: a.OrgID, UserID: a.UserID, CategoryID: &cid, StartDate: in.StartDate, EndDate: in.EndDate,
		HalfDayStart: in.HalfDayStart, HalfDayEnd: in.HalfDayEnd, Comment: in.Comment, Status: store.AbsencePending,
		Source: store.SourceRoster, ApproverID: approver, CreatedAt: now, UpdatedAt: now}
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.CreateAbsence(ctx, &ab); err != nil {
			return err
		}
		return s.changed(ctx, tx, &ab, store.OutboxCreate)
	})
	if err != nil {
		return nil, err
	}
	s.afterAssign(ctx, a.OrgID, &ab, a.Name, cat.Name)
	return &ab, nil
}

// span renders an absence's days for messages.
func span(ab *store.Absence) string {
	if ab.StartDate == ab.EndDate {
		return ab.StartDate
	}
	return ab.StartDate + " to " + ab.EndDate
}

// afterAssign tells the approver (or the admins) about a request, and, when
// the approver is absent today, tells the requester and the admins at once.
// Delivery problems are logged: the request stands.
func (s *Service) afterAssign(ctx context.Context, orgID int64, ab *store.Absence, requester, category string) {
	if s.notify == nil {
		return
	}
	note := notify.Note{Kind: notify.KindApproval, Title: fmt.Sprintf("%s requests %s (%s)", requester, category, span(ab)),
		Body: "Approve or reject it in Roster.", Link: "/approvals", Email: true,
		DedupeKey: fmt.Sprintf("absence:%d:assigned:%d", ab.ID, ptr(ab.ApproverID))}
	var err error
	if ab.ApproverID != nil {
		_, err = s.notify.Notify(ctx, orgID, []int64{*ab.ApproverID}, note)
	} else {
		_, err = s.notify.NotifyAdmins(ctx, orgID, note)
	}
	if err != nil {
		s.log.WarnContext(ctx, "absence request notification failed", "org_id", orgID, "absence_id", ab.ID, "err", err)
	}
	if err := s.CheckOutOfOffice(ctx, orgID, ab); err != nil {
		s.log.WarnContext(ctx, "out-of-office check failed", "org_id", orgID, "absence_id", ab.ID, "err", err)
	}
}

func ptr(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// CheckOutOfOffice notifies the requester and the admins (in-app and
// email, once per absence and approver) when the pending absence's
// approver is absent today. It reports whether the approver is away.
func (s *Service) CheckOutOfOffice(ctx context.Context, orgID int64, ab *store.Absence) error {
	if ab.ApproverID == nil || ab.Status != store.AbsencePending || s.notify == nil {
		return nil
	}
	today, err := s.Today(ctx, orgID)
	if err != nil {
		return err
	}
	away, err := s.st.AbsentUserIDs(ctx, orgID, today.Format(DateLayout), []int64{*ab.ApproverID})
	if err != nil || !away[*ab.ApproverID] {
		return err
	}
	users, err := s.st.UsersByIDs(ctx, orgID, []int64{*ab.ApproverID, ab.UserID})
	if err != nil {
		return err
	}
	apr, req := users[*ab.ApproverID].Name, users[ab.UserID].Name
	key := fmt.Sprintf("absence:%d:ooo:%d", ab.ID, *ab.ApproverID)
	if _, err := s.notify.Notify(ctx, orgID, []int64{ab.UserID}, notify.Note{Kind: notify.KindOutOfOffice,
		Title: fmt.Sprintf("Your approver %s is away today", apr),
		Body:  fmt.Sprintf("Your absence request (%s) waits for %s, who is absent today. Designate another approver in one click.", span(ab), apr),
		Link:  fmt.Sprintf("/absences#absence-%d", ab.ID), DedupeKey: key, Email: true}); err != nil {
		return err
	}
	admins, err := s.st.ActiveAdminIDs(ctx, orgID)
	if err != nil {
		return err
	}
	var to []int64
	for _, id := range admins {
		if id != ab.UserID && id != *ab.ApproverID {
			to = append(to, id)
		}
	}
	_, err = s.notify.Notify(ctx, orgID, to, notify.Note{Kind: notify.KindOutOfOffice,
		Title: fmt.Sprintf("%s's approver %s is away today", req, apr),
		Body:  fmt.Sprintf("The absence request of %s (%s) waits for %s, who is absent today. Designate another approver.", req, span(ab), apr),
		Link:  fmt.Sprintf("/approvals#absence-%d", ab.ID), DedupeKey: key, Email: true})
	return err
}

// own loads an absence of the actor (another user's absence is not found).
func (s *Service) own(ctx context.Context, a roster.Actor, id int64) (*store.Absence, error) {
	ab, err := s.st.Absence(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	if ab.UserID != a.UserID {
		return nil, roster.ErrNotFound
	}
	return ab, nil
}

// Get loads one of the actor's absences for editing.
func (s *Service) Get(ctx context.Context, a roster.Actor, id int64) (*store.Absence, error) {
	return s.own(ctx, a, id)
}

// Update edits one of the actor's pending requests.
func (s *Service) Update(ctx context.Context, a roster.Actor, id int64, in Input) error {
	ab, err := s.own(ctx, a, id)
	if err != nil {
		return err
	}
	if ab.Status != store.AbsencePending || ab.Source != store.SourceRoster {
		return &roster.ValidationError{Fields: map[string]string{"": "Only pending requests can be edited. Cancel this absence and request a new one."}}
	}
	cat, err := s.validate(ctx, a.OrgID, a.UserID, id, &in)
	if err != nil {
		return err
	}
	cid := cat.ID
	ab.CategoryID, ab.StartDate, ab.EndDate = &cid, in.StartDate, in.EndDate
	ab.HalfDayStart, ab.HalfDayEnd, ab.Comment, ab.UpdatedAt = in.HalfDayStart, in.HalfDayEnd, in.Comment, s.now().UTC()
	return s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SaveAbsence(ctx, ab); err != nil {
			return err
		}
		return s.changed(ctx, tx, ab, store.OutboxUpdate)
	})
}

// Cancel cancels one of the actor's pending or approved absences that is
// not over yet.
func (s *Service) Cancel(ctx context.Context, a roster.Actor, id int64) error {
	ab, err := s.own(ctx, a, id)
	if err != nil {
		return err
	}
	if ab.Source != store.SourceRoster || (ab.Status != store.AbsencePending && ab.Status != store.AbsenceApproved) {
		return &roster.ValidationError{Fields: map[string]string{"": "Only pending or approved requests made in Roster can be cancelled."}}
	}
	today, err := s.Today(ctx, a.OrgID)
	if err != nil {
		return err
	}
	if ab.EndDate < today.Format(DateLayout) {
		return &roster.ValidationError{Fields: map[string]string{"": "This absence is in the past and cannot be cancelled."}}
	}
	ab.Status, ab.UpdatedAt = store.AbsenceCancelled, s.now().UTC()
	return s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SaveAbsence(ctx, ab); err != nil {
			return err
		}
		return s.changed(ctx, tx, ab, store.OutboxDelete)
	})
}

// Mine lists the actor's absences with the users absent today among their
// approvers.
func (s *Service) Mine(ctx context.Context, a roster.Actor) ([]store.AbsenceRow, map[int64]bool, error) {
	rows, err := s.st.UserAbsences(ctx, a.OrgID, a.UserID)
	if err != nil {
		return nil, nil, err
	}
	away, err := s.awayApprovers(ctx, a.OrgID, rows)
	return rows, away, err
}

func (s *Service) awayApprovers(ctx context.Context, orgID int64, rows []store.AbsenceRow) (map[int64]bool, error) {
	var ids []int64
	for _, r := range rows {
		if r.Status == store.AbsencePending && r.ApproverID != nil {
			ids = append(ids, *r.ApproverID)
		}
	}
	today, err := s.Today(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return s.st.AbsentUserIDs(ctx, orgID, today.Format(DateLayout), ids)
}

// Balance is what the member sees of a category this year.
type Balance struct {
	Category string
	// Taken counts the working days (Monday to Friday, half days as 0.5)
	// of approved and confirmed absences this year; Planned those pending
	// or to confirm.
	Taken, Planned float64
	// Entitlement is the yearly entitlement Personio reports for the
	// category's time-off type (the employee's absence_entitlement
	// attribute, from the last employee sync); nil when Personio does not
	// provide one. Remaining is Entitlement minus Taken and Planned.
	Entitlement *float64
	Remaining   float64
}

// entitlements reads the absence_entitlement attribute of a synced
// employee (custom attributes JSON): time-off type id → days per year.
func entitlements(custom string) map[int64]float64 {
	if custom == "" {
		return nil
	}
	var attrs map[string]hris.AttributeValue
	if err := json.Unmarshal([]byte(custom), &attrs); err != nil {
		return nil
	}
	a, ok := attrs["absence_entitlement"]
	if !ok || len(a.Raw) == 0 {
		return nil
	}
	var items []struct {
		Attributes struct {
			ID          int64       `json:"id"`
			Entitlement json.Number `json:"entitlement"`
		} `json:"attributes"`
	}
	if err := json.Unmarshal(a.Raw, &items); err != nil {
		return nil
	}
	out := map[int64]float64{}
	for _, it := range items {
		if v, err := it.Attributes.Entitlement.Float64(); err == nil && it.Attributes.ID != 0 {
			out[it.Attributes.ID] = v
		}
	}
	return out
}

// Balances computes, from Roster's data, the days taken and requested this
// year per category, with the yearly entitlement where Personio provides
// one (the synced employee's absence_entitlement attribute). Personio's
// balance endpoint is not available through the HR connection, so the
// remaining days are computed here, never read from Personio.
func (s *Service) Balances(ctx context.Context, a roster.Actor) ([]Balance, int, error) {
	today, err := s.Today(ctx, a.OrgID)
	if err != nil {
		return nil, 0, err
	}
	y := today.Year()
	from, to := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)
	rows, err := s.st.AbsencesForBalance(ctx, a.OrgID, a.UserID, from.Format(DateLayout), to.Format(DateLayout))
	if err != nil {
		return nil, 0, err
	}
	custom, err := s.st.UserEmployeeCustom(ctx, a.OrgID, a.UserID)
	if err != nil {
		return nil, 0, err
	}
	idx := map[string]int{}
	var out []Balance
	row := func(name string) *Balance {
		i, ok := idx[name]
		if !ok {
			i = len(out)
			idx[name] = i
			out = append(out, Balance{Category: name})
		}
		return &out[i]
	}
	if ent := entitlements(custom); len(ent) > 0 {
		cats, err := s.st.AbsenceCategories(ctx, a.OrgID)
		if err != nil {
			return nil, 0, err
		}
		for _, c := range cats {
			if c.PersonioTypeID == nil {
				continue
			}
			if v, ok := ent[*c.PersonioTypeID]; ok {
				b := row(c.Name)
				b.Entitlement = &v
			}
		}
	}
	for _, r := range rows {
		name := r.CategoryName
		if name == "" {
			name = "Uncategorised"
		}
		b := row(name)
		d := WorkingDays(r.StartDate, r.EndDate, r.HalfDayStart, r.HalfDayEnd, from, to)
		if r.Status == store.AbsencePending || r.Status == store.AbsenceToConfirm {
			b.Planned += d
		} else {
			b.Taken += d
		}
	}
	for i := range out {
		if out[i].Entitlement != nil {
			out[i].Remaining = *out[i].Entitlement - out[i].Taken - out[i].Planned
		}
	}
	return out, y, nil
}

// WorkingDays counts Monday-to-Friday days of [start, end] within
// [from, to], a half day at either end counting 0.5.
func WorkingDays(start, end string, halfStart, halfEnd bool, from, to time.Time) float64 {
	s, ok1 := parseDay(start)
	e, ok2 := parseDay(end)
	if !ok1 || !ok2 {
		return 0
	}
	var n float64
	for d := s; !d.After(e); d = d.AddDate(0, 0, 1) {
		if d.Before(from) || d.After(to) || d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		v := 1.0
		if (d.Equal(s) && halfStart) || (d.Equal(e) && halfEnd) {
			v = 0.5
		}
		n += v
	}
	return n
}
