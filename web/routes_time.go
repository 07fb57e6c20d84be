package web

import "github.com/labstack/echo/v4"

// timeRoutes registers the routes of time tracking and the push outbox: in is
// every logged-in user, adm admins and owners.
func (s *Server) timeRoutes(in, adm *echo.Group) {
}
