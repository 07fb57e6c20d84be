package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

// Handlers of the notification centre. Wired in routes.go; built in this file.

const notificationsPageSize = 25

// unreadCount is the bell's badge of u (0 when it cannot be counted: the
// badge never breaks a page).
func (s *Server) unreadCount(c echo.Context, u *store.User) int64 {
	if s.Notify == nil || u == nil {
		return 0
	}
	n, err := s.Notify.Unread(c.Request().Context(), u.OrgID, u.ID)
	if err != nil {
		s.Logger.WarnContext(c.Request().Context(), "count unread notifications", "org_id", u.OrgID, "user_id", u.ID, "err", err)
		return 0
	}
	return n
}

func (s *Server) notificationsList(c echo.Context) error {
	ctx, u := c.Request().Context(), currentUser(c)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	ns, total, err := s.Notify.List(ctx, u.OrgID, u.ID, false, notificationsPageSize, (page-1)*notificationsPageSize)
	if err != nil {
		return err
	}
	loc := location(c)
	v := views.NotificationList{Page: s.page(c, "Notifications", "notifications"),
		Pager: views.Pager{Page: page, Pages: int((total + notificationsPageSize - 1) / notificationsPageSize), Total: total, Path: "/notifications"}}
	for _, n := range ns {
		v.Rows = append(v.Rows, views.NotificationRow{ID: n.ID, Kind: n.Kind, KindLabel: views.NotificationKindLabel(n.Kind),
			Title: n.Title, Body: n.Body, When: views.FormatTime(n.CreatedAt, loc), HasLink: localLink(n.Link) != "", Unread: n.ReadAt == nil})
	}
	return render(c, http.StatusOK, views.NotificationsPage(v), views.NotificationsTable(v))
}

// notificationsCount is the bell's badge alone (htmx polls it).
func (s *Server) notificationsCount(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return render(c, http.StatusOK, views.BellBadge(s.unreadCount(c, currentUser(c))), nil)
}

func (s *Server) notificationsReadAll(c echo.Context) error {
	u := currentUser(c)
	if _, err := s.Notify.MarkRead(c.Request().Context(), u.OrgID, u.ID, nil); err != nil {
		return err
	}
	s.flash(c, "success", "All notifications marked as read")
	return redirect(c, "/notifications")
}

// notificationRead marks one of the user's notifications read and follows
// its link when it points inside Roster; otherwise back to the list.
func (s *Server) notificationRead(c echo.Context) error {
	u := currentUser(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return roster.ErrNotFound
	}
	n, err := s.Notify.Open(c.Request().Context(), u.OrgID, u.ID, id)
	if err != nil {
		return err
	}
	if to := localLink(n.Link); to != "" {
		return redirect(c, to)
	}
	return redirect(c, "/notifications")
}

// localLink returns link when it is a path inside Roster ("/users/3") and
// "" otherwise: absolute, scheme-relative ("//evil.example") and
// backslash tricks ("/\evil.example") never become redirects.
func localLink(link string) string {
	if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") || strings.HasPrefix(link, "/\\") ||
		strings.ContainsAny(link, "\\\r\n\t") {
		return ""
	}
	return link
}
