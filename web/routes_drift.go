package web

import "github.com/labstack/echo/v4"

// driftRoutes registers the routes of the drift report and its one-click fixes: in is
// every logged-in user, adm admins and owners.
func (s *Server) driftRoutes(in, adm *echo.Group) {
	h := &driftHandlers{s: s, svc: s.Drift}
	adm.GET("/settings/hr/drift", h.report)
	adm.GET("/settings/hr/drift/users/:id/link", h.linkPick)
	adm.POST("/settings/hr/drift/users/:id/link", h.link)
	adm.POST("/settings/hr/drift/users/:id/use-personio-email", h.useEmail)
	adm.POST("/settings/hr/drift/users/:id/apply", h.apply)
	adm.POST("/settings/hr/drift/users/:id/exclude", h.excludeUser)
	adm.POST("/settings/hr/drift/employees/:personioID/invite", h.invite)
	adm.POST("/settings/hr/drift/employees/:personioID/exclude", h.exclude)
	adm.POST("/settings/hr/drift/mappings/:id/remap", h.remap)
	adm.POST("/settings/hr/drift/mappings/:id/remove", h.removeMapping)
}
