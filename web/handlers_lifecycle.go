package web

import (
	"context"
	"fmt"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

// Handlers of leaver safeguards and undo. Wired in routes.go; built in this file.

// holdListShown is how many users of a safeguard hold the HR tab lists.
const holdListShown = 25

func (s *Server) userUndoDeactivation(c echo.Context) error {
	return s.userAction(c, func(a roster.Actor, id int64) error { return s.Accounts.UndoDeactivation(c.Request().Context(), a, id) },
		"Deactivation undone: teams, manager and approver links restored.", backToUser)
}

// holdDecision runs a decision on a safeguard hold and reports it as a
// flash on the HR tab. A hold of another organisation is not found (404);
// one already decided is reported as a flash.
func (s *Server) holdDecision(c echo.Context, fn func(ctx context.Context, a roster.Actor, id int64) (int, error), success func(n int) (string, error)) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	n, err := fn(c.Request().Context(), actor(c), id)
	if fe := roster.FieldErrors(err); fe != nil {
		s.flash(c, "danger", fe[""])
		return redirect(c, "/settings/hr")
	}
	if err != nil {
		return err
	}
	msg, err := success(n)
	if err != nil {
		return err
	}
	s.flash(c, "success", msg)
	return redirect(c, "/settings/hr")
}

func (s *Server) holdConfirm(c echo.Context) error {
	return s.holdDecision(c, s.Lifecycle.ConfirmHold, func(n int) (string, error) {
		st, err := s.HR.Settings(c.Request().Context(), actor(c))
		if err != nil {
			return "", err
		}
		done := "deactivated"
		if st.LockOnLastDay {
			done = "locked"
		}
		if n == 0 {
			return "Hold confirmed: nobody was " + done + "; the users of the hold are no longer leaving.", nil
		}
		return fmt.Sprintf("%s %s. They were logged out; their data is kept.", plural(n, "user", "users"), done), nil
	})
}

func (s *Server) holdDiscard(c echo.Context) error {
	return s.holdDecision(c, s.Lifecycle.DiscardHold, func(int) (string, error) {
		return "Hold discarded: these users stay active until Personio changes them again.", nil
	})
}

// holdBox is the pending safeguard hold of the organisation for the HR tab,
// or nil.
func (s *Server) holdBox(c echo.Context) (*views.HoldBox, error) {
	ctx, a := c.Request().Context(), actor(c)
	sum, err := s.Lifecycle.PendingHold(ctx, a)
	if err != nil || sum == nil {
		return nil, err
	}
	h := sum.Hold
	box := &views.HoldBox{ID: h.ID, Affected: h.Affected, Linked: h.LinkedTotal, Percent: sum.Percent,
		Created: views.FormatTime(h.CreatedAt, location(c))}
	shown := sum.Users
	if len(shown) > holdListShown {
		shown = shown[:holdListShown]
	}
	ids := make([]int64, 0, len(shown))
	for _, u := range shown {
		ids = append(ids, u.ID)
	}
	users, err := s.Accounts.UsersByIDs(ctx, a, ids)
	if err != nil {
		return nil, err
	}
	for _, u := range shown {
		row := views.HoldUser{ID: u.ID, Name: u.Name, Email: u.Email, Reason: u.Reason}
		if usr, ok := users[u.ID]; ok {
			row.LastDay = lastDay(&usr)
		}
		box.Users = append(box.Users, row)
	}
	if more := h.Affected - len(box.Users); more > 0 {
		box.More = more
	}
	return box, nil
}

// lastDay is a leaver's last working day (or termination date) as
// "2 Jan 2006", "" for none.
func lastDay(u *store.User) string {
	day := u.LastWorkingDay
	if day == "" {
		day = u.TerminationDate
	}
	if d, err := time.Parse(time.DateOnly, day); err == nil {
		return views.FormatDate(d)
	}
	return day
}

// statusNote says why and since when a user is deactivated or locked, or
// when a scheduled deactivation takes effect; nil for none.
func statusNote(r *accounts.UserRow, c echo.Context) *views.StatusNote {
	loc := location(c)
	by := r.StatusBy
	switch {
	case by == "" && accounts.FromPersonio(r.DeactivationReason):
		by = "the Personio sync"
	case by == "":
		by = "an admin"
	}
	switch {
	case r.Status == store.StatusDeactivated:
		n := &views.StatusNote{Kind: "deactivated", Reason: accounts.ReasonText(r.DeactivationReason), By: by, CanUndo: true}
		if r.DeactivatedAt != nil {
			n.When = views.FormatTime(*r.DeactivatedAt, loc)
		}
		return n
	case r.LockedAt != nil:
		return &views.StatusNote{Kind: "locked", Reason: accounts.ReasonText(r.DeactivationReason), By: by,
			When: views.FormatTime(*r.LockedAt, loc), CanUndo: true}
	case r.DeactivateAt != nil:
		return &views.StatusNote{Kind: "scheduled", Reason: accounts.ReasonText(r.DeactivationReason),
			When: r.DeactivateAt.In(loc).Format("Monday 2 Jan 2006, 15:04") + " (" + loc.String() + ")", LastDay: lastDay(&r.User)}
	}
	return nil
}
