package web

import "github.com/labstack/echo/v4"

// lineageRoutes registers the routes of field lineage and scope on a user: in is
// every logged-in user, adm admins and owners.
func (s *Server) lineageRoutes(in, adm *echo.Group) {
	// The lineage of a user: an htmx fragment (the paginated table), or a
	// page of its own without htmx.
	adm.GET("/users/:id/lineage", s.userLineage)
}
