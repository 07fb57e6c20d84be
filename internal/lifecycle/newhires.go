package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// New-hire settings values (store.SyncSettings.NewHires).
const (
	NewHiresNotify = "notify"
	NewHiresInvite = "invite"
)

// NewHireBatchLimit is the number of new hires of one run notified one by
// one; above it admins get a single summary.
const NewHireBatchLimit = 20

// newHires records the employees the run added to the mirror as new hires
// (never on an organisation's first import: that would announce the whole
// company), invites those whose invitation is due when auto-invite is on,
// and notifies the admins in the app and by email.
func (u *Updater) newHires(ctx context.Context, run *store.SyncRun) error {
	if run.Trigger == store.TriggerFirstImport {
		return nil
	}
	earlier, err := u.st.HadEarlierEmployeeRun(ctx, run.OrgID, run.ID)
	if err != nil {
		return fmt.Errorf("lifecycle: new hires of run %d: %w", run.ID, err)
	}
	if !earlier {
		return nil
	}
	settings, err := u.st.SyncSettings(ctx, run.OrgID)
	if err != nil {
		return fmt.Errorf("lifecycle: new hires of run %d: load settings: %w", run.ID, err)
	}
	today := u.newHireToday(ctx, run.OrgID)
	emps, err := u.st.NewHireCandidates(ctx, run.OrgID, run.ID, today)
	if err != nil {
		return fmt.Errorf("lifecycle: new hires of run %d: %w", run.ID, err)
	}
	if len(emps) > 0 {
		now := u.now().UTC()
		runID := run.ID
		rows := make([]store.HRNewHire, len(emps))
		for i := range emps {
			e := &emps[i]
			rows[i] = store.HRNewHire{OrgID: run.OrgID, PersonioID: e.PersonioID, RunID: &runID, DetectedAt: now,
				HireDate: e.HireDate, InviteDue: inviteDue(settings, e, today)}
		}
		n, err := u.st.AddNewHires(ctx, rows)
		if err != nil {
			return fmt.Errorf("lifecycle: new hires of run %d: %w", run.ID, err)
		}
		u.log.LogAttrs(ctx, slog.LevelInfo, "new hires detected", slog.Int64("org_id", run.OrgID),
			slog.Int64("run_id", run.ID), slog.Int64("new_hires", n))
	}
	if err := u.followHireDates(ctx, run.OrgID); err != nil {
		return err
	}
	if err := u.sendDueInvites(ctx, run.OrgID, settings, today); err != nil {
		return err
	}
	return u.notifyNewHires(ctx, run.OrgID, run.ID, settings)
}

// followHireDates moves the first day of access of invited new hires whose
// hire date moved in Personio ("access from hire date": login opens on
// the real first day, not the one known at the invitation).
func (u *Updater) followHireDates(ctx context.Context, orgID int64) error {
	moved, err := u.st.MovedAccessDates(ctx, orgID)
	if err != nil {
		return fmt.Errorf("lifecycle: hire dates of invited new hires: %w", err)
	}
	for _, m := range moved {
		if err := u.st.MoveAccessDate(ctx, orgID, m); err != nil {
			return fmt.Errorf("lifecycle: %w", err)
		}
		u.log.LogAttrs(ctx, slog.LevelInfo, "access date of new hire moved", slog.Int64("org_id", orgID),
			slog.Int64("personio_id", m.PersonioID), slog.Int64("user_id", m.UserID), slog.String("access_from", m.NewHireDate))
	}
	return nil
}

// reschedule moves the scheduled invitations whose employee's hire date
// changed in Personio (or whose days-ahead setting changed) to the day the
// current values give.
func (u *Updater) reschedule(ctx context.Context, orgID int64, settings *store.SyncSettings, today string) error {
	hires, err := u.st.ScheduledNewHires(ctx, orgID)
	if err != nil || len(hires) == 0 {
		return err
	}
	ids := make([]int64, len(hires))
	for i, h := range hires {
		ids[i] = h.PersonioID
	}
	emps, err := u.st.HREmployeesByIDs(ctx, orgID, ids)
	if err != nil {
		return fmt.Errorf("lifecycle: reschedule invitations: %w", err)
	}
	for _, h := range hires {
		e, ok := emps[h.PersonioID]
		if !ok || e.Removed() {
			continue
		}
		due := inviteDue(settings, &e, today)
		if due == "" || (due == h.InviteDue && e.HireDate == h.HireDate) {
			continue
		}
		if err := u.st.RescheduleNewHire(ctx, orgID, h.PersonioID, e.HireDate, due); err != nil {
			return fmt.Errorf("lifecycle: %w", err)
		}
	}
	return nil
}

// dueInvites sends the invitations of new hires due today in the
// organisation's time zone (auto-invite with "access from hire date").
func (u *Updater) dueInvites(ctx context.Context, orgID int64) error {
	settings, err := u.st.SyncSettings(ctx, orgID)
	if err != nil {
		return fmt.Errorf("lifecycle: due invitations of org %d: load settings: %w", orgID, err)
	}
	return u.sendDueInvites(ctx, orgID, settings, u.newHireToday(ctx, orgID))
}

// inviteDue is the day the hire's invitation goes out ("" for none): with
// auto-invite, at once, or InviteDaysAhead days before the hire date with
// "access from hire date". Employees without an email cannot be invited.
func inviteDue(st *store.SyncSettings, e *store.HREmployee, today string) string {
	if st.NewHires != NewHiresInvite || !accounts.ValidEmail(e.Email) {
		return ""
	}
	if !st.AccessFromHireDate || e.HireDate == "" {
		return today
	}
	hire, err := time.Parse(time.DateOnly, e.HireDate)
	if err != nil {
		return today
	}
	return hire.AddDate(0, 0, -max(st.InviteDaysAhead, 0)).Format(time.DateOnly)
}

// sendDueInvites invites, one by one, the new hires whose invitation is due
// on today when auto-invite is on, through hrinvite.Service.Invite like an
// admin's "Invite users via HR": the user gets every field Personio
// manages, the mapped team and the manager at once, and with "access from
// hire date" access opens on the hire date (linking.CompleteInvited). A
// hire who cannot be invited any more (linked meanwhile, left, email
// taken) is unscheduled; the admins hear of it unless someone already
// brought the hire into Roster or an admin excluded the hire from the sync.
func (u *Updater) sendDueInvites(ctx context.Context, orgID int64, settings *store.SyncSettings, today string) error {
	if settings.NewHires != NewHiresInvite || u.invite == nil {
		return nil
	}
	if err := u.reschedule(ctx, orgID, settings, today); err != nil {
		return err
	}
	due, err := u.st.DueNewHireInvites(ctx, orgID, today)
	if err != nil || len(due) == 0 {
		return err
	}
	ids := make([]int64, len(due))
	for i, h := range due {
		ids[i] = h.PersonioID
	}
	excluded, err := u.st.ExcludedHREmployees(ctx, orgID, ids)
	if err != nil {
		return fmt.Errorf("lifecycle: invite new hires: %w", err)
	}
	actor := roster.Actor{OrgID: orgID, Name: ActorName, Role: store.RoleAdmin}
	for _, h := range due {
		if excluded[h.PersonioID] {
			// An admin excluded the hire after it was scheduled: that is
			// the answer, nobody needs to hear the invitation did not go.
			if err := u.st.CancelNewHireInvite(ctx, orgID, h.PersonioID); err != nil {
				return err
			}
			continue
		}
		linked, err := u.st.LinkedUsers(ctx, orgID, []int64{h.PersonioID})
		if err != nil {
			return fmt.Errorf("lifecycle: invite new hire %d: %w", h.PersonioID, err)
		}
		if _, ok := linked[h.PersonioID]; ok {
			if err := u.st.CancelNewHireInvite(ctx, orgID, h.PersonioID); err != nil {
				return err
			}
			continue
		}
		if _, err := u.invite.Invite(ctx, actor, []int64{h.PersonioID}); err != nil {
			if roster.FieldErrors(err) == nil {
				return fmt.Errorf("lifecycle: invite new hire %d: %w", h.PersonioID, err)
			}
			// Linked meanwhile (an admin, or a concurrent run or tick, was
			// quicker): nothing went wrong, nobody needs to hear of it.
			meanwhile, lerr := u.st.LinkedUsers(ctx, orgID, []int64{h.PersonioID})
			if lerr != nil {
				return fmt.Errorf("lifecycle: invite new hire %d: %w", h.PersonioID, lerr)
			}
			if _, ok := meanwhile[h.PersonioID]; ok {
				if err := u.st.CancelNewHireInvite(ctx, orgID, h.PersonioID); err != nil {
					return err
				}
				continue
			}
			if err := u.inviteFailed(ctx, orgID, h, err); err != nil {
				return err
			}
			continue
		}
		linked, err = u.st.LinkedUsers(ctx, orgID, []int64{h.PersonioID})
		if err != nil {
			return fmt.Errorf("lifecycle: invite new hire %d: %w", h.PersonioID, err)
		}
		user, ok := linked[h.PersonioID]
		if !ok {
			return fmt.Errorf("lifecycle: invite new hire %d: no user after the invitation", h.PersonioID)
		}
		if err := u.st.MarkNewHireInvited(ctx, orgID, h.PersonioID, user.ID, u.now()); err != nil {
			return err
		}
		u.log.LogAttrs(ctx, slog.LevelInfo, "new hire invited", slog.Int64("org_id", orgID),
			slog.Int64("personio_id", h.PersonioID), slog.Int64("user_id", user.ID), slog.String("access_from", user.AccessFrom))
	}
	return nil
}

// inviteFailed unschedules a hire's invitation that cannot go out and tells
// the admins why.
func (u *Updater) inviteFailed(ctx context.Context, orgID int64, h store.HRNewHire, cause error) error {
	if err := u.st.CancelNewHireInvite(ctx, orgID, h.PersonioID); err != nil {
		return err
	}
	reasons := make([]string, 0, 1)
	for _, msg := range roster.FieldErrors(cause) {
		reasons = append(reasons, msg)
	}
	name := fmt.Sprintf("Personio employee %d", h.PersonioID)
	if e, err := u.st.HREmployee(ctx, orgID, h.PersonioID); err == nil {
		name = e.DisplayName()
	} else if !errors.Is(err, roster.ErrNotFound) {
		return err
	}
	u.log.LogAttrs(ctx, slog.LevelWarn, "new hire not invited", slog.Int64("org_id", orgID),
		slog.Int64("personio_id", h.PersonioID), slog.String("reason", strings.Join(reasons, " ")))
	if u.notify == nil {
		return nil
	}
	_, err := u.notify.NotifyAdmins(ctx, orgID, notify.Note{Kind: notify.KindNewHire,
		Title: "New hire not invited: " + name,
		Body:  "The automatic invitation could not be sent. " + strings.Join(reasons, " "),
		Link:  inviteLink(name), DedupeKey: fmt.Sprintf("new_hire_invite_failed:%d", h.PersonioID), Email: true})
	return err
}

// notifyNewHires tells the admins about every recorded new hire they have
// not heard of: one notification per hire, or one summary above
// NewHireBatchLimit.
func (u *Updater) notifyNewHires(ctx context.Context, orgID, runID int64, settings *store.SyncSettings) error {
	if u.notify == nil {
		return nil
	}
	hires, err := u.st.UnnotifiedNewHires(ctx, orgID)
	if err != nil || len(hires) == 0 {
		return err
	}
	ids := make([]int64, len(hires))
	for i, h := range hires {
		ids[i] = h.PersonioID
	}
	emps, err := u.st.HREmployeesByIDs(ctx, orgID, ids)
	if err != nil {
		return fmt.Errorf("lifecycle: notify new hires: %w", err)
	}
	if len(hires) > NewHireBatchLimit {
		if _, err := u.notify.NotifyAdmins(ctx, orgID, summaryNote(hires, emps, runID)); err != nil {
			return fmt.Errorf("lifecycle: notify new hires: %w", err)
		}
	} else {
		for _, h := range hires {
			e := emps[h.PersonioID]
			if _, err := u.notify.NotifyAdmins(ctx, orgID, hireNote(settings, h, &e)); err != nil {
				return fmt.Errorf("lifecycle: notify new hire %d: %w", h.PersonioID, err)
			}
		}
	}
	return u.st.MarkNewHiresNotified(ctx, orgID, ids, u.now())
}

// hireNote is the notification of one new hire.
func hireNote(settings *store.SyncSettings, h store.HRNewHire, e *store.HREmployee) notify.Note {
	name := e.DisplayName()
	if name == "" {
		name = fmt.Sprintf("Personio employee %d", h.PersonioID)
	}
	var b strings.Builder
	b.WriteString(name)
	if e.Position != "" || e.TeamName != "" {
		parts := make([]string, 0, 2)
		for _, p := range []string{e.Position, e.TeamName} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	if h.HireDate != "" {
		fmt.Fprintf(&b, " starts on %s.", longDate(h.HireDate))
	} else {
		b.WriteString(" was added in Personio.")
	}
	link := inviteLink(name)
	switch {
	case !accounts.ValidEmail(e.Email):
		b.WriteString(" They have no email address in Personio, so they cannot be invited: add one in Personio, then invite them.")
	case h.InvitedAt != nil && h.UserID != nil:
		fmt.Fprintf(&b, " They were invited automatically (%s).", e.Email)
		if settings.AccessFromHireDate && h.HireDate != "" {
			fmt.Fprintf(&b, " They can log in from %s.", longDate(h.HireDate))
		}
		link = fmt.Sprintf("/users/%d", *h.UserID)
	case h.InviteDue != "":
		fmt.Fprintf(&b, " Their invitation goes out on %s; they can log in from %s.", longDate(h.InviteDue), longDate(h.HireDate))
	default:
		b.WriteString(" Invite them to Roster.")
	}
	return notify.Note{Kind: notify.KindNewHire, Title: "New hire: " + name, Body: b.String(), Link: link,
		DedupeKey: fmt.Sprintf("new_hire:%d", h.PersonioID), Email: true}
}

// summaryNote is the single notification of many new hires.
func summaryNote(hires []store.HRNewHire, emps map[int64]store.HREmployee, runID int64) notify.Note {
	invited, scheduled, noEmail := 0, 0, 0
	for _, h := range hires {
		e := emps[h.PersonioID]
		switch {
		case h.InvitedAt != nil:
			invited++
		case h.InviteDue != "":
			scheduled++
		case !accounts.ValidEmail(e.Email):
			noEmail++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d new employees were added in Personio.", len(hires))
	if invited > 0 {
		fmt.Fprintf(&b, " %d were invited automatically.", invited)
	}
	if scheduled > 0 {
		fmt.Fprintf(&b, " %d will be invited before their hire date.", scheduled)
	}
	if noEmail > 0 {
		fmt.Fprintf(&b, " %d have no email address and cannot be invited.", noEmail)
	}
	if rest := len(hires) - invited - scheduled; rest > 0 {
		b.WriteString(" Review them and invite who should join Roster.")
	}
	return notify.Note{Kind: notify.KindNewHire, Title: fmt.Sprintf("%d new hires", len(hires)), Body: b.String(),
		Link: "/users/invite-hr", DedupeKey: fmt.Sprintf("new_hires:run:%d", runID), Email: true}
}

// inviteLink opens "Invite users via HR" searching for name.
func inviteLink(name string) string {
	return "/users/invite-hr?" + url.Values{"q": {name}}.Encode()
}

// longDate renders "2026-12-01" as "1 December 2026".
func longDate(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("2 January 2006")
}

// newHireToday is the organisation's current date in its time zone.
func (u *Updater) newHireToday(ctx context.Context, orgID int64) string {
	loc := time.UTC
	if org, err := u.st.Organization(ctx, orgID); err == nil && org.TimeZone != "" {
		if l, err := time.LoadLocation(org.TimeZone); err == nil {
			loc = l
		}
	}
	return u.now().In(loc).Format(time.DateOnly)
}
