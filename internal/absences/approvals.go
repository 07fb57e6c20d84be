package absences

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// CanApprove reports whether the actor may open approvals and the team
// calendar: admins, managers, and anyone who manages or approves for
// somebody (a team approver, a Personio supervisor).
func (s *Service) CanApprove(ctx context.Context, a roster.Actor) (bool, error) {
	if a.IsAdmin() || a.Role == store.RoleManager {
		return true, nil
	}
	return s.st.HasManagerRights(ctx, a.OrgID, a.UserID)
}

func (s *Service) requireApprover(ctx context.Context, a roster.Actor) error {
	ok, err := s.CanApprove(ctx, a)
	if err != nil {
		return err
	}
	if !ok {
		return roster.ErrForbidden
	}
	return nil
}

// Inbox is the approvals page: pending requests and imported absences to
// confirm, with the approvers absent today.
type Inbox struct {
	Rows []store.AbsenceRow
	Away map[int64]bool
}

// Approvals lists what waits for the actor: requests assigned to them or
// of people they manage (admins: everything pending in the organisation),
// and absences imported from Personio to confirm.
func (s *Service) Approvals(ctx context.Context, a roster.Actor) (*Inbox, error) {
	if err := s.requireApprover(ctx, a); err != nil {
		return nil, err
	}
	rows, err := s.st.PendingApprovals(ctx, a.OrgID, store.ApprovalFilter{All: a.IsAdmin(), ApproverID: a.UserID})
	if err != nil {
		return nil, err
	}
	away, err := s.awayApprovers(ctx, a.OrgID, rows)
	if err != nil {
		return nil, err
	}
	return &Inbox{Rows: rows, Away: away}, nil
}

// mayDecide loads an absence the actor may decide on: the assigned
// approver, the member's manager (store IsManagerOf) or an admin. Nobody
// but an admin decides on their own absence.
func (s *Service) mayDecide(ctx context.Context, a roster.Actor, id int64) (*store.Absence, error) {
	if err := s.requireApprover(ctx, a); err != nil {
		return nil, err
	}
	ab, err := s.st.Absence(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	if a.IsAdmin() {
		return ab, nil
	}
	if ab.UserID == a.UserID {
		return nil, roster.ErrForbidden
	}
	if ab.ApproverID != nil && *ab.ApproverID == a.UserID {
		return ab, nil
	}
	ok, err := s.st.IsManagerOf(ctx, a.OrgID, a.UserID, ab.UserID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, roster.ErrForbidden
	}
	return ab, nil
}

// Decide approves or rejects a pending request, with an optional note;
// audited, and the requester is told.
func (s *Service) Decide(ctx context.Context, a roster.Actor, id int64, approve bool, note string) error {
	ab, err := s.mayDecide(ctx, a, id)
	if err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if len(note) > 500 {
		return &roster.ValidationError{Fields: map[string]string{"note": "Use at most 500 characters."}}
	}
	if ab.Status != store.AbsencePending {
		return &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("This absence is %s already; there is nothing to decide.", StatusLabel(ab.Status))}}
	}
	to, verb := store.AbsenceRejected, "rejected"
	if approve {
		to, verb = store.AbsenceApproved, "approved"
	}
	now := s.now().UTC()
	row, err := s.st.AbsenceRowByID(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		ok, err := tx.DecideAbsence(ctx, a.OrgID, id, store.AbsencePending, to, a.UserID, note, now)
		if err != nil {
			return err
		}
		if !ok {
			return &roster.ValidationError{Fields: map[string]string{"": "Someone decided on this absence meanwhile. Reload the page."}}
		}
		uid := a.UserID
		ab.Status, ab.DecidedByID, ab.DecidedAt, ab.DecisionNote, ab.UpdatedAt = to, &uid, &now, note, now
		if err := tx.AddAudit(ctx, store.NewAuditEvent(a, "absence."+verb, "absence", ab.ID,
			fmt.Sprintf("%s, %s (%s)", row.UserName, span(ab), row.CategoryName), note, now)); err != nil {
			return err
		}
		return s.changed(ctx, tx, ab, store.OutboxUpdate)
	})
	if err != nil {
		return err
	}
	if s.notify != nil {
		body := fmt.Sprintf("%s %s your absence.", a.Name, verb)
		if note != "" {
			body += " Note: " + note
		}
		if _, err := s.notify.Notify(ctx, a.OrgID, []int64{ab.UserID}, notify.Note{Kind: notify.KindApproval,
			Title: fmt.Sprintf("Your absence %s (%s) was %s", span(ab), row.CategoryName, verb), Body: body,
			Link: fmt.Sprintf("/absences#absence-%d", ab.ID), Email: true, DedupeKey: fmt.Sprintf("absence:%d:%s", ab.ID, to)}); err != nil {
			s.log.WarnContext(ctx, "decision notification failed", "org_id", a.OrgID, "absence_id", ab.ID, "err", err)
		}
	}
	return nil
}

// Confirm confirms an absence imported from Personio (status to_confirm);
// audited. It changes nothing in Personio.
func (s *Service) Confirm(ctx context.Context, a roster.Actor, id int64) error {
	ab, err := s.mayDecide(ctx, a, id)
	if err != nil {
		return err
	}
	if ab.Status != store.AbsenceToConfirm {
		return &roster.ValidationError{Fields: map[string]string{"": "Only absences imported from Personio and not yet confirmed can be confirmed."}}
	}
	row, err := s.st.AbsenceRowByID(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	return s.st.Tx(ctx, func(tx *store.Store) error {
		ok, err := tx.DecideAbsence(ctx, a.OrgID, id, store.AbsenceToConfirm, store.AbsenceConfirmed, a.UserID, "", now)
		if err != nil {
			return err
		}
		if !ok {
			return &roster.ValidationError{Fields: map[string]string{"": "Someone confirmed this absence meanwhile. Reload the page."}}
		}
		return tx.AddAudit(ctx, store.NewAuditEvent(a, "absence.confirmed", "absence", ab.ID,
			fmt.Sprintf("%s, %s (%s)", row.UserName, span(ab), row.CategoryName), "imported from Personio", now))
	})
}

// ---- Approver out of office ----

// mayReassign loads a pending absence whose approver the actor may change:
// the requester or an admin.
func (s *Service) mayReassign(ctx context.Context, a roster.Actor, id int64) (*store.Absence, error) {
	ab, err := s.st.Absence(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	if ab.UserID != a.UserID && !a.IsAdmin() {
		return nil, roster.ErrNotFound
	}
	return ab, nil
}

// EligibleApprovers lists who may take over the approval of an absence:
// active owners, admins and managers, and anyone with manager rights, who
// are not the requester, not the current approver and not absent today.
func (s *Service) EligibleApprovers(ctx context.Context, a roster.Actor, id int64) ([]store.User, error) {
	ab, err := s.mayReassign(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return s.eligible(ctx, a.OrgID, ab)
}

func (s *Service) eligible(ctx context.Context, orgID int64, ab *store.Absence) ([]store.User, error) {
	users, err := s.st.ActiveUsers(ctx, orgID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(users))
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	today, err := s.Today(ctx, orgID)
	if err != nil {
		return nil, err
	}
	away, err := s.st.AbsentUserIDs(ctx, orgID, today.Format(DateLayout), ids)
	if err != nil {
		return nil, err
	}
	var out []store.User
	for _, u := range users {
		if u.ID == ab.UserID || away[u.ID] || (ab.ApproverID != nil && u.ID == *ab.ApproverID) {
			continue
		}
		if u.IsAdmin() || u.Role == store.RoleManager {
			out = append(out, u)
			continue
		}
		if ok, err := s.st.IsManagerOf(ctx, orgID, u.ID, ab.UserID); err != nil {
			return nil, err
		} else if ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// Reassign moves a pending approval to another approver (the requester or
// an admin designates them); audited, and the new approver is told.
func (s *Service) Reassign(ctx context.Context, a roster.Actor, id, approverID int64) error {
	ab, err := s.mayReassign(ctx, a, id)
	if err != nil {
		return err
	}
	if ab.Status != store.AbsencePending {
		return &roster.ValidationError{Fields: map[string]string{"": "Only pending requests wait for an approver."}}
	}
	cands, err := s.eligible(ctx, a.OrgID, ab)
	if err != nil {
		return err
	}
	var to *store.User
	for i := range cands {
		if cands[i].ID == approverID {
			to = &cands[i]
		}
	}
	if to == nil {
		return &roster.ValidationError{Fields: map[string]string{"approver_id": "Choose one of the people listed: active managers or admins who are not away today."}}
	}
	row, err := s.st.AbsenceRowByID(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	from := row.ApproverName
	if from == "" {
		from = "admins"
	}
	nid := to.ID
	ab.ApproverID, ab.UpdatedAt = &nid, now
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SaveAbsence(ctx, ab); err != nil {
			return err
		}
		return tx.AddAudit(ctx, store.NewAuditEvent(a, "absence.approver_reassigned", "absence", ab.ID,
			fmt.Sprintf("%s, %s", row.UserName, span(ab)), fmt.Sprintf("from %s to %s", from, to.Name), now))
	})
	if err != nil {
		return err
	}
	s.afterAssign(ctx, a.OrgID, ab, row.UserName, row.CategoryName)
	return nil
}

// ---- Team calendar ----

// Calendar is one month of absences of a set of people.
type Calendar struct {
	Month  time.Time // first day of the month (UTC)
	Days   []time.Time
	People []store.User
	// Absences by user id.
	Absences map[int64][]store.AbsenceRow
	Teams    []store.Team
	TeamID   int64
}

// ParseMonth reads "YYYY-MM" (defaulting to the current month).
func ParseMonth(v string, today time.Time) time.Time {
	if t, err := time.Parse("2006-01", strings.TrimSpace(v)); err == nil && t.Year() >= 1900 && t.Year() <= 9999 {
		return t
	}
	return time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// TeamCalendar builds the month view: admins see everyone, managers the
// people they manage and themselves; teamID (0: all) narrows it. The
// month's absences come in one query.
func (s *Service) TeamCalendar(ctx context.Context, a roster.Actor, month string, teamID int64) (*Calendar, error) {
	if err := s.requireApprover(ctx, a); err != nil {
		return nil, err
	}
	today, err := s.Today(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	m := ParseMonth(month, today)
	cal := &Calendar{Month: m, Absences: map[int64][]store.AbsenceRow{}}
	for d := m; d.Month() == m.Month(); d = d.AddDate(0, 0, 1) {
		cal.Days = append(cal.Days, d)
	}
	teams, err := s.st.ListTeams(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		cal.Teams = append(cal.Teams, t.Team)
		if t.ID == teamID {
			cal.TeamID = teamID
		}
	}
	people, err := s.st.ActiveUsers(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	keep := map[int64]bool{}
	if !a.IsAdmin() {
		ids, err := s.st.ManagedUserIDs(ctx, a.OrgID, a.UserID)
		if err != nil {
			return nil, err
		}
		for _, id := range append(ids, a.UserID) {
			keep[id] = true
		}
	}
	var inTeam map[int64]bool
	if cal.TeamID != 0 {
		members, err := s.st.TeamMembers(ctx, a.OrgID, cal.TeamID)
		if err != nil {
			return nil, err
		}
		inTeam = map[int64]bool{}
		for _, u := range members {
			inTeam[u.ID] = true
		}
	}
	ids := []int64{}
	for _, u := range people {
		if (!a.IsAdmin() && !keep[u.ID]) || (inTeam != nil && !inTeam[u.ID]) {
			continue
		}
		cal.People = append(cal.People, u)
		ids = append(ids, u.ID)
	}
	last := cal.Days[len(cal.Days)-1]
	rows, err := s.st.AbsencesInRange(ctx, a.OrgID, m.Format(DateLayout), last.Format(DateLayout), ids)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		cal.Absences[r.UserID] = append(cal.Absences[r.UserID], r)
	}
	return cal, nil
}

// NotifyAwayApprovers runs the out-of-office check over every pending
// request of the organisation: an approver who became absent today (an
// absence approved meanwhile, or imported from Personio) is reported to the
// requester and the admins once per request and approver.
func (s *Service) NotifyAwayApprovers(ctx context.Context, orgID int64) (int, error) {
	today, err := s.Today(ctx, orgID)
	if err != nil {
		return 0, err
	}
	as, err := s.st.PendingWithApproverAway(ctx, orgID, today.Format(DateLayout))
	if err != nil {
		return 0, err
	}
	for i := range as {
		if err := s.CheckOutOfOffice(ctx, orgID, &as[i]); err != nil {
			return i, err
		}
	}
	return len(as), nil
}

// AfterSync is the lifecycle step run after every employee sync (absences
// imported from Personio may make an approver absent today).
func (s *Service) AfterSync(ctx context.Context, run *store.SyncRun) error {
	_, err := s.NotifyAwayApprovers(ctx, run.OrgID)
	return err
}
