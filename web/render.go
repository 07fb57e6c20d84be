package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/views"
)

// isFragmentRequest reports an htmx request that wants only a fragment (not boosted).
func isFragmentRequest(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-Boosted") != "true"
}

// render sends the fragment to non-boosted htmx requests and the full page otherwise.
func render(c echo.Context, status int, page, fragment templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Request")
	comp := page
	if fragment != nil && isFragmentRequest(c) {
		comp = fragment
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// page builds the shell view model for the current request.
func (s *Server) page(c echo.Context, title, active string) views.Page {
	p := views.Page{Title: title, Active: active, CSRF: csrfToken(c), Dev: s.Dev && s.Mailbox != nil, Flashes: s.takeFlashes(c)}
	if u := currentUser(c); u != nil {
		p.UserName, p.UserRole, p.IsAdmin = u.Name, u.Role, u.IsAdmin()
		p.Unread = s.unreadCount(c, u) // the bell's badge: one count query
		// Approvals and the team calendar in the sidebar: admins and
		// managers at once, a member only when they approve for someone
		// (one query).
		if s.Absences != nil {
			p.CanApprove, _ = s.Absences.CanApprove(c.Request().Context(), actor(c))
		}
	}
	if o := currentOrg(c); o != nil {
		p.OrgName = o.Name
	}
	return p
}

// location is the current organisation's time zone.
func location(c echo.Context) *time.Location {
	if o := currentOrg(c); o != nil {
		if loc, err := time.LoadLocation(o.TimeZone); err == nil {
			return loc
		}
	}
	return time.UTC
}

// flash queues a message for the next page.
func (s *Server) flash(c echo.Context, kind, msg string) {
	sess, _ := s.cookies.Get(c.Request(), sessionName)
	sess.AddFlash(kind + "|" + msg)
	_ = sess.Save(c.Request(), c.Response())
}

func (s *Server) takeFlashes(c echo.Context) []views.Flash {
	sess, err := s.cookies.Get(c.Request(), sessionName)
	if err != nil {
		return nil
	}
	raw := sess.Flashes()
	if len(raw) == 0 {
		return nil
	}
	_ = sess.Save(c.Request(), c.Response())
	out := make([]views.Flash, 0, len(raw))
	for _, r := range raw {
		str, _ := r.(string)
		kind, msg := "info", str
		for i := 0; i < len(str); i++ {
			if str[i] == '|' {
				kind, msg = str[:i], str[i+1:]
				break
			}
		}
		out = append(out, views.Flash{Kind: kind, Message: msg})
	}
	return out
}

// handleError maps domain errors to statuses, logs server errors once, and
// renders a page (or a fragment for htmx).
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side. Try again; if it keeps happening, send us the request ID."
	var he *echo.HTTPError
	switch {
	case errors.Is(err, roster.ErrNotFound):
		status, msg = http.StatusNotFound, "This page does not exist, or you do not have access to it."
	case errors.Is(err, roster.ErrForbidden):
		status, msg = http.StatusForbidden, "You do not have permission to do this. Ask an admin of your organisation."
	case roster.FieldErrors(err) != nil:
		status, msg = http.StatusUnprocessableEntity, err.Error()
	case errors.As(err, &he):
		status = he.Code
		switch status {
		case http.StatusNotFound:
			msg = "This page does not exist, or you do not have access to it."
		case http.StatusMethodNotAllowed:
			msg = "This action is not available here."
		default:
			msg = fmt.Sprint(he.Message)
		}
	}
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	if status >= 500 {
		s.Logger.ErrorContext(c.Request().Context(), "request failed", "request_id", reqID, "path", logPath(c), "err", err)
	} else {
		reqID = ""
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	title := http.StatusText(status)
	if isFragmentRequest(c) {
		_ = render(c, status, views.ErrorFragment(msg, reqID), nil)
		return
	}
	if currentUser(c) == nil {
		_ = render(c, status, views.Message(title, msg, "/", "Go to Roster"), nil)
		return
	}
	p := s.page(c, title, "")
	_ = render(c, status, views.ErrorPage(p, status, msg, reqID), nil)
}
