package web

import "github.com/labstack/echo/v4"

// absenceRoutes registers the routes of absences, approvals, the team calendar and absence categories: in is
// every logged-in user, adm admins and owners.
func (s *Server) absenceRoutes(in, adm *echo.Group) {
}
