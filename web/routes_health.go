package web

import "github.com/labstack/echo/v4"

// healthRoutes registers the routes of org-chart health and sync health alerts: in is
// every logged-in user, adm admins and owners.
func (s *Server) healthRoutes(in, adm *echo.Group) {
	adm.GET("/settings/hr/health", s.healthPage)
}
